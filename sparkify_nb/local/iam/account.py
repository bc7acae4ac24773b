"""A rehearsal's own AWS account on the emulator: a fresh 12-digit account id per
rehearsal, so its 01 finds nothing any earlier run made (not the ``local``
target's role, network and cluster, not another rehearsal's) and creates
everything, as on a new AWS account (issue 25, item 0).

How: the emulator (moto) keeps every account apart and tells a request's
account by its access key ("The account ID is derived from the access key",
moto's ``get_account_id_from``), or by an ``x-moto-account-id`` header. In a
new account the local stack, playing the account's administrator, creates two
IAM users with an access key each (:func:`create`):

- ``sparkify-administrator``, who may do everything (an inline ``*`` policy):
  what :meth:`sparkify_nb.aws.Clients.administrator` acts as (the stack's
  permissions boundary, :mod:`sparkify_nb.infra.boundary`);
- ``sparkify-operator``, the identity a rehearsal's notebooks act as, holding
  the operator policy ``sparkify-nb iam-policy`` prints for the rehearsal's
  settings, attached as the administrator would (``<stack>-operator-<n>``
  managed policies, :func:`sparkify_nb.iam.admin.operator_parts`), or the
  policy ``--policy FILE`` names (:func:`attach`).

The keys are written to ``<state>/local/accounts/<account>.json`` (mode 0600,
never printed, never in the repository). Which account a rehearsal uses
(:func:`for_run`, :func:`current`):

- ``SPARKIFY_REHEARSAL_ACCOUNT`` (:data:`ACCOUNT_ENV`), when set: the run pins
  it for every kernel (:func:`sparkify_nb.runner.run_suite` sets it, as it sets
  the run folder), so a run's 01 -> 04 -> 99 act in one account;
- else the account the latest rehearsal of the same stack name made on the
  running emulator (``<state>/local/accounts/stack-<name>.json``: so
  ``sparkify-nb run --rehearse --only 99_teardown`` deletes what its 01 made);
- else a fresh one.

A run that includes 01 always starts in a fresh account. Ids are random in
210000000000-299999999999 (never moto's default 123456789012, where the
``local`` target acts), chosen by each process on its own: concurrent
rehearsals on one stack never share a counter, a file or a user (the race an
account counter shared through one file had: ``EntityAlreadyExists``).
"""

from __future__ import annotations

import functools
import json
import os
import secrets
from pathlib import Path
from typing import Any

ACCOUNT_ENV = "SPARKIFY_REHEARSAL_ACCOUNT"
OPERATOR = "sparkify-operator"
ADMINISTRATOR = "sparkify-administrator"
FIRST, LAST = 210_000_000_000, 299_999_999_999
_ROOT_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}  # the emulator's placeholders
EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Sid": "Administrator", "Effect": "Allow", "Action": "*",
                                                      "Resource": "*"}]}


class AccountError(RuntimeError):
    """A rehearsal account that cannot be used (its keys are gone, the emulator forgot it)."""


def _folder(state: Path | None = None) -> Path:
    from .. import stack

    path = stack._dir(state) / "accounts"
    path.mkdir(parents=True, exist_ok=True)
    return path


@functools.lru_cache(maxsize=128)
def admin_client(endpoint: str, account: str, service: str, region: str = "us-east-1") -> Any:
    """A client of ``account`` on the emulator at ``endpoint`` acting as the account itself (the
    ``x-moto-account-id`` header; no IAM user behind it, so the gate never asks about it): how the
    local stack reads and writes an account's IAM before any of its users exists."""
    from botocore.config import Config

    from ...sessions import new_session

    client = new_session().client(service, region_name=region, endpoint_url=endpoint,
                                            config=Config(retries={"max_attempts": 2},
                                                          s3={"addressing_style": "path"}), **_ROOT_KEYS)

    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    client.meta.events.register("before-sign", add_header)
    return client


def new_id() -> str:
    """A random 12-digit account id of the rehearsals' range."""
    return str(FIRST + secrets.randbelow(LAST - FIRST + 1))


def _write_private(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out)
    os.replace(tmp, path)


def _emulator_identity(state: Path | None) -> str:
    from .. import stack

    emu = stack._read_record(state).get("emulator") or {}
    return f"{emu.get('pid')}:{emu.get('create_time')}"


def create(endpoint: str, state: Path | None = None) -> str:
    """A fresh account on the emulator with its administrator and operator users and their keys
    (written to the account's key file); returns its id."""
    while True:
        account = new_id()
        iam = admin_client(endpoint, account, "iam")
        if not iam.list_users()["Users"]:
            break  # one chance in 10^11 that another process drew the same id
    keys = {"account": account, "emulator": _emulator_identity(state)}
    for name in (ADMINISTRATOR, OPERATOR):
        iam.create_user(UserName=name)
        made = iam.create_access_key(UserName=name)["AccessKey"]
        keys[name] = {"id": made["AccessKeyId"], "secret": made["SecretAccessKey"]}
    iam.put_user_policy(UserName=ADMINISTRATOR, PolicyName="AdministratorAccess",
                        PolicyDocument=json.dumps(EVERYTHING))
    _write_private(_folder(state) / f"{account}.json", keys)
    return account


def keys(account: str, who: str = OPERATOR, state: Path | None = None) -> tuple[str, str]:
    """(access key id, secret) of ``who`` in the rehearsal account ``account``."""
    path = _folder(state) / f"{account}.json"
    try:
        held = json.loads(path.read_text())
    except (OSError, ValueError):
        raise AccountError(f"no keys of rehearsal account {account} under {path.parent}: start the rehearsal "
                           "again (sparkify-nb run --rehearse)") from None
    return held[who]["id"], held[who]["secret"]


def principal(account: str, who: str = OPERATOR) -> str:
    return f"arn:aws:iam::{account}:user/{who}"


def attach(endpoint: str, account: str, settings: Any, policy: Any = None) -> list[str]:
    """As the administrator: give the operator ``policy`` (a document or a list of them, as
    ``--policy FILE`` holds it), by default the operator policy printed for ``settings`` in this
    account, as managed policies ``<stack>-operator-<n>`` cut to IAM's size quota. Returns their ARNs."""
    from ...iam import admin, operator

    documents = policy if isinstance(policy, list) else [policy] if policy else \
        admin.operator_parts(operator.policy(settings, account))
    iam = admin_client(endpoint, account, "iam")
    arns = []
    for name, document in zip(admin.operator_policy_names(settings, len(documents)), documents):
        arn = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))["Policy"]["Arn"]
        iam.attach_user_policy(UserName=OPERATOR, PolicyArn=arn)
        arns.append(arn)
    return arns


def _stack_record(settings: Any, state: Path | None) -> Path:
    return _folder(state) / f"stack-{settings.stack_name}.json"


def for_run(settings: Any, fresh: bool, policy: Any = None, state: Path | None = None) -> str:
    """The account a rehearsal run of ``settings`` acts in: a fresh one (``fresh``: the run includes
    01), else the one the stack's latest rehearsal made on this emulator (or a fresh one when there
    is none). A fresh account gets the operator ``policy`` (:func:`attach`)."""
    from .. import stack

    if not fresh:
        found = _recorded(settings, state)
        if found:
            return found
    endpoint = stack.aws_endpoint(state)
    account = create(endpoint, state)
    attach(endpoint, account, settings, policy)
    _write_private(_stack_record(settings, state), {"account": account, "emulator": _emulator_identity(state)})
    return account


def _recorded(settings: Any, state: Path | None) -> str:
    try:
        record = json.loads(_stack_record(settings, state).read_text())
    except (OSError, ValueError):
        return ""
    if record.get("emulator") != _emulator_identity(state):
        return ""  # the emulator was restarted: it forgot that account
    return record["account"]


def current(settings: Any, state: Path | None = None) -> str:
    """The account this process's rehearsal acts in: :data:`ACCOUNT_ENV`, else :func:`for_run`
    (not fresh: a process that is not a run's kernel, e.g. a test, keeps to the stack's account)."""
    return os.environ.get(ACCOUNT_ENV) or for_run(settings, fresh=False, state=state)


def known(state: Path | None = None) -> list[str]:
    """Every rehearsal account whose keys this stack holds, newest first."""
    files = [p for p in _folder(state).glob("[0-9]*.json")]
    return [p.stem for p in sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)]


__all__ = ["ACCOUNT_ENV", "ADMINISTRATOR", "OPERATOR", "AccountError", "admin_client", "attach", "create", "current",
           "for_run", "keys", "known", "principal"]
