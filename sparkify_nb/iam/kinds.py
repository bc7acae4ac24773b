"""The AWS actions (IAM action names such as ``ec2:CreateVpc``) each step of
each resource kind needs, and when a kind is made at all: the permissions'
half of the one ordered table of resource kinds.

:data:`sparkify_nb.infra.resources.KINDS` is that table: it joins each row
here, by name, to the functions that find, ensure and delete the kind, in the
order 01 makes them (it refuses to load when the two disagree on a name). The
operator's policy (:mod:`.operator`) is derived from :func:`actions`, so the
policy, provisioning, the inventory and teardown cannot disagree.

``Actions.ensure`` also names the permissions AWS checks while it serves a
call we make, without an API call of our own (``iam:PassRole`` when a role is
handed to Redshift, ``iam:CreateServiceLinkedRole`` the first time an account
makes a cluster, Secrets Manager for the managed admin password):
:data:`PERMISSION_ONLY` lists them.

When a kind is made: ``cluster_kind`` limits it to one ``[cluster] kind``;
``public_only`` marks what only ``[cluster] access = direct`` needs;
``local_only`` what only the ``local`` target makes, ``redshift_only`` what
only ``redshift`` needs (the work bucket of daily loads); ``setting`` the
``[cluster]`` key without which an optional guardrail is not made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Actions(NamedTuple):
    """The IAM actions each step of a kind needs (``check``: the controls 01 shows)."""

    find: tuple[str, ...] = ()
    ensure: tuple[str, ...] = ()
    delete: tuple[str, ...] = ()
    check: tuple[str, ...] = ()
    operate: tuple[str, ...] = ()  # sparkify-nb status, pause, resume


@dataclass(frozen=True)
class Permissions:
    """One kind of resource as the permissions see it (module docstring)."""

    name: str
    actions: Actions = field(default_factory=Actions)
    cluster_kind: str | None = None
    local_only: bool = False
    redshift_only: bool = False
    public_only: bool = False
    setting: str | None = None


_EC2_TAG = "ec2:CreateTags"  # tagging at creation (TagSpecifications) needs it too
_RS_TAG = "redshift:CreateTags"
# The Service Authorization Reference lists ec2:CreateTags as a dependent action of EC2's creates, but no
# redshift-serverless:TagResource for CreateNamespace / CreateWorkgroup (their dependent actions are KMS and
# Secrets Manager: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonredshiftserverless.html),
# so the policy does not grant TagResource: on an untaggable-by-name ARN it could claim another team's namespace.
# "Amazon Redshift creates a service-linked role in your account the first time you create a cluster or a
# Redshift-managed VPC endpoint" (https://docs.aws.amazon.com/redshift/latest/mgmt/using-service-linked-roles.html):
# the caller needs this then. Not on Serverless: that page names no namespace or workgroup, and the SAR lists no
# iam:CreateServiceLinkedRole among CreateNamespace's or CreateWorkgroup's dependent actions (sar.json); a
# Serverless stack's policy has none (AWS is silent on Serverless itself: unconfirmed, the narrower reading).
_SLR = "iam:CreateServiceLinkedRole"
# Redshift creates and rotates the managed admin password's secret on the caller's behalf
# (https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-secrets-manager-integration.html).
_SECRETS = ("secretsmanager:CreateSecret", "secretsmanager:DescribeSecret", "secretsmanager:UpdateSecret",
            "secretsmanager:RotateSecret", "secretsmanager:DeleteSecret", "secretsmanager:TagResource",
            "secretsmanager:GetRandomPassword")
PERMISSION_ONLY = frozenset({"iam:PassRole", _SLR, *_SECRETS})

# A role whose trust drifted is deleted and made again (no iam:UpdateAssumeRolePolicy: it takes no condition key).
_RECREATE = ("iam:ListRolePolicies", "iam:DeleteRolePolicy", "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy",
             "iam:DeleteRole")
# A role the stack makes with one inline policy under its boundary (the analysts', the scheduler's, the lease's).
_INLINE_POLICY_ROLE = Actions(
    find=("iam:ListRoleTags",),
    ensure=("iam:GetRole", "iam:CreateRole", "iam:TagRole", "iam:ListRoleTags", "iam:PutRolePermissionsBoundary",
            "iam:PutRolePolicy", *_RECREATE),
    delete=("iam:ListRolePolicies", "iam:DeleteRolePolicy", "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy",
            "iam:DeleteRole"))

KINDS: tuple[Permissions, ...] = (
    # The administrator makes it (:mod:`.admin`); 01 reads it back first, 99 leaves it.
    Permissions("permissions-boundary", Actions(find=("iam:GetPolicy",), ensure=("iam:GetPolicy",
                                                                                 "iam:GetPolicyVersion"))),
    Permissions("s3-bucket", Actions(
        find=("s3:ListAllMyBuckets", "s3:GetBucketTagging"),
        ensure=("s3:ListBucket", "s3:CreateBucket", "s3:PutBucketTagging", "s3:PutObject"),
        delete=("s3:ListBucket", "s3:DeleteObject", "s3:DeleteBucket")), local_only=True),
    Permissions("work-bucket", Actions(
        find=("s3:GetBucketTagging",),
        ensure=("s3:ListBucket", "s3:CreateBucket", "s3:PutBucketTagging", "s3:GetBucketLocation",
                "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration",
                "s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock",
                "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"),
        delete=("s3:ListBucket", "s3:DeleteObject", "s3:DeleteBucket"),
        check=("s3:GetBucketTagging", "s3:GetEncryptionConfiguration", "s3:GetBucketPublicAccessBlock",
               "s3:GetLifecycleConfiguration")), redshift_only=True),
    Permissions("iam-role", Actions(
        find=("iam:ListRoleTags",),
        ensure=("iam:GetRole", "iam:CreateRole", "iam:TagRole", "iam:ListRoleTags", "iam:PutRolePermissionsBoundary",
                "iam:GetRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy", *_RECREATE),
        delete=("iam:ListRolePolicies", "iam:DeleteRolePolicy", "iam:ListAttachedRolePolicies",
                "iam:DetachRolePolicy", "iam:DeleteRole"),
        check=("iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:GetRolePolicy"))),
    Permissions("analyst-role", _INLINE_POLICY_ROLE, cluster_kind="serverless"),
    Permissions("vpc", Actions(find=("ec2:DescribeVpcs",), ensure=("ec2:CreateVpc", _EC2_TAG),
                               delete=("ec2:DeleteVpc",))),
    Permissions("subnet", Actions(
        find=("ec2:DescribeSubnets",), ensure=("ec2:DescribeAvailabilityZones", "redshift:DescribeOrderableClusterOptions",
                                                "ec2:CreateSubnet", _EC2_TAG),
        delete=("ec2:DeleteSubnet",), check=("redshift:DescribeClusterSubnetGroups",))),
    Permissions("security-group", Actions(
        find=("ec2:DescribeSecurityGroups",),
        ensure=("ec2:CreateSecurityGroup", _EC2_TAG, "ec2:RevokeSecurityGroupIngress",
                "ec2:AuthorizeSecurityGroupIngress"),
        delete=("ec2:DeleteSecurityGroup",), check=("ec2:DescribeSecurityGroups",))),
    Permissions("internet-gateway", Actions(
        find=("ec2:DescribeInternetGateways",),
        ensure=("ec2:CreateInternetGateway", _EC2_TAG, "ec2:AttachInternetGateway"),
        delete=("ec2:DetachInternetGateway", "ec2:DeleteInternetGateway"),
        check=("ec2:DescribeInternetGateways",)), public_only=True),
    Permissions("route-table", Actions(
        find=("ec2:DescribeRouteTables",),
        ensure=("ec2:CreateRouteTable", _EC2_TAG, "ec2:CreateRoute", "ec2:AssociateRouteTable"),
        delete=("ec2:DisassociateRouteTable", "ec2:DeleteRouteTable"))),
    Permissions("s3-endpoint", Actions(
        find=("ec2:DescribeVpcEndpoints",),
        ensure=("ec2:CreateVpcEndpoint", _EC2_TAG, "ec2:ModifyVpcEndpoint"),
        delete=("ec2:DeleteVpcEndpoints",), check=("ec2:DescribeVpcEndpoints",))),
    Permissions("log-group", Actions(
        find=("logs:DescribeLogGroups", "logs:ListTagsForResource"),
        ensure=("logs:CreateLogGroup", "logs:TagResource", "logs:PutRetentionPolicy"),
        delete=("logs:DeleteLogGroup", "logs:UntagResource"))),
    Permissions("cluster-parameter-group", Actions(
        find=("redshift:DescribeClusterParameterGroups",),
        ensure=("redshift:CreateClusterParameterGroup", _RS_TAG, "redshift:ModifyClusterParameterGroup"),
        delete=("redshift:DeleteClusterParameterGroup",), check=("redshift:DescribeClusterParameters",)),
        cluster_kind="provisioned"),
    Permissions("cluster-subnet-group", Actions(
        find=("redshift:DescribeClusterSubnetGroups",),
        ensure=("redshift:CreateClusterSubnetGroup", _RS_TAG),
        delete=("redshift:DeleteClusterSubnetGroup",)), cluster_kind="provisioned"),
    Permissions("cluster", Actions(
        find=("redshift:DescribeClusters", "redshift:DescribeClusterSnapshots"),
        ensure=("redshift:CreateCluster", _RS_TAG, "iam:PassRole", _SLR, *_SECRETS, "redshift:ModifyCluster",
                "redshift:DescribeLoggingStatus", "redshift:EnableLogging", "redshift:ResumeCluster",
                "redshift:ModifyClusterIamRoles"),
        delete=("redshift:DeleteCluster", "redshift:CreateClusterSnapshot"),
        check=("redshift:DescribeClusters", "redshift:DescribeLoggingStatus"),
        operate=("redshift:DescribeClusters", "redshift:PauseCluster", "redshift:ResumeCluster")),
        cluster_kind="provisioned"),
    Permissions("scheduler-role", _INLINE_POLICY_ROLE, cluster_kind="provisioned", setting="pause_schedule"),
    Permissions("pause-schedule", Actions(
        find=("redshift:DescribeScheduledActions",),
        ensure=("redshift:CreateScheduledAction", "redshift:ModifyScheduledAction", "iam:PassRole"),
        delete=("redshift:DeleteScheduledAction",)), cluster_kind="provisioned", setting="pause_schedule"),
    Permissions("serverless-namespace", Actions(
        # ListSnapshots: status and 99 report a kept final snapshot, whatever the kind.
        find=("redshift-serverless:ListNamespaces", "redshift-serverless:ListTagsForResource",
              "redshift-serverless:ListSnapshots"),
        ensure=("redshift-serverless:GetNamespace", "redshift-serverless:ListTagsForResource",
                "redshift-serverless:CreateNamespace", "redshift-serverless:UpdateNamespace", "iam:PassRole",
                *_SECRETS),
        delete=("redshift-serverless:DeleteNamespace", "redshift-serverless:GetNamespace"),
        check=("redshift-serverless:GetNamespace",)), cluster_kind="serverless"),
    Permissions("serverless-workgroup", Actions(
        find=("redshift-serverless:ListWorkgroups", "redshift-serverless:ListTagsForResource"),
        ensure=("redshift-serverless:GetWorkgroup", "redshift-serverless:ListTagsForResource",
                "redshift-serverless:CreateWorkgroup", "redshift-serverless:UpdateWorkgroup"),
        delete=("redshift-serverless:DeleteWorkgroup", "redshift-serverless:GetWorkgroup"),
        check=("redshift-serverless:GetWorkgroup", "ec2:DescribeSubnets"),
        operate=("redshift-serverless:GetWorkgroup", "redshift-serverless:ListUsageLimits")),
        cluster_kind="serverless"),
    Permissions("serverless-usage-limit", Actions(
        find=("redshift-serverless:ListWorkgroups", "redshift-serverless:ListTagsForResource",
              "redshift-serverless:ListUsageLimits"),
        ensure=("redshift-serverless:CreateUsageLimit", "redshift-serverless:UpdateUsageLimit"),
        delete=("redshift-serverless:DeleteUsageLimit",)), cluster_kind="serverless", setting="max_rpu_hours_per_day"),
    # The lease (:mod:`.lease`): after the warehouse, so that 01 makes it once the warehouse exists and 99 removes it
    # first. Only the redshift target makes it (the local target bills nothing); its role before its schedules.
    Permissions("lease-role", _INLINE_POLICY_ROLE._replace(ensure=_INLINE_POLICY_ROLE.ensure + ("iam:GetRolePolicy",)),
                redshift_only=True, setting="lease_hours"),  # its policy is read first: each 01 makes the lease
    Permissions("lease-schedule", Actions(
        find=("scheduler:GetSchedule",),
        ensure=("scheduler:GetSchedule", "scheduler:CreateSchedule", "scheduler:UpdateSchedule",
                "scheduler:DeleteSchedule", "iam:PassRole"),
        delete=("scheduler:DeleteSchedule",)),  # `sparkify-nb lease extend` makes ensure's calls, with a lease only
        redshift_only=True, setting="lease_hours"),
)


def of(name: str) -> Permissions:
    """The row called ``name`` (e.g. ``"vpc"``); KeyError for an unknown one."""
    for k in KINDS:
        if k.name == name:
            return k
    raise KeyError(f"no resource kind {name!r}; known: {', '.join(k.name for k in KINDS)}")


def actions(target: str | None = None, cluster_kind: str | None = None, public: bool | None = None,
            guardrails: frozenset[str] | None = None) -> list[str]:
    """Every AWS action (IAM action name) the stack's steps need, sorted;
    with ``target = "redshift"`` without the kinds only ``local`` makes (``"local"``: without
    those only ``redshift`` makes), with
    ``cluster_kind`` without making the other kind's resources, with ``public
    = False`` without making what only ``access = direct`` needs, with
    ``guardrails`` (the ``[cluster]`` keys set, e.g. ``{"pause_schedule"}``)
    without making the optional guardrails that are not set. Teardown and the
    inventory look for everything (a stack switched from one kind or mode to
    the other must be found and removed), so ``find`` and ``delete`` stay, as
    do ``operate`` (``sparkify-nb status``, ``pause``, ``resume``)."""
    out = set()
    for k in KINDS:
        if (target == "redshift" and k.local_only) or (target == "local" and k.redshift_only):
            continue
        if cluster_kind is not None and k.cluster_kind not in (None, cluster_kind):
            out |= set(k.actions.find) | set(k.actions.delete)  # 99 on a stack switched between kinds
            continue
        out |= set(k.actions.find) | set(k.actions.delete) | set(k.actions.check) | set(k.actions.operate)
        if (public is False and k.public_only) or (guardrails is not None and k.setting and
                                                   k.setting not in guardrails):
            continue
        out |= set(k.actions.ensure)
    return sorted(out)
