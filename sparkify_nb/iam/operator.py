"""Every AWS permission the suite needs, listed once, and the operator's
least-privilege IAM policy built from that list.

Where the list comes from (:func:`actions`):

- the resource kinds, :data:`.kinds.KINDS`: what 01, 99 and the controls
  do to each kind of resource (including the permissions AWS checks while it
  serves our calls: :data:`.kinds.PERMISSION_ONLY`);
- :data:`NEEDS`: what the rest of the suite calls, by area (``preflight``,
  ``connection``, ``staging``), each for the targets, cluster kinds and access
  modes it applies to (:func:`register` adds one, e.g. in a test).

A test runs 01-04 and 99 on the emulator recording every boto3 call
(:func:`sparkify_nb.aws.recording`) and fails when a call's action is missing
here; the policy is linted with ``parliament``.

:func:`policy` keeps each action to this stack: by name where the ARN
carries one of ours, else by the stack's tag, ``*`` only for the actions AWS
documents with no resource; the rules, with their reasons and AWS pages, are
in :mod:`.scopes` (an action without a rule stops the policy from being built).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..config import Settings
from . import kinds as resource_kinds, scopes

KINDS = ("provisioned", "serverless")
ACCESS = ("data_api", "direct")
TARGETS = ("local", "redshift")


@dataclass(frozen=True)
class Need:
    """Actions one area of the suite calls, for the targets, cluster kinds and
    access modes given (all by default); ``why`` says what for."""

    area: str
    actions: tuple[str, ...]
    kinds: tuple[str, ...] = KINDS
    access: tuple[str, ...] = ACCESS
    targets: tuple[str, ...] = TARGETS
    why: str = ""


_DATA_API = ("redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement",
             "redshift-data:DescribeStatement", "redshift-data:GetStatementResult", "redshift-data:CancelStatement")

NEEDS: list[Need] = [
    Need("preflight", ("sts:GetCallerIdentity", "iam:SimulatePrincipalPolicy", "s3:GetBucketLocation",
                       "s3:ListBucket"), why="01's preflight: who you are, what you may do, where the sources are"),
    Need("connection", _DATA_API + ("redshift:GetClusterCredentials",), kinds=("provisioned",),
         access=("data_api",), targets=("redshift",),
         why="SQL over the Data API with ClusterIdentifier + DbUser (the Data API calls GetClusterCredentials)"),
    Need("connection", _DATA_API + ("redshift-serverless:GetCredentials",), kinds=("serverless",),
         access=("data_api",), targets=("redshift",), why="SQL over the Data API as your IAM identity"),
    Need("connection", ("redshift:GetClusterCredentials",), kinds=("provisioned",), access=("direct",),
         targets=("redshift",), why="temporary database credentials for psycopg2"),
    Need("connection", ("redshift-serverless:GetCredentials",), kinds=("serverless",), access=("direct",),
         targets=("redshift",), why="temporary database credentials for psycopg2"),
    Need("analysis", ("sts:AssumeRole",), kinds=("serverless",), targets=("redshift",),
         why="04 assumes the analyst role: on Serverless the database user is the IAM identity's"),
    Need("prices", ("pricing:GetProducts",), targets=("redshift",),
         why="sparkify-nb prices --refresh reads AWS's current prices from the Price List API (optional)"),
    Need("staging", ("s3:PutObject",), targets=("redshift",),
         why="03 writes the COPY manifest of a daily load into the stack's work bucket (sparkify_nb/staging/daily.py)"),
    Need("staging", ("s3:ListBucket", "s3:GetObject"),
         why="03 lists each source before its COPY and reads the first record after an 'auto' load that left a "
             "column NULL (the local COPY emulator reads the sources; on redshift COPY reads them with the role)"),
]


def register(need: Need) -> None:
    """Add what another area of the suite calls (kept once: registering the same need again is a no-op)."""
    if need not in NEEDS:
        NEEDS.append(need)


def actions(target: str = "redshift", kind: str = "provisioned", access: str = "data_api",
            guardrails: frozenset[str] | None = None) -> list[str]:
    """Every IAM action a run of the suite needs on ``target`` with ``[cluster]
    kind`` and ``access``, sorted; ``guardrails``: the optional guardrail keys
    that are set (None: all, as if every one were)."""
    out = set(resource_kinds.actions(target, kind, public=access == "direct", guardrails=guardrails))
    for need in NEEDS:
        if target in need.targets and kind in need.kinds and access in need.access:
            out |= set(need.actions)
    return sorted(out)


def guardrails_set(settings: Settings) -> frozenset[str]:
    """The optional guardrail keys of ``[cluster]`` that ``settings`` set (:mod:`sparkify_nb.infra.guardrails`)."""
    return frozenset(k.setting for k in resource_kinds.KINDS if k.setting and settings.get("cluster", k.setting))


# --- the policy -------------------------------------------------------------------------

def policy(settings: Settings, account: str = "*", principal: str | None = None,
           partition: str = "aws") -> dict[str, Any]:
    """The operator's IAM policy (a dict ready for ``json.dumps``) for
    ``settings`` (``[cluster] kind`` and ``access``, names, region, sources,
    guardrails) on the ``redshift`` target: every action of :func:`actions`,
    each kept to this stack by the rules of :mod:`.scopes`. ``account``: the
    12-digit account id, or ``*``; ``principal``: the operator's user or role
    ARN (what the preflight may simulate; default: the IAM user itself).
    Raises :class:`.scopes.ScopeError` for an action no rule covers."""
    wanted = actions("redshift", settings.get("cluster", "kind"), settings.access, guardrails_set(settings))
    return {"Version": "2012-10-17",
            "Statement": scopes.statements(scopes.Stack(settings, account, partition, principal), wanted)}


def policy_json(settings: Settings, account: str = "*", principal: str | None = None) -> str:
    """:func:`policy` as indented JSON text (what ``sparkify-nb iam-policy`` prints)."""
    return json.dumps(policy(settings, account, principal), indent=2)
