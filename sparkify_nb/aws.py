"""boto3 sessions and clients for the target: the local emulator or real AWS.

On ``local`` every client points at the emulator's loopback endpoint with
throwaway credentials, so a real AWS key in your environment is never sent
anywhere. On ``redshift`` the standard boto3 chain applies (``AWS_PROFILE``,
environment, SSO, instance role); nothing is read from dwh.cfg.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from . import local_stack
from .config import Settings

log = logging.getLogger(__name__)

# The emulator accepts any credentials; these are its documented placeholders.
_EMULATOR_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def session(settings: Settings) -> boto3.Session:
    """A boto3 session for the target's region (emulator credentials on ``local``)."""
    if settings.is_local:
        return boto3.Session(region_name=settings.region, **_EMULATOR_CREDENTIALS)
    return boto3.Session(region_name=settings.region)


def client(settings: Settings, service: str, endpoint_url: str | None = None) -> Any:
    """A boto3 client for ``service``; on ``local`` it talks to the running
    emulator (raises LocalStackError if it is not running).

    Clients are reused per target, region, service and endpoint (creating one
    costs tens of milliseconds, and infra makes hundreds of calls); boto3
    clients are thread-safe and refresh their own credentials."""
    if settings.is_local:
        endpoint_url = endpoint_url or local_stack.aws_endpoint()
    return _client(settings.is_local, settings.region, service, endpoint_url)


@functools.lru_cache(maxsize=64)
def _client(is_local: bool, region: str, service: str, endpoint_url: str | None) -> Any:
    retries = Config(retries={"max_attempts": 8, "mode": "standard"},
                     s3={"addressing_style": "path"} if is_local else None)
    if is_local:
        sess = boto3.Session(region_name=region, **_EMULATOR_CREDENTIALS)
    else:
        sess = boto3.Session(region_name=region)
    return sess.client(service, endpoint_url=endpoint_url, config=retries)


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
EMULATOR_GAPS: dict[str, frozenset[str]] = {
    "redshift": frozenset({"modify_cluster_parameter_group"}),
    "redshift-serverless": frozenset({"*"}),
}


def emulator_lacks(settings: Settings, service: str, operation: str = "*") -> bool:
    """True on ``local`` when the emulator does not implement ``service``'s
    ``operation`` (or the whole service); always False on ``redshift``."""
    if not settings.is_local:
        return False
    gaps = EMULATOR_GAPS.get(service, frozenset())
    return "*" in gaps or operation in gaps
