"""Every AWS name the suite makes from ``[general] stack_name`` and ``[cluster]
identifier``, checked when the settings load against the rules of the API that
takes it, so a name AWS would refuse stops :func:`sparkify_nb.config.load`
naming the key, the derived name and what is allowed, before anything is made.

Where botocore's service model states a pattern and lengths, they are used as
written there (``botocore/data/<service>/<version>/service-2.json``):

- Redshift Serverless ``namespaceName`` / ``workgroupName`` (CreateNamespace,
  CreateWorkgroup): pattern ``^[a-z0-9-]+$``, 3 to 64 characters;
- IAM ``RoleName`` (CreateRole): pattern ``[\\w+=,.@-]+``, 1 to 64 characters;
- CloudWatch Logs ``logGroupName`` (CreateLogGroup): pattern
  ``[\\.\\-_/#A-Za-z0-9]+``, 1 to 512 characters.

Where the model has no pattern (Redshift's names are plain strings there), the
constraints its documentation lists for the member are used:

- ``ClusterIdentifier`` (CreateCluster): 1 to 63 letters, digits or hyphens,
  lowercase, first a letter, not ending with a hyphen, no two hyphens in a row
  (https://docs.aws.amazon.com/redshift/latest/APIReference/API_CreateCluster.html);
- ``ParameterGroupName`` (CreateClusterParameterGroup) and
  ``FinalClusterSnapshotIdentifier`` (DeleteCluster): 1 to 255, the same
  letter/hyphen rules;
- ``ClusterSubnetGroupName`` (CreateClusterSubnetGroup): at most 255 letters,
  digits or hyphens, not ``Default``;
- ``ScheduledActionName`` (CreateScheduledAction): the model and its page say
  only that it is unique in the account; unconfirmed, so the parameter
  group's rules are applied (refusing rather than guessing);
- EC2 ``GroupName`` (CreateSecurityGroup): up to 255 characters, not starting
  with ``sg-``;
- S3 bucket names (the sample-data bucket on ``local``, the work bucket
  ``<stack>-work-<account>`` on ``redshift``): 3 to 63 lowercase letters,
  digits, dots or hyphens, beginning and ending with a letter or digit, no
  reserved prefix or suffix (``xn--``, ``sthree-``, ``amzn-s3-demo-``;
  ``-s3alias``, ``--ol-s3``, ...)
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).

A stack name of one or two letters is fine (no name made from it is shorter
than 3); the identifier is refused below 3 characters, because on Serverless it
is the namespace and workgroup name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

Rule = Callable[[str], str | None]  # the problem with a name, or None when AWS takes it


def _redshift(max_len: int) -> Rule:
    """Redshift's documented rule for identifiers and group names (see module docstring)."""
    def check(name: str) -> str | None:
        if not (re.fullmatch(r"[a-z][a-z0-9-]*", name) and len(name) <= max_len and not name.endswith("-")
                and "--" not in name):
            return (f"1 to {max_len} lowercase letters, digits or hyphens, starting with a letter, not ending with a "
                    "hyphen, no two hyphens in a row")
        return None
    return check


def _pattern(pattern: str, lo: int, hi: int, words: str) -> Rule:
    def check(name: str) -> str | None:
        return None if re.fullmatch(pattern, name) and lo <= len(name) <= hi else f"{words}, {lo} to {hi} characters"
    return check


def _subnet_group(name: str) -> str | None:
    if re.fullmatch(r"[A-Za-z0-9-]{1,255}", name) and name.lower() != "default":
        return None
    return "at most 255 letters, digits or hyphens, not 'Default'"


def _security_group(name: str) -> str | None:
    if 1 <= len(name) <= 255 and not name.startswith("sg-"):
        return None
    return "1 to 255 characters, not starting with 'sg-'"


def bucket_problem(name: str) -> str | None:
    """What S3 refuses in the bucket name ``name`` (module docstring), or None."""
    if re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name) and ".." not in name and not _RESERVED.search(name):
        return None
    return ("3 to 63 lowercase letters, digits, dots or hyphens, beginning and ending with a letter or digit, not "
            "starting with xn--, sthree- or amzn-s3-demo-")


_RESERVED = re.compile(r"^(xn--|sthree-|amzn-s3-demo-)|(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$")


@dataclass(frozen=True)
class Derived:
    """One AWS name made from a settings key: ``template`` with ``{}`` for the
    key's value, ``what`` the resource and the API member that takes it."""

    key: tuple[str, str]
    template: str
    what: str
    rule: Rule


_STACK, _IDENT = ("general", "stack_name"), ("cluster", "identifier")
_ROLE = _pattern(r"[\w+=,.@-]+", 1, 64, "letters, digits and +=,.@_-")
_SERVERLESS = _pattern(r"[a-z0-9-]+", 3, 64, "lowercase letters, digits and hyphens")
_LOG_GROUP = _pattern(r"[.\-_/#A-Za-z0-9]+", 1, 512, "letters, digits and ._-/#")
# A final snapshot is "<identifier>-final-YYYYmmdd-HHMMSS" (infra.cluster.stamp()).
_STAMP = "-final-20260101-000000"

NAMES: tuple[Derived, ...] = (
    Derived(_STACK, "{}-params", "Redshift parameter group (CreateClusterParameterGroup ParameterGroupName)",
            _redshift(255)),
    Derived(_STACK, "{}-subnets", "Redshift subnet group (CreateClusterSubnetGroup ClusterSubnetGroupName)",
            _subnet_group),
    Derived(_STACK, "{}-redshift-copy", "IAM role (CreateRole RoleName)", _ROLE),
    Derived(_STACK, "{}-redshift-scheduler", "IAM role (CreateRole RoleName)", _ROLE),
    Derived(_STACK, "{}-pause", "Redshift scheduled action (CreateScheduledAction ScheduledActionName)",
            _redshift(255)),
    Derived(_STACK, "{}-redshift", "security group (CreateSecurityGroup GroupName)", _security_group),
    Derived(_STACK, "{}-data", "S3 bucket of the local sample data", bucket_problem),
    # <stack>-work-<12-digit account>: the daily loads' work bucket on redshift (infra/workbucket.py)
    Derived(_STACK, "{}-work-123456789012", "S3 work bucket (CreateBucket Bucket)", bucket_problem),
    Derived(_IDENT, "{}", "Redshift cluster (CreateCluster ClusterIdentifier)", _redshift(63)),
    Derived(_IDENT, "{}", "Redshift Serverless namespace and workgroup (CreateNamespace namespaceName, "
                          "CreateWorkgroup workgroupName)", _SERVERLESS),
    Derived(_IDENT, "{}" + _STAMP, "final snapshot (DeleteCluster FinalClusterSnapshotIdentifier)", _redshift(255)),
    Derived(_IDENT, "/aws/redshift/cluster/{}/useractivitylog", "audit log group (CreateLogGroup logGroupName)",
            _LOG_GROUP),
)


def problems(values: dict[tuple[str, str], Any]) -> list[tuple[tuple[str, str], str]]:
    """``(key, problem)`` for each derived name AWS would refuse, first per key
    only (one message says what to change)."""
    out: dict[tuple[str, str], str] = {}
    for derived in NAMES:
        if derived.key in out:
            continue
        name = derived.template.format(values[derived.key])
        wrong = derived.rule(name)
        if wrong:
            out[derived.key] = (f"expected a value from which every AWS name made is valid: the {derived.what} would "
                                f"be {name!r}, which AWS refuses (it takes {wrong})")
    return list(out.items())
