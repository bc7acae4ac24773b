"""The role the Redshift scheduler assumes to pause the cluster on a schedule
(``[cluster] pause_schedule``), as documents: its trust, its name and its one
inline statement. 01 makes it under the stack's boundary
(:mod:`sparkify_nb.infra.guardrails`)."""

from __future__ import annotations

from typing import Any

from ..config import Settings

TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "scheduler.redshift.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
POLICY_NAME = "pause-cluster"


def role_name(settings: Settings) -> str:
    """``<stack_name>-redshift-scheduler``."""
    return f"{settings.stack_name}-redshift-scheduler"


def role_policy(cluster_arn: str) -> dict[str, Any]:
    """``redshift:PauseCluster`` on the cluster ``cluster_arn`` only."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "redshift:PauseCluster", "Resource": cluster_arn}]}
