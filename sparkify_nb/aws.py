"""boto3 sessions and clients for the target: the local emulator or real AWS.

On ``local`` every client points at the emulator's loopback endpoint with
throwaway credentials, so a real AWS key in your environment is never sent
anywhere. On ``redshift`` the standard boto3 chain applies (``AWS_PROFILE``,
environment, SSO, instance role); nothing is read from dwh.cfg.
"""

from __future__ import annotations

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
    emulator (raises LocalStackError if it is not running)."""
    retries = Config(retries={"max_attempts": 8, "mode": "standard"},
                     s3={"addressing_style": "path"} if settings.is_local else None)
    if settings.is_local:
        endpoint_url = endpoint_url or local_stack.aws_endpoint()
    return session(settings).client(service, endpoint_url=endpoint_url, config=retries)


def error_code(exc: ClientError) -> str:
    """The AWS error code of a ClientError (e.g. ``NoSuchEntity``)."""
    return exc.response.get("Error", {}).get("Code", "")
