"""boto3 clients for the target: the local emulator or real AWS.

On ``local`` every client points at the emulator's loopback endpoint with
throwaway credentials, so a real AWS key in your environment is never sent
anywhere. A rehearsal (``target = redshift`` with ``[general] rehearsal``) does
the same, except that ``redshift-data`` goes to the local stack's Redshift
Data API endpoint, and its clients sign as the IAM user ``sparkify-operator``
of the rehearsal's own emulator account (:mod:`.local.iam.account`), whose
every call the local stack's IAM gate authorises: the clients are the ones a
Redshift run makes, only their endpoints and keys differ. On ``redshift`` the standard boto3 chain applies
(``AWS_PROFILE``, environment, SSO, instance role); nothing is read from dwh.cfg.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from . import local
from .config import Settings
from .sessions import new_session
# the IAM action of an API operation (S3's differ): one table, shared with the IAM gate and the preflight
from .iam.calls import ACTION_OF, action_of  # noqa: F401

log = logging.getLogger(__name__)

# The emulator accepts any credentials; these are its documented placeholders.
_EMULATOR_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class Clients:
    """The boto3 clients of one target, made once each and shared by every
    stage function of a notebook step (stage code takes them as an argument,
    so tests pass the emulator's or a Stubber's).

    On ``local`` and a rehearsal the local stack's endpoints are resolved
    once, here (raises :class:`~sparkify_nb.local.LocalStackError` if it is
    not running), and every client gets throwaway credentials, so a real AWS
    key in your environment is never sent anywhere; a rehearsal's
    ``redshift-data`` and ``redshift-serverless`` clients go to the
    rehearsal's endpoint (:data:`REHEARSAL_SERVES`), assumed roles' too. On
    ``redshift`` the standard boto3 chain applies.

    Example::

        >>> clients = aws.Clients(settings)        # doctest: +SKIP
        >>> clients("s3").list_buckets()           # doctest: +SKIP
    """

    def __init__(self, settings: Settings, endpoint_url: str | None = None):
        self.settings = settings
        self.endpoint_url = endpoint_url or (local.aws_endpoint() if settings.on_emulator else None)
        self._data_api_url = local.data_api_endpoint() if settings.rehearsal else None
        self._keys = _EMULATOR_CREDENTIALS
        if settings.rehearsal:  # the rehearsal's own account, as its operator (local/iam/account.py)
            from .local.iam import account

            key_id, secret = account.keys(account.current(settings))
            self._keys = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
        self._made: dict[str, Any] = {}
        self._session: Any = None  # set by :meth:`assuming` and :meth:`administrator`
        self._watch = True  # calls reported to :func:`recording` (not the administrator's)

    def __call__(self, service: str) -> Any:
        """The client for ``service`` (``"s3"``, ``"redshift"``, ...), made on first use."""
        made = self._made.get(service)
        endpoint = self._data_api_url if service in REHEARSAL_SERVES and self._data_api_url else self.endpoint_url
        if made is None and self._session is not None:  # an assumed role's or the administrator's: not cached
            made = self._session.client(service, endpoint_url=endpoint,
                                        config=Config(retries={"max_attempts": 8, "mode": "standard"}))
            made = self._made[service] = _watched(made) if self._watch else made
        if made is None:
            made = self._made[service] = _client(self.settings.on_emulator, self.settings.region, service, endpoint,
                                                 tuple(self._keys.items()))
        return made

    def use(self, service: str, client: Any) -> "Clients":
        """Put ``client`` in place for ``service`` (a Stubber's, in tests); returns self."""
        self._made[service] = _watched(client)
        return self

    def administrator(self) -> "Clients":
        """Clients of the account's administrator, on the emulator only: the local stack plays the
        administrator who makes the stack's permissions boundary (:mod:`sparkify_nb.infra.boundary`).
        On ``local`` the same account and credentials as these; in a rehearsal the rehearsal account's
        ``sparkify-administrator`` user (:mod:`sparkify_nb.local.iam.account`), whom the emulator's IAM gate
        does not hold to the operator policy. Their calls are not the operator's: they are not reported to
        :func:`recording`, so no test counts them against the operator's list. On AWS the suite never acts
        as the administrator: ValueError."""
        if not self.settings.on_emulator:
            raise ValueError("the suite acts as the administrator on the local emulator only; on AWS an "
                             "administrator applies what `sparkify-nb iam-policy --admin` prints")
        admin = Clients(self.settings, self.endpoint_url)
        keys = _EMULATOR_CREDENTIALS
        if self.settings.rehearsal:  # the rehearsal account's administrator (local/iam/account.py)
            from .local.iam import account

            key_id, secret = account.keys(account.current(self.settings), account.ADMINISTRATOR)
            keys = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
        admin._session, admin._watch = new_session(region_name=self.settings.region, **keys), False
        return admin

    def assuming(self, role_arn: str, session_name: str) -> "Clients":
        """Clients of the same target acting as ``role_arn``: ``sts:AssumeRole``
        (temporary credentials valid an hour), then every client made from them."""
        creds = call(self("sts"), "assume_role", RoleArn=role_arn, RoleSessionName=session_name,
                     DurationSeconds=3600)["Credentials"]
        session = new_session(region_name=self.settings.region, aws_access_key_id=creds["AccessKeyId"],
                                aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
        assumed = Clients(self.settings, self.endpoint_url)
        assumed._session = session
        assumed._data_api_url = self._data_api_url
        return assumed


@functools.lru_cache(maxsize=8)
def _session(on_emulator: bool, region: str,
             keys: tuple[tuple[str, str], ...] = tuple(_EMULATOR_CREDENTIALS.items())) -> boto3.Session:
    """One boto3 session per target, Region and (on the emulator) key, shared by its clients: a
    session loads botocore's endpoint rules, partitions and retry data once for all of them (8 clients
    made from one session cost 0.23 s of CPU, from a session each 0.80 s, measured on this machine),
    and resolves the credentials chain once."""
    if on_emulator:
        return new_session(region_name=region, **dict(keys))
    return new_session(region_name=region)


_MAKING = threading.Lock()  # a boto3 session is not thread-safe while it makes a client; clients are


@functools.lru_cache(maxsize=64)
def _client(on_emulator: bool, region: str, service: str, endpoint_url: str | None,
            keys: tuple[tuple[str, str], ...] = tuple(_EMULATOR_CREDENTIALS.items())) -> Any:
    """Creating a client costs tens of milliseconds; boto3 clients are
    thread-safe and refresh their own credentials, so they are reused."""
    retries = Config(retries={"max_attempts": 8, "mode": "standard"},
                     s3={"addressing_style": "path"} if on_emulator else None)
    with _MAKING:
        return _watched(_session(on_emulator, region, keys).client(service, endpoint_url=endpoint_url, config=retries))


# --- which AWS actions a run calls ---------------------------------------------------------

_RECORDERS: list[Callable[[str, dict[str, Any]], None]] = []


def _on_call(model: Any, params: dict[str, Any], **_: Any) -> None:
    service = model.service_model
    action = action_of(service.signing_name or service.endpoint_prefix, model.name)
    for recorder in list(_RECORDERS):
        recorder(action, params)


def _watched(client: Any) -> Any:
    """``client``, reporting every call to the recorders (botocore's
    ``before-parameter-build`` event, which fires for stubbed clients too)."""
    client.meta.events.register("before-parameter-build", _on_call, unique_id="sparkify-nb-record-calls")
    return client


@contextmanager
def recording() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Record ``(IAM action, API parameters)`` of every call made through
    :class:`Clients` while the block runs (the operator's policy and the tests
    check what a run needs against :mod:`sparkify_nb.iam.operator`)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(action: str, params: dict[str, Any]) -> None:
        calls.append((action, params))

    _RECORDERS.append(record)
    try:
        yield calls
    finally:
        _RECORDERS.remove(record)


def _log_to_file(path: str) -> None:
    """With ``SPARKIFY_AWS_CALL_LOG=<file>`` every call's IAM action is appended
    to the file, one per line (how a test records the calls of notebooks run
    in their own kernels). Parameters are not written: they may hold data."""
    def record(action: str, params: dict[str, Any]) -> None:
        with open(path, "a", encoding="utf-8") as out:
            out.write(action + "\n")

    _RECORDERS.append(record)


if os.environ.get("SPARKIFY_AWS_CALL_LOG"):
    _log_to_file(os.environ["SPARKIFY_AWS_CALL_LOG"])


REQUEST_LOG_ENV = "SPARKIFY_REQUEST_LOG"


def log_requests(path: str) -> None:
    """Append ``(service, operation, parameters)`` of every API call any boto3
    client of this process makes to ``path`` (pickled), stubbed or not: what
    ``make boto3-floor`` validates against the oldest botocore we allow
    (``tests/boto3_floor.py``). Set ``SPARKIFY_REQUEST_LOG`` to turn it on in
    every process of a run (notebook kernels inherit it). Test use only: the
    file holds the requests' parameters."""
    import pickle

    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        try:
            pickle.dumps(value)
            return value
        except Exception:  # a stream body: any bytes validate alike
            return b""

    def recorded(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        # One write of one whole record to a file opened for appending: the processes of a run (test
        # workers, notebook kernels) append to the same file without interleaving their records.
        data = pickle.dumps((self.meta.service_model.service_name, operation_name, plain(api_params)))
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = recorded


if os.environ.get(REQUEST_LOG_ENV):
    log_requests(os.environ[REQUEST_LOG_ENV])


def error_code(exc: ClientError) -> str:
    """The AWS error code of a ClientError (e.g. ``NoSuchEntity``)."""
    return exc.response.get("Error", {}).get("Code", "")


def call(client: Any, operation: str, *, missing: tuple[str, ...] = (), **kwargs: Any) -> Any:
    """``client.<operation>(**kwargs)``, the one way infra talks to AWS.

    Returns None when the call fails with an error code in ``missing`` (the
    resource is not there, which the caller expects may happen). Any other
    ClientError is logged with the service, operation and AWS error code (never
    the request, which may hold a secret) and re-raised unchanged."""
    try:
        return getattr(client, operation)(**kwargs)
    except ClientError as exc:
        code = error_code(exc)
        if code in missing:
            return None
        log.error("%s %s failed: %s", client.meta.service_model.service_name, operation, code)
        raise


# What the local emulator (moto 5) does not implement. On ``local`` these calls
# are skipped with a visible line instead of failing; tests cover them with
# botocore's Stubber. "*" means the whole service.
# What a rehearsal's own endpoint serves instead (sparkify_nb/local/rehearsal/): the Data API, Serverless.
REHEARSAL_SERVES = ("redshift-data", "redshift-serverless")
# What a rehearsal's IAM gate in front of the emulator answers itself (sparkify_nb/local/iam/gate.py).
GATE_SERVES = {("iam", "simulate_principal_policy")}
EMULATOR_GAPS: dict[str, frozenset[str]] = {
    "redshift": frozenset({"modify_cluster_parameter_group", "modify_cluster_iam_roles", "create_scheduled_action",
                           "describe_scheduled_actions", "modify_scheduled_action", "delete_scheduled_action",
                           "describe_orderable_cluster_options"}),
    "iam": frozenset({"simulate_principal_policy"}),
    "redshift-serverless": frozenset({"*"}),
}


def emulator_lacks(settings: Settings, service: str, operation: str = "*") -> bool:
    """True on ``local`` and a rehearsal when the emulator does not implement
    ``service``'s ``operation`` (or the whole service); always False on ``redshift``."""
    if not settings.on_emulator or (settings.rehearsal and (service in REHEARSAL_SERVES or (service, operation) in
                                                             GATE_SERVES)):
        return False
    gaps = EMULATOR_GAPS.get(service, frozenset())
    return "*" in gaps or operation in gaps
