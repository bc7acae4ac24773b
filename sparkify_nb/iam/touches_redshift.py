"""The Redshift rows of :mod:`.touches`' table: what a request to Redshift, Redshift
Serverless and the Data API touches, and what IAM authorises beyond it (the roles
handed to Redshift, its service-linked role, the credentials behind a Data API
call, the admin password's secret). Each handler takes a :class:`.touches.Touch`;
the sources of each rule are in :mod:`.touches`' docstring and each handler's."""

from __future__ import annotations

from typing import Any

from . import sar
from .calls import listed, query_tags, tag_context


# The admin secret's name: "redshift!<cluster or namespace>-<admin user>" and Secrets Manager's random 6-character
# suffix (unconfirmed: AWS's pages show no name; the placeholder suffix stands for the one AWS draws).
SECRET_SUFFIX = "Ab12Cd"


def admin_secret(t: Any, identifier: str, user: str) -> str:
    """The ARN of the admin secret Redshift makes for ``identifier`` (a cluster or namespace) and ``user``."""
    return t.arn("secretsmanager", f"secret:redshift!{identifier}-{user}-{SECRET_SUFFIX}")


def managed_password(t: Any, action: str, secret: str) -> None:
    """The Secrets Manager dependent actions of ``action`` (the SAR's), on ``secret`` (or ``*`` for one that
    takes no resource): Redshift makes and keeps the admin password's secret with the caller's rights."""
    for dependent in sorted({d for row in sar.rows(action) for d in row.dependent if d.startswith("secretsmanager:")}):
        t.add(dependent, [secret] if any(r.required for r in sar.rows(dependent)) else ["*"])


def _asked(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _redshift(t: Any, op: str) -> bool:
    p, a = t.p, f"redshift:{op}"
    tags = tag_context(query_tags(p, "Tags"))
    if op == "CreateCluster":
        t.redshift(a, f"cluster:{p['ClusterIdentifier']}", context=tags)
        t.pass_roles(listed(p, "IamRoles"), "redshift.amazonaws.com")
        if _asked(p.get("ManageMasterPassword")):
            managed_password(t, a, admin_secret(t, p["ClusterIdentifier"], p.get("MasterUsername", "")))
        if not t.lookup.service_linked_role_exists("redshift.amazonaws.com"):
            t.add("iam:CreateServiceLinkedRole", [t.arn(
                "iam", "role/aws-service-role/redshift.amazonaws.com/AWSServiceRoleForRedshift", False)],
                {"iam:AWSServiceName": "redshift.amazonaws.com"})
    elif op == "CreateClusterParameterGroup":
        t.redshift(a, f"parametergroup:{p['ParameterGroupName']}", context=tags)
    elif op == "CreateClusterSubnetGroup":
        t.redshift(a, f"subnetgroup:{p['ClusterSubnetGroupName']}", context=tags)
    elif op == "CreateTags":
        arn = p.get("ResourceName", "")
        t.add(a, [arn], tags, {arn: {f"aws:ResourceTag/{k}": v for k, v in t.lookup.redshift_tags(arn).items()}})
    elif op in ("DeleteCluster", "ModifyCluster", "PauseCluster", "ResumeCluster", "EnableLogging",
                "DisableLogging", "DescribeLoggingStatus", "ModifyClusterIamRoles"):
        t.redshift(a, f"cluster:{p['ClusterIdentifier']}")
        if op == "ModifyClusterIamRoles":
            t.pass_roles(listed(p, "AddIamRoles"), "redshift.amazonaws.com")
        if op == "DeleteCluster" and p.get("FinalClusterSnapshotIdentifier"):
            t.redshift("redshift:CreateClusterSnapshot",
                       f"snapshot:{p['ClusterIdentifier']}/{p['FinalClusterSnapshotIdentifier']}")
    elif op in ("DescribeClusterParameters", "ModifyClusterParameterGroup", "DeleteClusterParameterGroup"):
        t.redshift(a, f"parametergroup:{p['ParameterGroupName']}")
    elif op == "DeleteClusterSubnetGroup":
        t.redshift(a, f"subnetgroup:{p['ClusterSubnetGroupName']}")
    elif op == "CreateClusterSnapshot":
        t.redshift(a, f"snapshot:{p['ClusterIdentifier']}/{p['SnapshotIdentifier']}", context=tags)
    elif op == "GetClusterCredentials":
        cluster, user = p.get("ClusterIdentifier", ""), p.get("DbUser", "")
        resources = [f"dbuser:{cluster}/{user}"] + ([f"dbname:{cluster}/{p['DbName']}"] if p.get("DbName") else [])
        t.redshift(a, *resources, context={"redshift:DbUser": user, **(
            {"redshift:DbName": p["DbName"]} if p.get("DbName") else {})})
    elif op in ("CreateScheduledAction", "ModifyScheduledAction"):
        t.add(a, ["*"])
        t.pass_roles([p.get("IamRole", "")], "scheduler.redshift.amazonaws.com")
    else:
        return False
    return True


def _serverless(t: Any, op: str) -> bool:
    """Redshift Serverless (list_amazonredshiftserverless.html): each operation on its namespace, workgroup or
    snapshot, an existing one with its tags; the usage limits and lists on ``*``; ``iam:PassRole`` for the
    namespace's roles, passed to redshift-serverless.amazonaws.com (which of Redshift's service names IAM sees is
    not documented: unconfirmed). A namespace or workgroup of that name that does not exist: its ARN (a generated
    id) cannot be formed, so nothing is authorised and the service answers ResourceNotFoundException itself
    (unconfirmed: AWS does not say what it authorises then)."""
    p, a = t.p, f"redshift-serverless:{op}"

    def existing(kind: str, name: str) -> str | None:
        arn = t.lookup.serverless_arn(kind, name)
        if arn:
            t.add(a, [arn], {}, {arn: _tags(t.lookup.serverless_tags(arn))})
        return arn

    def pass_roles(roles: list[str]) -> None:
        t.pass_roles(list(dict.fromkeys(r for r in roles if r)), "redshift-serverless.amazonaws.com")

    tags = tag_context({x["key"]: x["value"] for x in p.get("tags") or []})
    if op == "CreateNamespace":
        t.add(a, [t.arn("redshift-serverless", "namespace/*")], tags)
        pass_roles([*(p.get("iamRoles") or []), p.get("defaultIamRoleArn", "")])
        if _asked(p.get("manageAdminPassword")):
            managed_password(t, a, admin_secret(t, p.get("namespaceName", ""), p.get("adminUsername", "admin")))
    elif op == "CreateWorkgroup":
        t.add(a, [t.arn("redshift-serverless", "workgroup/*")], tags)
    elif op in ("GetNamespace", "UpdateNamespace", "DeleteNamespace"):
        namespace = existing("namespace", p.get("namespaceName", ""))
        secret = t.lookup.serverless_admin_secret(namespace) if namespace and op == "DeleteNamespace" else None
        if secret:
            managed_password(t, a, secret)
        if op == "UpdateNamespace":
            pass_roles(p.get("iamRoles") or [])
    elif op in ("GetWorkgroup", "UpdateWorkgroup", "DeleteWorkgroup", "GetCredentials"):
        existing("workgroup", p.get("workgroupName", ""))
    elif op == "ListSnapshots":
        t.add(a, [t.arn("redshift-serverless", "snapshot/*")])
    elif op in ("ListTagsForResource", "TagResource", "UntagResource"):
        arn = p.get("resourceArn", "*")
        context = tags if op == "TagResource" else (
            {"aws:TagKeys": list(p.get("tagKeys") or [])} if op == "UntagResource" else {})
        t.add(a, [arn], context, {arn: _tags(t.lookup.serverless_tags(arn))})
    else:
        t.add(a, ["*"])
    return True


def _data_api(t: Any, op: str) -> bool:
    """The Data API (list_amazonredshiftdataapi.html; "Authorizing access to the Amazon Redshift Data API",
    https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-access.html): a statement on the cluster or the
    workgroup it names, or in a session on the session's, with ``redshift-data:session-owner-iam-userid``;
    behind it the credentials the Data API fetches as the caller (``redshift:GetClusterCredentials`` on the
    database user and name with a ``DbUser``, ``redshift-serverless:GetCredentials`` on a workgroup); the
    statement calls on ``*`` with ``redshift-data:statement-owner-iam-userid``."""
    p, a = t.p, f"redshift-data:{op}"
    if op in ("DescribeStatement", "GetStatementResult", "CancelStatement"):
        owner = t.lookup.statement_owner(str(p.get("Id", "")).split(":")[0])
        t.add(a, ["*"], {"redshift-data:statement-owner-iam-userid": t.who.userid if owner is None else owner})
    elif op == "ListStatements":
        t.add(a, ["*"], {"redshift-data:statement-owner-iam-userid": t.who.userid})
    elif op not in ("ExecuteStatement", "BatchExecuteStatement"):
        pass
    elif p.get("SessionId"):
        resource, owner = t.lookup.session(p["SessionId"]) or ("*", "")
        # on the session's workgroup with its tags, as a statement naming the workgroup (below)
        tags = _tags(t.lookup.serverless_tags(resource)) if ":workgroup/" in resource else {}
        t.add(a, [resource], {"redshift-data:session-owner-iam-userid": owner} if owner else {}, {resource: tags})
    elif p.get("WorkgroupName"):
        wg = t.lookup.serverless_arn("workgroup", p["WorkgroupName"]) or t.arn("redshift-serverless", "workgroup/*")
        tags = _tags(t.lookup.serverless_tags(wg))
        t.add(a, [wg], {}, {wg: tags})
        t.add("redshift-serverless:GetCredentials", [wg], {}, {wg: tags})
    else:
        cluster = p.get("ClusterIdentifier", "")
        t.add(a, [t.arn("redshift", f"cluster:{cluster}")])
        if p.get("DbUser"):
            resources = [t.arn("redshift", f"dbuser:{cluster}/{p['DbUser']}")] + (
                [t.arn("redshift", f"dbname:{cluster}/{p['Database']}")] if p.get("Database") else [])
            t.add("redshift:GetClusterCredentials", resources, {"redshift:DbUser": p["DbUser"], **(
                {"redshift:DbName": p["Database"]} if p.get("Database") else {})})
    return True


def _tags(tags: dict[str, str]) -> dict[str, str]:
    return {f"aws:ResourceTag/{k}": v for k, v in tags.items()}
