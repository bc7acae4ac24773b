"""Every AWS permission the suite needs, listed once, and the operator's
least-privilege IAM policy built from that list.

Where the list comes from (:func:`actions`):

- the resource table, :data:`.resources.KINDS`: what 01, 99 and the controls
  do to each kind of resource (including the permissions AWS checks while it
  serves our calls: :data:`.resources.PERMISSION_ONLY`);
- :data:`NEEDS`: what the rest of the suite calls, by area (``preflight``,
  ``connection``, ``staging``), each for the targets, cluster kinds and access
  modes it applies to. Other packages add theirs with :func:`register`
  (``access.register(Need("connection", (...), kinds=("serverless",)))``) in
  a module named in :data:`REGISTERING_MODULES`, imported before the list is read.

A test runs 01-04 and 99 on the emulator recording every boto3 call
(:func:`sparkify_nb.aws.recording`) and fails when a call's action is missing
here; the policy is linted with ``parliament``.

:func:`policy` scopes each action to this stack's resources where AWS allows
it (the resource types each action takes are in the Service Authorization
Reference: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonredshift.html ,
.../list_amazonec2.html , .../list_amazonredshiftserverless.html ,
.../list_amazonredshiftdataapi.html , .../list_awsidentityandaccessmanagementiam.html ,
.../list_amazons3.html , .../list_awssecretsmanager.html). Redshift names
(cluster, parameter and subnet group, database user) and the IAM role are
ours, so those are exact; EC2 ids and Serverless ids are generated, so they
are scoped to this region and account by resource type; ``Describe*`` and
``List*`` calls take no resource, so ``*``.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from typing import Any

from ..config import Settings
from . import iam, resources

KINDS = ("provisioned", "serverless")
ACCESS = ("data_api", "direct")
TARGETS = ("local", "redshift")
REGISTERING_MODULES = ("sparkify_nb.warehouse.connect", "sparkify_nb.staging.redshift")


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
    Need("prices", ("pricing:GetProducts",), targets=("redshift",),
         why="sparkify-nb prices --refresh reads AWS's current prices from the Price List API (optional)"),
    Need("staging", ("s3:ListBucket", "s3:GetObject"),
         why="03 lists each source before its COPY and reads the first record after an 'auto' load that left a "
             "column NULL (the local COPY emulator reads the sources; on redshift COPY reads them with the role)"),
]


def register(need: Need) -> None:
    """Add what another area of the suite calls (kept once: registering the same need again is a no-op)."""
    if need not in NEEDS:
        NEEDS.append(need)


def _load_registrations() -> None:
    for name in REGISTERING_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:
            pass


def actions(target: str = "redshift", kind: str = "provisioned", access: str = "data_api",
            guardrails: frozenset[str] | None = None) -> list[str]:
    """Every IAM action a run of the suite needs on ``target`` with ``[cluster]
    kind`` and ``access``, sorted; ``guardrails``: the optional guardrail keys
    that are set (None: all, as if every one were)."""
    _load_registrations()
    out = set(resources.actions(target, kind, public=access == "direct", guardrails=guardrails))
    for need in NEEDS:
        if target in need.targets and kind in need.kinds and access in need.access:
            out |= set(need.actions)
    return sorted(out)


def guardrails_set(settings: Settings) -> frozenset[str]:
    """The optional guardrail keys of ``[cluster]`` that ``settings`` set (:mod:`.guardrails`)."""
    return frozenset(k.setting for k in resources.KINDS if k.setting and settings.get("cluster", k.setting))


# --- the policy -------------------------------------------------------------------------

_EC2_TYPES = ("vpc", "subnet", "security-group", "security-group-rule", "internet-gateway", "route-table",
              "vpc-endpoint")
# Actions whose Service Authorization Reference entry lists no resource type: they take "*".
_UNSCOPED = frozenset({
    "sts:GetCallerIdentity", "secretsmanager:GetRandomPassword", "s3:ListAllMyBuckets",
    "redshift:CreateScheduledAction", "redshift:ModifyScheduledAction", "redshift:DeleteScheduledAction",
    "redshift:DescribeScheduledActions", "redshift-serverless:ListNamespaces", "redshift-serverless:ListWorkgroups",
    "redshift-serverless:ListUsageLimits", "redshift-serverless:CreateUsageLimit",
    "redshift-serverless:UpdateUsageLimit", "redshift-serverless:DeleteUsageLimit",
    "logs:DescribeLogGroups", "pricing:GetProducts"})


def _unscoped(action: str) -> bool:
    """Actions that take no resource (``Describe*``, ``List*`` of whole services)."""
    service, name = action.split(":")
    if action in _UNSCOPED:
        return True
    if service == "redshift-data":
        return name not in ("ExecuteStatement", "BatchExecuteStatement")
    return service in ("ec2", "redshift") and name.startswith("Describe") and name not in (
        "DescribeClusterParameters", "DescribeLoggingStatus")


def _scope(settings: Settings, account: str) -> dict[str, list[str]]:
    """The resource ARNs of each service's scoped actions, for this stack."""
    region, stack = settings.region, settings.stack_name
    ident, db, user = (settings.get("cluster", k) for k in ("identifier", "db_name", "db_user"))
    redshift = f"arn:aws:redshift:{region}:{account}"
    serverless = f"arn:aws:redshift-serverless:{region}:{account}"
    buckets = iam.source_buckets(settings)
    objects = sorted({r for st in iam.role_policy(settings)["Statement"] if st["Action"] == "s3:GetObject"
                      for r in st["Resource"]})
    return {
        "ec2": [f"arn:aws:ec2:{region}:{account}:{t}/*" for t in _EC2_TYPES],
        "redshift": [f"{redshift}:cluster:{ident}", f"{redshift}:parametergroup:{stack}-params",
                     f"{redshift}:subnetgroup:{stack}-subnets", f"{redshift}:snapshot:{ident}/*",
                     f"{redshift}:dbname:{ident}/{db}", f"{redshift}:dbuser:{ident}/{user}"],
        # snapshot/*: ListSnapshots takes the snapshot resource type (Service Authorization Reference).
        "redshift-serverless": [f"{serverless}:namespace/*", f"{serverless}:workgroup/*", f"{serverless}:snapshot/*"],
        "redshift-data": [f"{redshift}:cluster:{ident}", f"{serverless}:workgroup/*"],
        "iam": [f"arn:aws:iam::{account}:role/{iam.role_name(settings)}",
                f"arn:aws:iam::{account}:role/{stack}-redshift-scheduler"],
        "s3-bucket": [f"arn:aws:s3:::{b}" for b in buckets],
        "s3-object": objects,
        "secretsmanager": [f"arn:aws:secretsmanager:{region}:{account}:secret:redshift!*"],
        # The audit log groups (.logs): provisioned and Serverless names, each group and its streams.
        "logs": [f"arn:aws:logs:{region}:{account}:log-group:/aws/redshift/cluster/{ident}/*",
                 f"arn:aws:logs:{region}:{account}:log-group:/aws/redshift/{ident}/*"],
    }


# Actions with their own resources or conditions (see the Service Authorization Reference pages above).
_SPECIAL: dict[str, tuple[str, list[str] | None, dict[str, Any] | None]] = {
    # The scheduler role (pause_schedule) goes to CreateScheduledAction; which service name IAM sees
    # then is not documented, so the scheduler's principal is allowed as well.
    "iam:PassRole": ("PassOurRolesToRedshift", None, {"StringEquals": {"iam:PassedToService": [
        "redshift.amazonaws.com", "redshift-serverless.amazonaws.com", "scheduler.redshift.amazonaws.com"]}}),
    "iam:CreateServiceLinkedRole": ("RedshiftServiceLinkedRole", [
        "arn:aws:iam::{account}:role/aws-service-role/redshift.amazonaws.com/AWSServiceRoleForRedshift"],
        {"StringLike": {"iam:AWSServiceName": "redshift.amazonaws.com"}}),
    "iam:SimulatePrincipalPolicy": ("SimulateYourOwnPermissions", [
        "arn:aws:iam::{account}:user/${aws:username}", "arn:aws:iam::{account}:role/*"], None),
}
_SIDS = {"ec2": "NetworkOfThisStack", "redshift": "ClusterOfThisStack", "redshift-serverless": "ServerlessOfThisStack",
         "redshift-data": "DataApiOnThisWarehouse", "iam": "RolesOfThisStack", "s3-bucket": "SourceBuckets",
         "s3-object": "SourceObjects", "secretsmanager": "ManagedAdminPassword", "logs": "AuditLogGroupsOfThisStack"}


def _group(action: str) -> str:
    service, name = action.split(":")
    if service == "s3":
        return "s3-object" if name in ("GetObject", "PutObject", "DeleteObject") else "s3-bucket"
    return service


def policy(settings: Settings, account: str = "*") -> dict[str, Any]:
    """The operator's IAM policy (a dict ready for ``json.dumps``) for
    ``settings`` (``[cluster] kind`` and ``access``, names, region, sources) on
    the ``redshift`` target: every action of :func:`actions` once, scoped as
    the module docstring says. ``account``: the 12-digit account id, or ``*``."""
    wanted = actions("redshift", settings.get("cluster", "kind"), settings.access, guardrails_set(settings))
    scope = _scope(settings, account)
    statements: list[dict[str, Any]] = []
    unscoped = [a for a in wanted if _unscoped(a)]
    if unscoped:
        statements.append({"Sid": "ReadOnlyCallsWithoutResources", "Effect": "Allow", "Action": unscoped,
                           "Resource": "*"})
    groups: dict[str, list[str]] = {}
    for action in wanted:
        if _unscoped(action):
            continue
        if action in _SPECIAL:
            sid, arns, condition = _SPECIAL[action]
            arns = [a.replace("{account}", account) for a in arns] if arns else scope["iam"]
            statements.append({"Sid": sid, "Effect": "Allow", "Action": action, "Resource": arns,
                               **({"Condition": condition} if condition else {})})
        else:
            groups.setdefault(_group(action), []).append(action)
    for group, acts in groups.items():
        if scope[group]:
            statements.append({"Sid": _SIDS[group], "Effect": "Allow", "Action": acts, "Resource": scope[group]})
    return {"Version": "2012-10-17", "Statement": statements}


def policy_json(settings: Settings, account: str = "*") -> str:
    """:func:`policy` as indented JSON text (what ``sparkify-nb iam-policy`` prints)."""
    return json.dumps(policy(settings, account), indent=2)
