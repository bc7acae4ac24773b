"""The one ordered table of the resource kinds a stack is made of.

Each :class:`Kind` says how to find the stack's instances (by tag), how to
make sure one exists and matches the settings, how to delete one, and which
AWS actions (IAM action names such as ``ec2:CreateVpc``) each of those steps
needs. Everything that walks the stack reads this table, so none of them can
disagree:

- provisioning runs the ``ensure`` steps in table order (:func:`provisioning_order`);
- the inventory (``tagged_resources``), teardown and teardown's dry run list
  and delete in the reverse order (:func:`teardown_order`): what depends on
  something goes before it;
- :func:`actions` is every AWS action the stack needs (the operator's policy
  is derived from it).

A kind with ``ensure = None`` is made elsewhere (the sample-data bucket, by
:func:`.sample.seed_sample_data`) but found and deleted like the rest.
``cluster_kind`` limits provisioning to one ``[cluster] kind``; ``billed``
marks what costs money while it exists (left from another kind, it is warned
about); ``public_only`` what only ``[cluster] access = direct`` needs (its
``ensure`` still runs, to report one left from such a run); ``local_only``
what only the ``local`` target makes, ``redshift_only`` what only ``redshift``
needs (the work bucket of daily loads: :mod:`.workbucket`); ``setting`` the ``[cluster]`` key
without which an optional guardrail (:mod:`.guardrails`) is not made (its
``ensure`` still runs, to remove one an earlier run made).

``Actions.ensure`` also names the permissions AWS checks while it serves a
call we make, without an API call of our own (``iam:PassRole`` when a role is
handed to Redshift, ``iam:CreateServiceLinkedRole`` the first time an account
makes a cluster, Secrets Manager for the managed admin password):
:data:`PERMISSION_ONLY` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

from . import analyst, boundary, cluster, guardrails, iam, logs, network, routes, sample, serverless, workbucket
from .context import Context

Find = Callable[[Context], list[dict[str, Any]]]
Ensure = Callable[[Context, dict[str, Any]], dict[str, Any]]
Delete = Callable[[Context, dict[str, Any]], None]


class Actions(NamedTuple):
    """The IAM actions each step of a kind needs (``check``: :mod:`.controls`)."""

    find: tuple[str, ...] = ()
    ensure: tuple[str, ...] = ()
    delete: tuple[str, ...] = ()
    check: tuple[str, ...] = ()
    operate: tuple[str, ...] = ()  # sparkify-nb status, pause, resume (:mod:`.billing`, :mod:`.pause`)


@dataclass(frozen=True)
class Kind:
    """One kind of resource: ``name`` is the word the inventory uses
    (``"security-group sg-123"``), ``label`` the words of progress lines,
    ``id_key`` the field of a found item that identifies it."""

    name: str
    label: str
    id_key: str
    find: Find
    ensure: Ensure | None
    delete: Delete
    actions: Actions = field(default_factory=Actions)
    cluster_kind: str | None = None
    billed: bool = False
    local_only: bool = False
    redshift_only: bool = False
    public_only: bool = False
    setting: str | None = None  # made only when this [cluster] key is set (an optional guardrail)

    def describe(self, item: dict[str, Any]) -> str:
        """``"<name> <id>"``, as the inventory and the dry run list it."""
        return f"{self.name} {item[self.id_key]}"


_EC2_TAG = "ec2:CreateTags"  # tagging at creation (TagSpecifications) needs it too
_RS_TAG = "redshift:CreateTags"
# The Service Authorization Reference lists ec2:CreateTags as a dependent action of EC2's creates, but no
# redshift-serverless:TagResource for CreateNamespace / CreateWorkgroup (their dependent actions are KMS and
# Secrets Manager: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonredshiftserverless.html),
# so the policy does not grant TagResource: on an untaggable-by-name ARN it could claim another team's namespace.
# "Amazon Redshift creates a service-linked role in your account the first time you create a cluster"
# (https://docs.aws.amazon.com/redshift/latest/mgmt/using-service-linked-roles.html): the caller needs this then.
_SLR = "iam:CreateServiceLinkedRole"
# Redshift creates and rotates the managed admin password's secret on the caller's behalf
# (https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-secrets-manager-integration.html).
_SECRETS = ("secretsmanager:CreateSecret", "secretsmanager:DescribeSecret", "secretsmanager:UpdateSecret",
            "secretsmanager:RotateSecret", "secretsmanager:DeleteSecret", "secretsmanager:TagResource",
            "secretsmanager:GetRandomPassword")
PERMISSION_ONLY = frozenset({"iam:PassRole", _SLR, *_SECRETS})

# A role the stack makes with one inline policy under its boundary (the analysts' and the scheduler's).
_INLINE_POLICY_ROLE = Actions(
    find=("iam:ListRoleTags",),
    ensure=("iam:GetRole", "iam:CreateRole", "iam:TagRole", "iam:ListRoleTags", "iam:PutRolePermissionsBoundary",
            "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy"),
    delete=("iam:ListRolePolicies", "iam:DeleteRolePolicy", "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy",
            "iam:DeleteRole"))

KINDS: tuple[Kind, ...] = (
    Kind("s3-bucket", "S3 bucket", "Name", sample.find_buckets, None, sample.delete_bucket, Actions(
        find=("s3:ListAllMyBuckets", "s3:GetBucketTagging"),
        ensure=("s3:ListBucket", "s3:CreateBucket", "s3:PutBucketTagging", "s3:PutObject"),
        delete=("s3:ListBucket", "s3:DeleteObject", "s3:DeleteBucket")), local_only=True),
    Kind("work-bucket", "S3 work bucket", "Name", workbucket.find_work_bucket, workbucket.ensure_work_bucket,
         workbucket.delete_work_bucket, Actions(
             find=("s3:GetBucketTagging",),
             ensure=("s3:ListBucket", "s3:CreateBucket", "s3:PutBucketTagging", "s3:GetBucketLocation",
                     "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration",
                     "s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock",
                     "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"),
             delete=("s3:ListBucket", "s3:DeleteObject", "s3:DeleteBucket"),
             check=("s3:GetBucketTagging", "s3:GetEncryptionConfiguration", "s3:GetBucketPublicAccessBlock",
                    "s3:GetLifecycleConfiguration")), redshift_only=True),
    Kind("permissions-boundary", "permissions boundary", "PolicyName", boundary.find_boundary,
         boundary.ensure_boundary, boundary.delete_boundary, Actions(
             find=("iam:GetPolicy",),
             ensure=("iam:GetPolicy", "iam:GetPolicyVersion", "iam:CreatePolicy", "iam:TagPolicy"),
             delete=("iam:ListPolicyVersions", "iam:DeletePolicyVersion", "iam:DeletePolicy"))),
    Kind("iam-role", "IAM role", "RoleName", iam.find_role, iam.ensure_role, iam.delete_role, Actions(
        find=("iam:ListRoleTags",),
        ensure=("iam:GetRole", "iam:CreateRole", "iam:TagRole", "iam:ListRoleTags", "iam:PutRolePermissionsBoundary",
                "iam:UpdateAssumeRolePolicy", "iam:GetRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy"),
        delete=("iam:ListRolePolicies", "iam:DeleteRolePolicy", "iam:ListAttachedRolePolicies",
                "iam:DetachRolePolicy", "iam:DeleteRole"),
        check=("iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:GetRolePolicy"))),
    Kind("analyst-role", "IAM role", "RoleName", analyst.find_analyst_role, analyst.ensure_analyst_role,
         iam.delete_role, _INLINE_POLICY_ROLE, cluster_kind="serverless"),
    Kind("vpc", "VPC", "VpcId", network.find_vpcs, network.ensure_vpc, network.delete_vpc, Actions(
        find=("ec2:DescribeVpcs",), ensure=("ec2:CreateVpc", _EC2_TAG), delete=("ec2:DeleteVpc",))),
    Kind("subnet", "subnet", "SubnetId", network.find_subnets, network.ensure_subnets, network.delete_subnet, Actions(
        find=("ec2:DescribeSubnets",), ensure=("ec2:DescribeAvailabilityZones", "redshift:DescribeOrderableClusterOptions",
                                                "ec2:CreateSubnet", _EC2_TAG),
        delete=("ec2:DeleteSubnet",), check=("redshift:DescribeClusterSubnetGroups",))),
    Kind("security-group", "security group", "GroupId", network.find_security_groups, network.ensure_security_group,
         network.delete_security_group, Actions(
             find=("ec2:DescribeSecurityGroups",),
             ensure=("ec2:CreateSecurityGroup", _EC2_TAG, "ec2:RevokeSecurityGroupIngress",
                     "ec2:AuthorizeSecurityGroupIngress"),
             delete=("ec2:DeleteSecurityGroup",), check=("ec2:DescribeSecurityGroups",))),
    Kind("internet-gateway", "internet gateway", "InternetGatewayId", routes.find_internet_gateways,
         routes.ensure_internet_gateway, routes.delete_internet_gateway, Actions(
             find=("ec2:DescribeInternetGateways",),
             ensure=("ec2:CreateInternetGateway", _EC2_TAG, "ec2:AttachInternetGateway"),
             delete=("ec2:DetachInternetGateway", "ec2:DeleteInternetGateway"),
             check=("ec2:DescribeInternetGateways",)), public_only=True),
    Kind("route-table", "route table", "RouteTableId", routes.find_route_tables, routes.ensure_route_table,
         routes.delete_route_table, Actions(
             find=("ec2:DescribeRouteTables",),
             ensure=("ec2:CreateRouteTable", _EC2_TAG, "ec2:CreateRoute", "ec2:AssociateRouteTable"),
             delete=("ec2:DisassociateRouteTable", "ec2:DeleteRouteTable"))),
    Kind("s3-endpoint", "S3 gateway endpoint", "VpcEndpointId", routes.find_s3_endpoints, routes.ensure_s3_endpoint,
         routes.delete_s3_endpoint, Actions(
             find=("ec2:DescribeVpcEndpoints",),
             ensure=("ec2:CreateVpcEndpoint", _EC2_TAG, "ec2:ModifyVpcEndpoint"),
             delete=("ec2:DeleteVpcEndpoints",), check=("ec2:DescribeVpcEndpoints",))),
    # Before the cluster and namespace: made before Redshift writes to them, deleted after the warehouse is gone.
    Kind("log-group", "log group", "logGroupName", logs.find_log_groups, logs.ensure_log_groups, logs.delete_log_group,
         Actions(find=("logs:DescribeLogGroups", "logs:ListTagsForResource"),
                 ensure=("logs:CreateLogGroup", "logs:TagResource", "logs:PutRetentionPolicy"),
                 delete=("logs:DeleteLogGroup", "logs:UntagResource")), billed=True),
    Kind("cluster-parameter-group", "parameter group", "ParameterGroupName", cluster.find_parameter_groups,
         cluster.ensure_parameter_group, cluster.delete_parameter_group, Actions(
             find=("redshift:DescribeClusterParameterGroups",),
             ensure=("redshift:CreateClusterParameterGroup", _RS_TAG, "redshift:ModifyClusterParameterGroup"),
             delete=("redshift:DeleteClusterParameterGroup",), check=("redshift:DescribeClusterParameters",)),
         cluster_kind="provisioned"),
    Kind("cluster-subnet-group", "cluster subnet group", "ClusterSubnetGroupName", cluster.find_subnet_groups,
         cluster.ensure_subnet_group, cluster.delete_subnet_group, Actions(
             find=("redshift:DescribeClusterSubnetGroups",),
             ensure=("redshift:CreateClusterSubnetGroup", _RS_TAG),
             delete=("redshift:DeleteClusterSubnetGroup",)), cluster_kind="provisioned"),
    Kind("cluster", "cluster", "ClusterIdentifier", cluster.find_clusters, cluster.ensure_cluster,
         cluster.delete_cluster, Actions(
             find=("redshift:DescribeClusters", "redshift:DescribeClusterSnapshots"),
             ensure=("redshift:CreateCluster", _RS_TAG, "iam:PassRole", _SLR, *_SECRETS, "redshift:ModifyCluster",
                     "redshift:DescribeLoggingStatus", "redshift:EnableLogging", "redshift:ResumeCluster",
                     "redshift:ModifyClusterIamRoles"),
             delete=("redshift:DeleteCluster", "redshift:CreateClusterSnapshot"),
             check=("redshift:DescribeClusters", "redshift:DescribeLoggingStatus"),
             operate=("redshift:DescribeClusters", "redshift:PauseCluster", "redshift:ResumeCluster")),
         cluster_kind="provisioned", billed=True),
    Kind("scheduler-role", "IAM role", "RoleName", guardrails.find_scheduler_role, guardrails.ensure_scheduler_role,
         iam.delete_role, _INLINE_POLICY_ROLE,
         cluster_kind="provisioned", setting="pause_schedule"),
    Kind("pause-schedule", "scheduled action", "ScheduledActionName", guardrails.find_pause_actions,
         guardrails.ensure_pause_action, guardrails.delete_pause_action, Actions(
             find=("redshift:DescribeScheduledActions",),
             ensure=("redshift:CreateScheduledAction", "redshift:ModifyScheduledAction", "iam:PassRole"),
             delete=("redshift:DeleteScheduledAction",)),
         cluster_kind="provisioned", setting="pause_schedule"),
    Kind("serverless-namespace", "serverless namespace", "namespaceName", serverless.find_namespaces,
         serverless.ensure_namespace, serverless.delete_namespace, Actions(
             # ListSnapshots: status and 99 report a kept final snapshot (.snapshots), whatever the kind.
             find=("redshift-serverless:ListNamespaces", "redshift-serverless:ListTagsForResource",
                   "redshift-serverless:ListSnapshots"),
             ensure=("redshift-serverless:GetNamespace", "redshift-serverless:ListTagsForResource",
                     "redshift-serverless:CreateNamespace", "redshift-serverless:UpdateNamespace", "iam:PassRole",
                     *_SECRETS),
             delete=("redshift-serverless:DeleteNamespace", "redshift-serverless:GetNamespace"),
             check=("redshift-serverless:GetNamespace",)),
         cluster_kind="serverless", billed=True),
    Kind("serverless-workgroup", "serverless workgroup", "workgroupName", serverless.find_workgroups,
         serverless.ensure_workgroup, serverless.delete_workgroup, Actions(
             find=("redshift-serverless:ListWorkgroups", "redshift-serverless:ListTagsForResource"),
             ensure=("redshift-serverless:GetWorkgroup", "redshift-serverless:ListTagsForResource",
                     "redshift-serverless:CreateWorkgroup", "redshift-serverless:UpdateWorkgroup"),
             delete=("redshift-serverless:DeleteWorkgroup", "redshift-serverless:GetWorkgroup"),
             check=("redshift-serverless:GetWorkgroup", "ec2:DescribeSubnets"),
             operate=("redshift-serverless:GetWorkgroup", "redshift-serverless:ListUsageLimits")),
         cluster_kind="serverless", billed=True),
    Kind("serverless-usage-limit", "serverless usage limit", "usageLimitId", guardrails.find_usage_limits,
         guardrails.ensure_usage_limit, guardrails.delete_usage_limit, Actions(
             find=("redshift-serverless:ListWorkgroups", "redshift-serverless:ListTagsForResource",
                   "redshift-serverless:ListUsageLimits"),
             ensure=("redshift-serverless:CreateUsageLimit", "redshift-serverless:UpdateUsageLimit"),
             delete=("redshift-serverless:DeleteUsageLimit",)),
         cluster_kind="serverless", setting="max_rpu_hours_per_day"),
)


def kind(name: str) -> Kind:
    """The kind called ``name`` (e.g. ``"vpc"``); KeyError for an unknown one."""
    for k in KINDS:
        if k.name == name:
            return k
    raise KeyError(f"no resource kind {name!r}; known: {', '.join(k.name for k in KINDS)}")


def provisioning_order(cluster_kind: str, target: str | None = None) -> list[Kind]:
    """The kinds :func:`.stack.provision` ensures for ``[cluster] kind`` (and ``target``: ``local``
    makes no ``redshift_only`` kind), in table order."""
    return [k for k in KINDS if k.ensure is not None and k.cluster_kind in (None, cluster_kind)
            and not (target == "local" and k.redshift_only)]


def teardown_order() -> list[Kind]:
    """Every kind, dependants first: the table reversed."""
    return list(reversed(KINDS))


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
            out |= set(k.actions.find)
            continue
        out |= set(k.actions.find) | set(k.actions.delete) | set(k.actions.check) | set(k.actions.operate)
        if (public is False and k.public_only) or (guardrails is not None and k.setting and
                                                   k.setting not in guardrails):
            continue
        out |= set(k.actions.ensure)
    return sorted(out)
