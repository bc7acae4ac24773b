"""The operator policy's Redshift rules: the cluster, its groups, snapshots and
database users by name; the Serverless namespace and workgroup (generated
ids) by the stack's tag; SQL through the Data API; the admin secret Redshift
keeps; the audit log groups (:mod:`.scopes` says how rules are chosen)."""

from __future__ import annotations

from .rule import Rule, Stack, request_tagged, resource_tagged


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


# Most of a run's statements name no cluster or workgroup, only a Data API session (SessionId). AWS does not say
# which resource such a call is authorised against; the Service Authorization Reference lists the condition key
# redshift-data:session-owner-iam-userid for ExecuteStatement and BatchExecuteStatement
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonredshiftdataapi.html). So the
# policy is right either way: a call in a session the caller opened is allowed on any resource, a call that opens
# a session only on the stack's cluster or workgroup (with no session yet, the key is absent and this fails).
OWN_SESSIONS = frozenset({"redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement"})
SESSION_ONLY = ("SQL in a Data API session you opened yourself (a call that carries only a SessionId; the "
                "session-owner condition key)")


def _own_session(stack: Stack) -> dict[str, dict[str, str]]:
    return {"StringEquals": {"redshift-data:session-owner-iam-userid": "${aws:userid}"}}


# The audit logs Redshift exports to CloudWatch Logs, one log group each (01 turns them on: infra/cluster.py).
LOG_EXPORTS = ("connectionlog", "userlog", "useractivitylog")


def _log_groups(stack: Stack) -> list[str]:
    """The audit log groups of the cluster (``/aws/redshift/cluster/<identifier>/``) and of the namespace
    (``/aws/redshift/<identifier>/``), each a log group ARN with its streams."""
    ident = stack.get("identifier")
    return [stack.arn("logs", f"log-group:/aws/redshift/cluster/{ident}/*"),
            stack.arn("logs", f"log-group:/aws/redshift/{ident}/*")]


RULES: list[Rule] = [
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
    Rule("SqlInYourOwnDataApiSessions", OWN_SESSIONS, lambda s: ["*"], _own_session, why=SESSION_ONLY),
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
]
