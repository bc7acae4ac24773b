"""How the operator policy keeps each action to this stack: the rules
:func:`.operator.policy` builds its statements from.

Every action the suite calls (:func:`.operator.actions`) must be covered by at
least one :class:`Rule`; :func:`statements` raises :class:`ScopeError` for one
that is not, so an action added to the resource table or a ``Need`` without a
rule here cannot reach the policy unscoped. How a rule scopes, in order of
preference (the resource types and condition keys of each action are in the
Service Authorization Reference, :data:`PAGES`):

- by name, where the ARN carries a name that is ours: the cluster, its
  parameter and subnet groups, snapshots and database users, the roles, the
  boundary policy, the cluster's admin secret, the source buckets;
- by the stack's tag, where the ARN ends in a generated id (EC2's
  ``vpc/vpc-0abc``, Serverless ``workgroup/<uuid>``): ``aws:ResourceTag/sparkify:stack``
  for what exists, ``aws:RequestTag/sparkify:stack`` plus ``aws:TagKeys`` for
  every create that can tag on creation (so nothing can be made untagged, and
  no tag but ours can be set);
- ``Resource: "*"`` only for the actions AWS documents with no resource type
  (:data:`NO_RESOURCE`, each with its page), narrowed to this region
  (``aws:RequestedRegion``) or, for the Data API's statement calls, to the
  caller's own statements (``redshift-data:statement-owner-iam-userid``);
- reads that find the stack among all resources of a type
  (:data:`READ_TO_FIND`, each with why a tag condition cannot do).

Other packages add rules with :func:`register` (as they add needs with
:func:`.operator.register`).

The rules live per service (:mod:`.rules_ec2`, :mod:`.rules_redshift`,
:mod:`.rules_iam`, :mod:`.rules_s3`, :mod:`.rules_lease`) on the shapes of :mod:`.rule`; here
are the actions on ``*`` and the order the statements come in.
"""

from __future__ import annotations

from typing import Any

from . import rules_ec2, rules_iam, rules_lease, rules_redshift, rules_s3
from .errors import ScopeError
from .rule import PAGES, SAR, Rule, Stack, in_region, request_tagged, resource_tagged  # noqa: F401 (re-exported)
from .rules_redshift import READ_TO_FIND  # noqa: F401 (re-exported)
from .tags import OWNER_KEY, TAG_KEY  # noqa: F401 (re-exported)

# The only actions on Resource "*": their Service Authorization Reference entry lists no resource type
# ("If there is no value for this column, you must specify all resources ("*")"). The page is the service's.
NO_RESOURCE: frozenset[str] = frozenset({
    "sts:GetCallerIdentity", "secretsmanager:GetRandomPassword", "s3:ListAllMyBuckets",
    "ec2:DescribeAvailabilityZones", "ec2:DescribeInternetGateways", "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcEndpoints", "ec2:DescribeVpcs",
    "redshift:DescribeClusters", "redshift:DescribeClusterParameterGroups", "redshift:DescribeClusterSubnetGroups",
    "redshift:DescribeClusterSnapshots", "redshift:DescribeScheduledActions", "redshift:CreateScheduledAction",
    "redshift:ModifyScheduledAction", "redshift:DeleteScheduledAction",
    "redshift-serverless:ListNamespaces", "redshift-serverless:ListWorkgroups", "redshift-serverless:ListUsageLimits",
    "redshift-serverless:CreateUsageLimit", "redshift-serverless:UpdateUsageLimit",
    "redshift-serverless:DeleteUsageLimit",
    "redshift-data:DescribeStatement", "redshift-data:GetStatementResult", "redshift-data:CancelStatement",
    "redshift:DescribeOrderableClusterOptions", "logs:DescribeLogGroups", "pricing:GetProducts"})
# Not answered by an endpoint of the stack's region (the Price List API has its own few).
GLOBAL = frozenset({"sts:GetCallerIdentity", "s3:ListAllMyBuckets", "pricing:GetProducts"})
OWN_STATEMENTS = frozenset({"redshift-data:DescribeStatement", "redshift-data:GetStatementResult",
                            "redshift-data:CancelStatement"})


# Creates that could tag on creation but do not carry the stack's tag, each with why it is still ours.
UNTAGGED_CREATES = {
    "redshift:CreateClusterSnapshot": "the final snapshot DeleteCluster takes (no tags in that request); its ARN "
                                      "is named after our cluster",
    "secretsmanager:CreateSecret": "Redshift creates the admin secret on our behalf; its name starts with our "
                                   "cluster and user",
    "secretsmanager:TagResource": "Redshift tags the admin secret it makes; by name as above",
    "ec2:AuthorizeSecurityGroupIngress": "the new rule is not tagged; the security group it changes must be",
}

RULES: list[Rule] = [
    Rule("CallsThatTakeNoResourceInThisRegion", NO_RESOURCE - GLOBAL - OWN_STATEMENTS, lambda s: ["*"], in_region,
         "Describe/List calls and scheduled actions, usage limits: AWS lists no resource type for them"),
    Rule("CallsThatTakeNoResourceAnyRegion", GLOBAL, lambda s: ["*"],
         why="sts:GetCallerIdentity (which needs no permission) and the Price List API take no resource and are "
             "not answered in the stack's region"),
    Rule("OnlyYourOwnDataApiStatements", OWN_STATEMENTS, lambda s: ["*"],
         lambda s: {"StringEquals": {"redshift-data:statement-owner-iam-userid": "${aws:userid}"}},
         "statements you ran yourself (the Data API's statement-owner condition key)"),
    *rules_ec2.RULES, *rules_redshift.RULES, *rules_iam.RULES, *rules_s3.RULES, *rules_s3.WORK_BUCKET,
    *rules_lease.RULES,
]


def register(rule: Rule) -> None:
    """Add a rule (kept once)."""
    if rule not in RULES:
        RULES.append(rule)


def statements(stack: Stack, actions: list[str]) -> list[dict[str, Any]]:
    """The policy statements for ``actions`` on ``stack``: one per rule that
    holds some of them and has resources. Raises :class:`ScopeError` naming
    every action no rule holds."""
    missing = sorted(set(actions) - {a for rule in RULES if rule.effect == "Allow" for a in rule.actions})
    if missing:
        raise ScopeError(f"no scope for {', '.join(missing)}: add a Rule to sparkify_nb/iam/scopes.py (by name, "
                         "by the stack's tag, or on '*' for an action AWS documents with no resource)")
    out = []
    for rule in RULES:
        held = sorted(set(actions) & rule.actions)
        resources = rule.resources(stack) if held else []
        if not resources:
            continue
        condition = rule.condition(stack)
        out.append({"Sid": rule.sid, "Effect": rule.effect, "Action": held,
                    "Resource": resources, **({"Condition": condition} if condition else {})})
    return out
