"""The operator policy's IAM rules: the stack's roles, by name, made and written
only under the permissions boundary the administrator made (:mod:`.boundary`),
passed only to the service that uses each (:mod:`.scopes` says how rules are
chosen)."""

from __future__ import annotations

from typing import Any

from .rule import Rule, Stack, request_tagged


def _pass_copy_role(stack: Stack) -> dict[str, Any]:
    # Serverless assumes the role under its own principal (the role trusts both, :func:`.copy_role.trust`);
    # which name IAM sees as the service the role is passed to is not documented for Serverless (unconfirmed),
    # so a Serverless stack's policy allows both, a provisioned one redshift.amazonaws.com only.
    services = ["redshift.amazonaws.com"] + (["redshift-serverless.amazonaws.com"] if stack.kind == "serverless"
                                             else [])
    return {"StringEquals": {"iam:PassedToService": services}}


def _scheduler_roles(stack: Stack) -> list[str]:
    return [stack.roles[1]] if stack.kind == "provisioned" and stack.get("pause_schedule") else []


RULES: list[Rule] = [
    Rule("TheBoundaryOfThisStack", frozenset({"iam:GetPolicy", "iam:GetPolicyVersion"}), lambda s: [s.boundary],
         why="01 reads back the boundary the administrator made (:mod:`.admin`); nothing that creates, deletes or "
             "versions a policy"),
    Rule("CreateOnlyBoundedRoles", frozenset({"iam:CreateRole"}), lambda s: s.roles,
         lambda s: {**request_tagged(s), "ArnEquals": {"iam:PermissionsBoundary": s.boundary}},
         "a role of the stack, only with the boundary and the stack's tag"),
    Rule("WriteOnlyIntoBoundedRoles", frozenset({"iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"}),
         lambda s: s.roles, lambda s: {"ArnEquals": {"iam:PermissionsBoundary": s.boundary}},
         "a policy goes only into a role that carries the boundary; the only boundary that can be set is ours"),
    Rule("TagRolesOfThisStack", frozenset({"iam:TagRole"}), lambda s: s.roles, request_tagged),
    Rule("RolesOfThisStack", frozenset({
        "iam:GetRole", "iam:ListRoleTags", "iam:GetRolePolicy", "iam:ListRolePolicies",
        "iam:ListAttachedRolePolicies", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRole"}),
         lambda s: s.roles,
         why="read and delete the stack's roles, by name; no iam:UpdateAssumeRolePolicy (it takes no condition key: "
             "a role whose trust drifted is deleted and made again under the boundary)"),
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
]
