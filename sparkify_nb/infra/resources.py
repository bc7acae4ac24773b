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
  is derived from it): each row's actions and the flags that say when it is
  made live in :mod:`sparkify_nb.iam.kinds`, the permissions' half of this
  table, joined here by name.

A kind with ``ensure = None`` is made elsewhere (the sample-data bucket, by
:func:`.sample.seed_sample_data`) but found and deleted like the rest; one
with ``delete = None`` is the administrator's (the permissions boundary,
:mod:`.boundary`): 01 checks it, the inventory and 99 leave it alone.
``cluster_kind`` limits provisioning to one ``[cluster] kind``; ``billed``
marks what costs money while it exists (left from another kind, it is warned
about); ``public_only`` what only ``[cluster] access = direct`` needs (its
``ensure`` still runs, to report one left from such a run); ``local_only``
what only the ``local`` target makes, ``redshift_only`` what only ``redshift``
needs (the work bucket of daily loads: :mod:`.workbucket`); ``setting`` the ``[cluster]`` key
without which an optional guardrail (:mod:`.guardrails`) is not made (its
``ensure`` still runs, to remove one an earlier run made).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..iam import kinds as permissions
from ..iam.kinds import PERMISSION_ONLY, Actions  # noqa: F401 (the table's callers name them here)
from . import analyst, boundary, cluster, guardrails, lease, logs, network, roles, routes, sample, serverless, workbucket
from .context import Context

Find = Callable[[Context], list[dict[str, Any]]]
Ensure = Callable[[Context, dict[str, Any]], dict[str, Any]]
Delete = Callable[[Context, dict[str, Any]], None]


@dataclass(frozen=True)
class Kind:
    """One kind of resource: ``name`` is the word the inventory uses
    (``"security-group sg-123"``), ``label`` the words of progress lines,
    ``id_key`` the field of a found item that identifies it; ``billed`` marks
    what costs money while it exists (left from another kind, it is warned
    about). Its actions and when it is made: :class:`sparkify_nb.iam.kinds.Permissions`."""

    name: str
    label: str
    id_key: str
    find: Find
    ensure: Ensure | None
    delete: Delete | None
    billed: bool = False

    @property
    def administered(self) -> bool:
        """Made by the account's administrator, not by 01 (the permissions boundary): 01's ``ensure`` checks
        it, the inventory does not list it and 99 leaves it (no ``delete``)."""
        return self.delete is None

    @property
    def permissions(self) -> permissions.Permissions:
        return permissions.of(self.name)

    @property
    def actions(self) -> Actions:
        return self.permissions.actions

    @property
    def cluster_kind(self) -> str | None:
        return self.permissions.cluster_kind

    @property
    def local_only(self) -> bool:
        return self.permissions.local_only

    @property
    def redshift_only(self) -> bool:
        return self.permissions.redshift_only

    @property
    def public_only(self) -> bool:
        return self.permissions.public_only

    @property
    def setting(self) -> str | None:
        return self.permissions.setting

    def describe(self, item: dict[str, Any]) -> str:
        """``"<name> <id>"``, as the inventory and the dry run list it."""
        return f"{self.name} {item[self.id_key]}"


KINDS: tuple[Kind, ...] = (
    # First: 01 checks the administrator's boundary before it makes anything.
    Kind("permissions-boundary", "permissions boundary", "PolicyName", boundary.find_boundary,
         boundary.ensure_boundary, None),
    Kind("s3-bucket", "S3 bucket", "Name", sample.find_buckets, None, sample.delete_bucket),
    Kind("work-bucket", "S3 work bucket", "Name", workbucket.find_work_bucket, workbucket.ensure_work_bucket,
         workbucket.delete_work_bucket),
    Kind("iam-role", "IAM role", "RoleName", roles.find_role, roles.ensure_role, roles.delete_role),
    Kind("analyst-role", "IAM role", "RoleName", analyst.find_analyst_role, analyst.ensure_analyst_role,
         roles.delete_role),
    Kind("vpc", "VPC", "VpcId", network.find_vpcs, network.ensure_vpc, network.delete_vpc),
    Kind("subnet", "subnet", "SubnetId", network.find_subnets, network.ensure_subnets, network.delete_subnet),
    Kind("security-group", "security group", "GroupId", network.find_security_groups, network.ensure_security_group,
         network.delete_security_group),
    Kind("internet-gateway", "internet gateway", "InternetGatewayId", routes.find_internet_gateways,
         routes.ensure_internet_gateway, routes.delete_internet_gateway),
    Kind("route-table", "route table", "RouteTableId", routes.find_route_tables, routes.ensure_route_table,
         routes.delete_route_table),
    Kind("s3-endpoint", "S3 gateway endpoint", "VpcEndpointId", routes.find_s3_endpoints, routes.ensure_s3_endpoint,
         routes.delete_s3_endpoint),
    # Before the cluster and namespace: made before Redshift writes to them, deleted after the warehouse is gone.
    Kind("log-group", "log group", "logGroupName", logs.find_log_groups, logs.ensure_log_groups, logs.delete_log_group,
         billed=True),
    Kind("cluster-parameter-group", "parameter group", "ParameterGroupName", cluster.find_parameter_groups,
         cluster.ensure_parameter_group, cluster.delete_parameter_group),
    Kind("cluster-subnet-group", "cluster subnet group", "ClusterSubnetGroupName", cluster.find_subnet_groups,
         cluster.ensure_subnet_group, cluster.delete_subnet_group),
    Kind("cluster", "cluster", "ClusterIdentifier", cluster.find_clusters, cluster.ensure_cluster,
         cluster.delete_cluster, billed=True),
    Kind("scheduler-role", "IAM role", "RoleName", guardrails.find_scheduler_role, guardrails.ensure_scheduler_role,
         roles.delete_role),
    Kind("pause-schedule", "scheduled action", "ScheduledActionName", guardrails.find_pause_actions,
         guardrails.ensure_pause_action, guardrails.delete_pause_action),
    Kind("serverless-namespace", "serverless namespace", "namespaceName", serverless.find_namespaces,
         serverless.ensure_namespace, serverless.delete_namespace, billed=True),
    Kind("serverless-workgroup", "serverless workgroup", "workgroupName", serverless.find_workgroups,
         serverless.ensure_workgroup, serverless.delete_workgroup, billed=True),
    Kind("serverless-usage-limit", "serverless usage limit", "usageLimitId", guardrails.find_usage_limits,
         guardrails.ensure_usage_limit, guardrails.delete_usage_limit),
    # The lease (:mod:`.lease`): made once the warehouse exists, removed first by 99.
    Kind("lease-role", "IAM role", "RoleName", lease.find_lease_role, lease.ensure_lease_role, roles.delete_role),
    Kind("lease-schedule", "lease schedule", "Name", lease.find_lease_schedules, lease.ensure_lease,
         lease.delete_lease_schedule),
)

if sorted(k.name for k in KINDS) != sorted(p.name for p in permissions.KINDS):  # one table: the halves must agree
    raise ImportError("infra.resources.KINDS and iam.kinds.KINDS name different kinds: "
                      f"{sorted({k.name for k in KINDS} ^ {p.name for p in permissions.KINDS})}")


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
    """Every kind 99 deletes, dependants first: the table reversed, without the administrator's."""
    return [k for k in reversed(KINDS) if not k.administered]


actions = permissions.actions  # every AWS action the stack's steps need (:func:`sparkify_nb.iam.kinds.actions`)
