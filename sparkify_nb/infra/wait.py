"""Waiting on AWS with visible progress: boto3 waiters, polling for APIs
without waiters, and retrying deletes that a just-deleted resource still blocks.

Each reports the status and the elapsed time (seconds) through ``progress``,
so a notebook that waits 10 minutes on a cluster never looks hung.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from botocore.exceptions import ClientError, WaiterError

from .. import Progress, aws
from .errors import InfraError, WaitTimeout


WAITING_FOR = {"role_exists": "the new IAM role to be visible", "cluster_available": "the cluster to be available",
               "cluster_deleted": "the cluster to be deleted"}
"""What a reader is told each boto3 waiter waits for (a waiter's own name is boto3's, not the reader's)."""


def _waiting_for(waiter_name: str) -> str:
    return WAITING_FOR.get(waiter_name, waiter_name.replace("_", " "))


def wait(client: Any, waiter_name: str, progress: Progress, delay_s: float = 15, timeout_s: int = 3600,
         describe: Callable[[], str] | None = None, **kwargs: Any) -> None:
    """Run ``client``'s boto3 waiter ``waiter_name`` in short rounds (4 polls
    ``delay_s`` seconds apart), reporting ``describe()`` (the status) and the
    elapsed time after each (``waiting for the cluster to be available:
    creating (15 s)``), until it succeeds. Raises :class:`WaitTimeout`
    after ``timeout_s`` seconds, :class:`InfraError` on a terminal failure."""
    waiter = client.get_waiter(waiter_name)
    t0 = time.monotonic()
    while True:
        try:
            waiter.wait(WaiterConfig={"Delay": delay_s, "MaxAttempts": 4}, **kwargs)
            progress(f"waited {time.monotonic() - t0:.0f} s for {_waiting_for(waiter_name)}")
            return
        except WaiterError as exc:
            elapsed = time.monotonic() - t0
            if "terminal failure" in str(exc):
                raise InfraError(f"{waiter_name} failed after {elapsed:.0f} s: {exc}") from None
            if elapsed > timeout_s:
                raise WaitTimeout(f"{waiter_name} did not succeed within {timeout_s} s; look at the resource in "
                                  "the AWS console, then re-run (nothing is created twice)") from None
            progress(f"waiting for {_waiting_for(waiter_name)}: {describe() if describe else 'not yet'} ({elapsed:.0f} s)")


def poll(what: str, status: Callable[[], str | None], done: Callable[[str | None], bool], progress: Progress,
         timeout_s: int = 1800, delay_s: float = 15) -> str | None:
    """The waiter equivalent for APIs without boto3 waiters (Redshift Serverless):
    call ``status()`` every ``delay_s`` seconds, report status and elapsed time,
    until ``done(status)``; returns the last status. Raises
    :class:`WaitTimeout` after ``timeout_s`` seconds."""
    t0 = time.monotonic()
    while True:
        current = status()
        elapsed = time.monotonic() - t0
        if done(current):
            progress(f"{what}: {current or 'gone'} after {elapsed:.0f} s")
            return current
        if elapsed > timeout_s:
            raise WaitTimeout(f"{what} still {current} after {timeout_s} s; look at it in the AWS console, "
                              "then re-run")
        progress(f"{what}: {current} ({elapsed:.0f} s)")
        time.sleep(delay_s)


def retry_in_use(call: Callable[[], Any], what: str, progress: Progress, delay_s: float = 15,
                 timeout_s: int = 600) -> None:
    """Run a delete that AWS refuses with ``DependencyViolation`` while a just
    deleted cluster's network interfaces linger; retry every ``delay_s``
    seconds until ``timeout_s``, then re-raise the ClientError."""
    t0 = time.monotonic()
    while True:
        try:
            call()
            return
        except ClientError as exc:
            elapsed = time.monotonic() - t0
            if aws.error_code(exc) != "DependencyViolation" or elapsed > timeout_s:
                raise
            progress(f"{what}: still in use, retrying ({elapsed:.0f} s)")
            time.sleep(delay_s)


def _role_not_ready(exc: ClientError) -> bool:
    """A just-made IAM role that Redshift cannot use yet: ``InvalidParameterValue``
    ("The IAM role <name> is not valid. The IAM role must delegate access to an
    Amazon Redshift account", as reported in
    https://github.com/hashicorp/terraform-provider-aws/issues/19113), or
    Serverless' ``ValidationException`` naming the role."""
    message = str(exc.response.get("Error", {}).get("Message", "")).lower()
    return aws.error_code(exc) in ("InvalidParameterValue", "ValidationException") and "role" in message


def retry_role_propagation(call: Callable[[], Any], what: str, progress: Progress, delay_s: float = 15,
                           timeout_s: int = 300) -> Any:
    """Run ``call`` (a create that hands Redshift the COPY role), retrying with
    doubling pauses (``delay_s`` up to 60 s) while IAM has not yet propagated
    the new role (IAM is eventually consistent, see "Changes that I make are
    not always immediately visible" in
    https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html),
    with a status line each time. Re-raises any other error, or this one after
    ``timeout_s`` seconds."""
    t0, pause = time.monotonic(), delay_s
    while True:
        try:
            return call()
        except ClientError as exc:
            elapsed = time.monotonic() - t0
            if not _role_not_ready(exc) or elapsed > timeout_s:
                raise
            progress(f"{what}: the new IAM role is not yet usable by Redshift (IAM is eventually consistent); "
                     f"retrying in {pause:.0f} s ({elapsed:.0f} s so far)")
            time.sleep(pause)
            pause = min(pause * 2, 60)
