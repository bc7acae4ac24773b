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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..config import REDSHIFT_SOURCES, Settings
from ..s3uri import parse_s3_uri
from . import analyst, boundary, copy_role, reach, scheduler, workbucket
from .errors import ScopeError
from .tags import OWNER_KEY, TAG_KEY

SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/"
PAGES = {"ec2": SAR + "list_amazonec2.html", "redshift": SAR + "list_amazonredshift.html",
         "redshift-serverless": SAR + "list_amazonredshiftserverless.html",
         "redshift-data": SAR + "list_amazonredshiftdataapi.html",
         "iam": SAR + "list_awsidentityandaccessmanagementiam.html", "s3": SAR + "list_amazons3.html",
         "secretsmanager": SAR + "list_awssecretsmanager.html", "sts": SAR + "list_awssecuritytokenservice.html",
         "logs": SAR + "list_amazoncloudwatchlogs.html", "pricing": SAR + "list_awspricelist.html"}

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

# Reads on every resource of a type, with why no tag condition: the steps that call them look for the
# stack's namespace and workgroup by name and read their tags to learn whether they are ours (a tag
# condition would turn "someone else's" and "none yet" into AccessDenied, and the ARN of a namespace that
# does not exist yet cannot be named). They change nothing; every write is tag-scoped.
READ_TO_FIND = {
    "redshift-serverless:GetNamespace": "find the namespace by name, then read its tags",
    "redshift-serverless:GetWorkgroup": "find the workgroup by name, then read its tags; poll its status",
    "redshift-serverless:ListTagsForResource": "read the tags of each namespace and workgroup to find ours",
    "redshift-serverless:ListSnapshots": "list the snapshots kept of the stack's namespace (status and 99 report "
                                         "them); it takes the snapshot resource type",
}

# Creates that could tag on creation but do not carry the stack's tag, each with why it is still ours.
UNTAGGED_CREATES = {
    "redshift:CreateClusterSnapshot": "the final snapshot DeleteCluster takes (no tags in that request); its ARN "
                                      "is named after our cluster",
    "secretsmanager:CreateSecret": "Redshift creates the admin secret on our behalf; its name starts with our "
                                   "cluster and user",
    "secretsmanager:TagResource": "Redshift tags the admin secret it makes; by name as above",
    "ec2:AuthorizeSecurityGroupIngress": "the new rule is not tagged; the security group it changes must be",
}


@dataclass(frozen=True)
class Stack:
    """What the policy is scoped to: the settings' names, ``account`` (``*``
    when not given), ``partition``."""

    settings: Settings
    account: str = "*"
    partition: str = "aws"
    principal: str | None = None  # the operator's own user or role ARN, when known

    def get(self, key: str) -> Any:
        return self.settings.get("cluster", key)

    @property
    def name(self) -> str:
        return self.settings.stack_name

    @property
    def kind(self) -> str:
        return self.get("kind")

    def arn(self, service: str, resource: str, regional: bool = True) -> str:
        region = self.settings.region if regional else ""
        return f"arn:{self.partition}:{service}:{region}:{self.account}:{resource}"

    def redshift(self, resource: str) -> str:
        return self.arn("redshift", resource)

    def role(self, name: str) -> str:
        return self.arn("iam", f"role/{name}", regional=False)

    @property
    def boundary(self) -> str:
        return boundary.policy_arn(self.settings, self.account, self.partition)

    @property
    def roles(self) -> list[str]:
        """Every role the stack may make (:mod:`.copy_role`, :mod:`.scheduler`, :mod:`.analyst`)."""
        return [self.role(copy_role.role_name(self.settings)), self.role(scheduler.role_name(self.settings)),
                self.role(analyst.role_name(self.settings))]


@dataclass(frozen=True)
class Rule:
    """One statement: the ``actions`` it may hold (those of a run that are
    here), on ``resources(stack)``, under ``condition(stack)``; ``why`` says what for."""

    sid: str
    actions: frozenset[str]
    resources: Callable[[Stack], list[str]]
    condition: Callable[[Stack], dict[str, Any] | None] = field(default=lambda _: None)
    why: str = ""
    effect: str = "Allow"


def request_tagged(stack: Stack) -> dict[str, Any]:
    """A create must set ``sparkify:stack = <stack>`` and no tag key but ours."""
    return {"StringEquals": {f"aws:RequestTag/{TAG_KEY}": stack.name},
            "ForAllValues:StringEquals": {"aws:TagKeys": [TAG_KEY, OWNER_KEY, "Name"]}}


def resource_tagged(stack: Stack) -> dict[str, Any]:
    """The resource acted on carries ``sparkify:stack = <stack>``."""
    return {"StringEquals": {f"aws:ResourceTag/{TAG_KEY}": stack.name}}


def in_region(stack: Stack) -> dict[str, Any]:
    return {"StringEquals": {"aws:RequestedRegion": stack.settings.region}}


EC2_TYPES = ("vpc", "subnet", "security-group", "internet-gateway", "route-table", "vpc-endpoint")
# Each EC2 create: the type it makes, then the existing types it uses (the VPC a subnet goes into, the route
# table an endpoint is added to). Its Allow names both (the request tag is what it checks); the Deny of
# :data:`EC2_INSIDE_OURS` then refuses any existing one not tagged ours, so a create's request tag never
# vouches for someone else's VPC or route table. (A new security group rule is not a resource we tag:
# AuthorizeSecurityGroupIngress is scoped by its security group, the one it requires.)
EC2_CREATES = {"ec2:CreateVpc": ("vpc",), "ec2:CreateSubnet": ("subnet", "vpc"),
               "ec2:CreateSecurityGroup": ("security-group", "vpc"),
               "ec2:CreateInternetGateway": ("internet-gateway",), "ec2:CreateRouteTable": ("route-table", "vpc"),
               "ec2:CreateVpcEndpoint": ("vpc-endpoint", "vpc", "route-table")}
EC2_INSIDE_OURS = {t: frozenset(a for a, (_, *used) in EC2_CREATES.items() if t in used) for t in ("vpc", "route-table")}
EC2_ON_TAGGED = frozenset({
    "ec2:AttachInternetGateway", "ec2:DetachInternetGateway", "ec2:DeleteInternetGateway",
    "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup",
    "ec2:CreateRoute", "ec2:AssociateRouteTable", "ec2:DisassociateRouteTable", "ec2:DeleteRouteTable",
    "ec2:ModifyVpcEndpoint", "ec2:DeleteVpcEndpoints", "ec2:DeleteSubnet", "ec2:DeleteVpc"})


def _ec2(stack: Stack, *types: str) -> list[str]:
    return [stack.arn("ec2", f"{t}/*") for t in types]


def _tag_while_creating(stack: Stack) -> dict[str, Any]:
    """EC2 may tag only while one of our creates runs
    (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html)."""
    return {"StringEquals": {"ec2:CreateAction": sorted(a.split(":")[1] for a in EC2_CREATES),
                             f"aws:RequestTag/{TAG_KEY}": stack.name}}


def _source_objects(stack: Stack) -> list[str]:
    return sorted({reach.arn(o, stack.partition) for o in reach.copy_reach(stack.settings, work=False).objects})


_PUBLIC_SONGS = parse_s3_uri(REDSHIFT_SOURCES["song_data"])


def _compaction_targets(stack: Stack, parts: bool = False) -> list[str]:
    return sorted({reach.arn(uri, stack.partition) for pair in reach.compaction_targets(stack.settings)
                   for uri in pair[parts:]})


def _pass_copy_role(stack: Stack) -> dict[str, Any]:
    # Serverless assumes the role under its own principal (the role trusts both, :data:`.copy_role.TRUST_POLICY`);
    # which name IAM sees as the service the role is passed to is not documented for Serverless (unconfirmed),
    # so a Serverless stack's policy allows both, a provisioned one redshift.amazonaws.com only.
    services = ["redshift.amazonaws.com"] + (["redshift-serverless.amazonaws.com"] if stack.kind == "serverless"
                                             else [])
    return {"StringEquals": {"iam:PassedToService": services}}


def _log_groups(stack: Stack) -> list[str]:
    """The audit log groups of the cluster (``/aws/redshift/cluster/<identifier>/``) and of the namespace
    (``/aws/redshift/<identifier>/``), each a log group ARN with its streams."""
    ident = stack.get("identifier")
    return [stack.arn("logs", f"log-group:/aws/redshift/cluster/{ident}/*"),
            stack.arn("logs", f"log-group:/aws/redshift/{ident}/*")]


def _scheduler_roles(stack: Stack) -> list[str]:
    return [stack.roles[1]] if stack.kind == "provisioned" and stack.get("pause_schedule") else []


RULES: list[Rule] = [
    Rule("CallsThatTakeNoResourceInThisRegion", NO_RESOURCE - GLOBAL - OWN_STATEMENTS, lambda s: ["*"], in_region,
         "Describe/List calls and scheduled actions, usage limits: AWS lists no resource type for them"),
    Rule("CallsThatTakeNoResourceAnyRegion", GLOBAL, lambda s: ["*"],
         why="sts:GetCallerIdentity (which needs no permission) and the Price List API take no resource and are "
             "not answered in the stack's region"),
    Rule("OnlyYourOwnDataApiStatements", OWN_STATEMENTS, lambda s: ["*"],
         lambda s: {"StringEquals": {"redshift-data:statement-owner-iam-userid": "${aws:userid}"}},
         "statements you ran yourself (the Data API's statement-owner condition key)"),
    # --- EC2: tag on creation, then only what carries the tag ---
    *[Rule(f"Create{types[0].title().replace('-', '')}TaggedAsThisStack", frozenset({action}),
           lambda s, types=types: _ec2(s, *types), request_tagged,
           f"a new {types[0]}, tagged sparkify:stack on creation")
      for action, types in EC2_CREATES.items()],
    *[Rule(f"NothingInside{t.title().replace('-', '')}sNotOurs", actions, lambda s, t=t: _ec2(s, t),
           lambda s: {"StringNotEquals": {f"aws:ResourceTag/{TAG_KEY}": s.name}},
           f"a create may use only a {t} tagged ours", effect="Deny")
      for t, actions in EC2_INSIDE_OURS.items()],
    Rule("TagOnlyWhileCreating", frozenset({"ec2:CreateTags"}), lambda s: _ec2(s, *EC2_TYPES), _tag_while_creating,
         "tags are set by our creates (TagSpecifications); no existing resource can be tagged as ours"),
    Rule("NetworkTaggedAsThisStack", EC2_ON_TAGGED, lambda s: _ec2(s, *EC2_TYPES), resource_tagged,
         "change and delete only the VPC, subnets, security group, gateway, route table and endpoint tagged ours"),
    # --- Redshift: names are ours ---
    Rule("CreateClusterResourcesTaggedAsThisStack", frozenset({
        "redshift:CreateCluster", "redshift:CreateClusterParameterGroup", "redshift:CreateClusterSubnetGroup",
        "redshift:CreateTags"}), lambda s: [s.redshift(f"cluster:{s.get('identifier')}"),
                                            s.redshift(f"parametergroup:{s.name}-params"),
                                            s.redshift(f"subnetgroup:{s.name}-subnets")], request_tagged,
         "the cluster and its groups, by name, tagged on creation"),
    Rule("ClusterOfThisStack", frozenset({
        "redshift:DeleteCluster", "redshift:ModifyCluster", "redshift:ModifyClusterIamRoles", "redshift:PauseCluster",
        "redshift:ResumeCluster", "redshift:EnableLogging", "redshift:DescribeLoggingStatus",
        "redshift:DescribeClusterParameters", "redshift:ModifyClusterParameterGroup",
        "redshift:DeleteClusterParameterGroup", "redshift:DeleteClusterSubnetGroup", "redshift:CreateClusterSnapshot"}),
         lambda s: [s.redshift(f"cluster:{s.get('identifier')}"), s.redshift(f"parametergroup:{s.name}-params"),
                    s.redshift(f"subnetgroup:{s.name}-subnets"), s.redshift(f"snapshot:{s.get('identifier')}/*")],
         why="the cluster, its groups and its (final) snapshots, by name"),
    Rule("DatabaseUsersOfThisCluster", frozenset({"redshift:GetClusterCredentials"}),
         lambda s: [s.redshift(f"dbuser:{s.get('identifier')}/{s.get('db_user')}"),
                    s.redshift(f"dbuser:{s.get('identifier')}/{s.get('analyst_user')}"),
                    s.redshift(f"dbname:{s.get('identifier')}/{s.get('db_name')}")],
         why="temporary credentials of the admin (01-03) and the analyst (04), for this database only"),
    Rule("SqlOnThisCluster", frozenset({"redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement"}),
         lambda s: [s.redshift(f"cluster:{s.get('identifier')}")] if s.kind == "provisioned" else [],
         why="SQL over the Data API on this cluster"),
    Rule("SqlOnThisStacksWorkgroup", frozenset({"redshift-data:ExecuteStatement",
                                                "redshift-data:BatchExecuteStatement"}),
         lambda s: [s.arn("redshift-serverless", "workgroup/*")] if s.kind == "serverless" else [], resource_tagged,
         "SQL over the Data API on the workgroup tagged ours"),
    Rule("AdminSecretOfThisCluster", frozenset({
        "secretsmanager:CreateSecret", "secretsmanager:DescribeSecret", "secretsmanager:UpdateSecret",
        "secretsmanager:RotateSecret", "secretsmanager:DeleteSecret", "secretsmanager:TagResource"}),
         lambda s: [s.arn("secretsmanager", f"secret:redshift!{s.get('identifier')}-{s.get('db_user')}-*")],
         why="the admin password Redshift keeps for this cluster or namespace"),
    # --- Redshift Serverless: ids are generated, so by tag ---
    Rule("CreateServerlessTaggedAsThisStack", frozenset({"redshift-serverless:CreateNamespace",
                                                         "redshift-serverless:CreateWorkgroup"}),
         lambda s: [s.arn("redshift-serverless", "namespace/*"), s.arn("redshift-serverless", "workgroup/*")],
         request_tagged, "a namespace and workgroup, tagged on creation"),
    Rule("ServerlessTaggedAsThisStack", frozenset({
        "redshift-serverless:UpdateNamespace", "redshift-serverless:DeleteNamespace",
        "redshift-serverless:UpdateWorkgroup", "redshift-serverless:DeleteWorkgroup",
        "redshift-serverless:GetCredentials"}),
         lambda s: [s.arn("redshift-serverless", "namespace/*"), s.arn("redshift-serverless", "workgroup/*")],
         resource_tagged, "change, delete and log in to only the namespace and workgroup tagged ours"),
    Rule("FindTheServerlessStack", frozenset(READ_TO_FIND) - {"redshift-serverless:ListSnapshots"},
         lambda s: [s.arn("redshift-serverless", "namespace/*"), s.arn("redshift-serverless", "workgroup/*")],
         why="reads that find the stack's namespace and workgroup (see READ_TO_FIND)"),
    Rule("FindKeptServerlessSnapshots", frozenset({"redshift-serverless:ListSnapshots"}),
         lambda s: [s.arn("redshift-serverless", "snapshot/*")], why="see READ_TO_FIND"),
    # --- CloudWatch Logs: the audit log groups, named after the cluster or namespace ---
    Rule("CreateAuditLogGroupsTaggedAsThisStack", frozenset({"logs:CreateLogGroup", "logs:TagResource"}),
         lambda s: _log_groups(s), request_tagged, "01 makes (or claims) the audit log groups of our cluster"),
    Rule("AuditLogGroupsOfThisStack", frozenset({"logs:PutRetentionPolicy", "logs:DeleteLogGroup",
                                                 "logs:UntagResource", "logs:ListTagsForResource"}),
         lambda s: _log_groups(s), why="their retention, and 99 deletes them (or keeps them untagged)"),
    # --- IAM: the boundary and the bounded roles ---
    Rule("CreateTheBoundaryTaggedAsThisStack", frozenset({"iam:CreatePolicy", "iam:TagPolicy"}),
         lambda s: [s.boundary], request_tagged, "01 makes the permissions boundary (:mod:`.boundary`)"),
    Rule("TheBoundaryOfThisStack", frozenset({"iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions",
                                              "iam:DeletePolicyVersion", "iam:DeletePolicy"}),
         lambda s: [s.boundary], why="01 reads it back, 99 deletes it; no action that changes its document"),
    Rule("CreateOnlyBoundedRoles", frozenset({"iam:CreateRole"}), lambda s: s.roles,
         lambda s: {**request_tagged(s), "ArnEquals": {"iam:PermissionsBoundary": s.boundary}},
         "a role of the stack, only with the boundary and the stack's tag"),
    Rule("WriteOnlyIntoBoundedRoles", frozenset({"iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"}),
         lambda s: s.roles, lambda s: {"ArnEquals": {"iam:PermissionsBoundary": s.boundary}},
         "a policy goes only into a role that carries the boundary; the only boundary that can be set is ours"),
    Rule("TagRolesOfThisStack", frozenset({"iam:TagRole"}), lambda s: s.roles, request_tagged),
    Rule("RolesOfThisStack", frozenset({
        "iam:GetRole", "iam:ListRoleTags", "iam:GetRolePolicy", "iam:ListRolePolicies",
        "iam:ListAttachedRolePolicies", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRole",
        "iam:UpdateAssumeRolePolicy"}), lambda s: s.roles,
         why="read, re-trust and delete the stack's roles, by name (UpdateAssumeRolePolicy takes no "
             "iam:PermissionsBoundary key; a role it changes still carries the boundary, which the policy cannot "
             "remove)"),
    Rule("PassTheCopyRoleToRedshift", frozenset({"iam:PassRole"}), lambda s: s.roles[:1], _pass_copy_role,
         "COPY's role goes to Redshift only"),
    Rule("PassTheSchedulerRoleToTheScheduler", frozenset({"iam:PassRole"}), _scheduler_roles,
         lambda s: {"StringEquals": {"iam:PassedToService": ["redshift.amazonaws.com",
                                                             "scheduler.redshift.amazonaws.com"]}},
         "the pause schedule's role goes to the Redshift scheduler only (which of the two names IAM sees when "
         "CreateScheduledAction passes it is not documented: unconfirmed)"),
    Rule("AssumeTheAnalystRole", frozenset({"sts:AssumeRole"}),
         lambda s: [s.roles[2]] if s.kind == "serverless" else [],
         why="04 reads a Serverless warehouse as the analyst role's database user (:mod:`.analyst`)"),
    Rule("RedshiftServiceLinkedRole", frozenset({"iam:CreateServiceLinkedRole"}),
         lambda s: [s.arn("iam", "role/aws-service-role/redshift.amazonaws.com/AWSServiceRoleForRedshift",
                          regional=False)],
         lambda s: {"StringLike": {"iam:AWSServiceName": "redshift.amazonaws.com"}},
         "Redshift creates it the first time an account makes a cluster"),
    Rule("ReadYourOwnRole", frozenset({"iam:GetRole"}),
         lambda s: [s.principal] if s.principal and ":role/" in s.principal else [],
         why="01's preflight reads the path of the caller's own role (with --principal)"),
    Rule("SimulateYourOwnPermissionsOnly", frozenset({"iam:SimulatePrincipalPolicy"}),
         lambda s: [s.principal] if s.principal else [s.arn("iam", "user/${aws:username}", regional=False)],
         why="01's preflight simulates the caller's own policies: the IAM user itself (${aws:username}: "
             "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html), or the role "
             "named with `sparkify-nb iam-policy --principal` (no policy variable names the role of a session)"),
    # --- S3: the sources, by name ---
    Rule("SourceBuckets", frozenset({"s3:GetBucketLocation", "s3:ListBucket"}),
         lambda s: [f"arn:{s.partition}:s3:::{b}" for b in reach.source_buckets(s.settings)],
         why="01's preflight and 03 list the sources"),
    Rule("SourceObjects", frozenset({"s3:GetObject"}), _source_objects,
         why="03 reads a first record after an 'auto' load that left a column NULL, and a manifest source"),
    # --- S3: `sparkify-nb compact` into your own bucket, when a source is a manifest (reach.compaction_targets) ---
    Rule("CompactIntoYourBucket", frozenset({"s3:PutObject"}), _compaction_targets,
         why="compact writes the manifest [s3] names and its parts beside it"),
    Rule("RemoveStalePartsOfACompaction", frozenset({"s3:DeleteObject"}), lambda s: _compaction_targets(s, parts=True),
         why="compact deletes the parts an earlier compaction left there"),
    Rule("ListThePublicSongsToCompact", frozenset({"s3:ListBucket"}),
         lambda s: [reach.arn(f"s3://{_PUBLIC_SONGS[0]}", s.partition)] if _compaction_targets(s) else [],
         lambda s: {"StringLike": {"s3:prefix": [f"{_PUBLIC_SONGS[1]}*"]}},
         "compact reads the public songs it packs (any other SRC needs your own read on it)"),
    Rule("ReadThePublicSongsToCompact", frozenset({"s3:GetObject"}),
         lambda s: [reach.arn(f"s3://{'/'.join(_PUBLIC_SONGS)}/*", s.partition)] if _compaction_targets(s) else [],
         why="as above: public data, which anyone may read"),
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


# --- the stack's work bucket (daily loads on redshift: sparkify_nb/infra/workbucket.py) ---

def _bucket_arn(stack: Stack) -> str:
    return f"arn:{stack.partition}:s3:::{workbucket.bucket_name(stack.settings, stack.account)}"


BUCKET_ACTIONS = frozenset({
    "s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:GetBucketLocation", "s3:PutBucketTagging",
    "s3:GetBucketTagging", "s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration",
    "s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock", "s3:PutLifecycleConfiguration",
    "s3:GetLifecycleConfiguration"})
register(Rule(
    "TheStacksWorkBucket", BUCKET_ACTIONS, lambda s: [_bucket_arn(s)],
    why="01 makes the work bucket (by name: <stack>-work-<account>), keeps it encrypted, private and expiring; "
        "99 deletes it"))
register(Rule(
    "ManifestsIntoTheWorkBucket", frozenset({"s3:PutObject"}), lambda s: [f"{_bucket_arn(s)}/{workbucket.MANIFESTS}*"],
    why="03 writes a daily load's COPY manifests there, nowhere else"))
register(Rule(
    "EmptyTheWorkBucket", frozenset({"s3:DeleteObject"}), lambda s: [f"{_bucket_arn(s)}/*"],
    why="99 empties the work bucket before deleting it"))
