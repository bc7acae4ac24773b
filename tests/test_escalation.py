"""No known IAM privilege-escalation path is open in any of the eight printed
operator policies (2 kinds x 2 access modes, printed with and without
``--account``).

Each path is the set of requests an attacker holding the policy would send
(the classic list: create/attach/put a policy, a new policy version or
default version, pass a role to a service that runs code, re-trust a role,
delete or replace a boundary, join a group, make access keys or a console
password, assume any role, ...). A request is evaluated as IAM's policy
evaluation logic says (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
an explicit Deny wins, then an Allow, else denied; ``Action``/``NotAction`` and
``Resource``/``NotResource`` with ``*`` and ``?``; conditions by their
operator, a negated operator matching an absent key, any other failing on it
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
Conditions on what the caller writes into the request (tags, region) count as
met: the attacker writes what the policy asks. A path is open when every
request of it is allowed; it is fenced when it is allowed only under the
administrator's boundary (``iam:PermissionsBoundary``), whose document the
operator cannot change and which grants no IAM or STS action at all.

parliament's community auditors (``include_community_auditors``) are run on
each policy too: their one privilege-escalation finding (Serverless:
``iam:PutRolePolicy`` with ``sts:AssumeRole``) is the fenced path below;
docs/redshift.md answers it.
"""

import fnmatch
import json

import pytest
from parliament import analyze_policy_string

from sparkify_nb import config
from sparkify_nb.iam import boundary, operator

ACCOUNT = "123456789012"
ME = f"arn:aws:iam::{ACCOUNT}:user/mallory"
ADMIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/Admin"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
EIGHT = [(kind, mode, account) for kind in ("provisioned", "serverless") for mode in ("data_api", "direct")
         for account in ("*", ACCOUNT)]
ATTACKER_WRITES = ("aws:RequestTag/", "aws:TagKeys", "aws:RequestedRegion", "ec2:CreateAction")


def settings_for(kind, mode):
    return config.load("/nonexistent/absent.cfg", environ={}, overrides={
        "general.target": "redshift", "cluster.kind": kind, "cluster.access": mode})


def policy_for(kind, mode, account):
    return operator.policy(settings_for(kind, mode), account)


def listed(value):
    return [value] if isinstance(value, str) else list(value)


def like(pattern, value):
    """IAM's wildcard match: ``*`` any run of characters, ``?`` one; actions without case."""
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def condition_holds(operator_name, key, wanted, context):
    if key.startswith(ATTACKER_WRITES):
        return True
    wanted = [str(w).replace("${aws:userid}", context.get("aws:userid", "")).replace(
        "${aws:username}", "mallory") for w in listed(wanted)]
    name = operator_name.split(":", 1)[-1]
    negated = "Not" in name
    if key not in context:
        return negated  # StringNotEquals, ArnNotEquals ... match an absent key; the others do not
    values = listed(context[key])
    base = name.replace("Not", "").replace("IfExists", "")
    if base == "StringEquals":
        hit = any(v == w for v in values for w in wanted)
    elif base in ("StringLike", "ArnLike", "ArnEquals"):  # "ArnEquals and ArnLike behave identically" (wildcards)
        hit = any(like(w, v) for v in values for w in wanted)
    else:
        raise AssertionError(f"operator {operator_name} not evaluated here: teach the test before using it")
    return not hit if negated else hit


def statement_applies(st, action, resource, context):
    actions = listed(st.get("Action", st.get("NotAction", [])))
    matched = any(like(a.lower(), action.lower()) for a in actions)
    if ("NotAction" in st) == matched:
        return False
    resources = [r.replace("${aws:username}", "mallory") for r in listed(st.get("Resource", st.get("NotResource")))]
    matched = any(like(r, resource) for r in resources)
    if ("NotResource" in st) == matched:
        return False
    return all(condition_holds(op, key, wanted, context)
               for op, block in st.get("Condition", {}).items() for key, wanted in block.items())


def allowed(policy, action, resource, context=None):
    context = {"aws:userid": "AIDAMALLORY", **(context or {})}
    applying = [st for st in policy["Statement"] if statement_applies(st, action, resource, context)]
    return not any(st["Effect"] == "Deny" for st in applying) and any(st["Effect"] == "Allow" for st in applying)


def stack_roles(settings):
    name = settings.stack_name
    return [f"arn:aws:iam::{ACCOUNT}:role/{name}-redshift-{r}" for r in ("copy", "scheduler", "analyst")] + [
        f"arn:aws:iam::{ACCOUNT}:role/{name}-lease"]


def other_boundary():
    return f"arn:aws:iam::{ACCOUNT}:policy/Wider"


def paths(settings):
    """Escalation paths: name -> the alternatives, each a list of (action, resource, context) that must all be
    allowed for the path to be open."""
    bound = boundary.policy_arn(settings, ACCOUNT)
    roles = stack_roles(settings)
    any_policy = [bound, f"arn:aws:iam::{ACCOUNT}:policy/Anything", ADMIN_POLICY]
    code_runners = {"ec2.amazonaws.com": "ec2:RunInstances", "lambda.amazonaws.com": "lambda:CreateFunction",
                    "glue.amazonaws.com": "glue:CreateDevEndpoint", "cloudformation.amazonaws.com":
                    "cloudformation:CreateStack", "sagemaker.amazonaws.com": "sagemaker:CreateNotebookInstance",
                    "ecs-tasks.amazonaws.com": "ecs:RunTask", "codebuild.amazonaws.com": "codebuild:CreateProject",
                    "datapipeline.amazonaws.com": "datapipeline:CreatePipeline"}
    out = {
        "create a new version of a policy": [[("iam:CreatePolicyVersion", p, {})] for p in any_policy],
        "set a policy's default version": [[("iam:SetDefaultPolicyVersion", p, {})] for p in any_policy],
        "create a policy and attach it to yourself": [[("iam:CreatePolicy", p, {}), (attach, ME, {})]
                                                      for p in any_policy for attach in ("iam:AttachUserPolicy",)],
        "attach an existing policy": [[(a, target, {"iam:PolicyARN": ADMIN_POLICY})] for a, target in (
            ("iam:AttachUserPolicy", ME), ("iam:AttachRolePolicy", ADMIN_ROLE), ("iam:AttachGroupPolicy",
                                                                                 f"arn:aws:iam::{ACCOUNT}:group/g"))]
        + [[("iam:AttachRolePolicy", r, {"iam:PolicyARN": ADMIN_POLICY, "iam:PermissionsBoundary": bound})]
           for r in roles],
        "put an inline policy into yourself or a group": [[("iam:PutUserPolicy", ME, {})],
                                                           [("iam:PutGroupPolicy", f"arn:aws:iam::{ACCOUNT}:group/g",
                                                             {})]],
        "put an inline policy into a role without the boundary, then assume it": [
            [("iam:PutRolePolicy", r, {}), ("sts:AssumeRole", r, {})] for r in roles + [ADMIN_ROLE]],
        "put an inline policy into a role under another boundary": [
            [("iam:PutRolePolicy", r, {"iam:PermissionsBoundary": other_boundary()})] for r in roles],
        "create a role without the boundary (or another), write it and assume it": [
            [("iam:CreateRole", r, ctx), ("iam:PutRolePolicy", r, ctx), ("sts:AssumeRole", r, {})]
            for r in roles for ctx in ({}, {"iam:PermissionsBoundary": other_boundary()})],
        "delete or replace the boundary": [[("iam:DeletePolicy", bound, {}), ("iam:CreatePolicy", bound, {})]],
        "remove a role's boundary or set another": [
            [("iam:DeleteRolePermissionsBoundary", r, {})] for r in roles]
        + [[("iam:PutRolePermissionsBoundary", r, {"iam:PermissionsBoundary": other_boundary()})] for r in roles]
        + [[("iam:DeleteUserPermissionsBoundary", ME, {})]],
        "re-trust a role, then assume it": [[("iam:UpdateAssumeRolePolicy", r, {}), ("sts:AssumeRole", r, {})]
                                            for r in roles + [ADMIN_ROLE]],
        "assume a role that is not the stack's": [[("sts:AssumeRole", ADMIN_ROLE, {})]],
        "add yourself to a group": [[("iam:AddUserToGroup", f"arn:aws:iam::{ACCOUNT}:group/admins", {})]],
        "make access keys or a console password for someone": [
            [(a, f"arn:aws:iam::{ACCOUNT}:user/admin", {})] for a in (
                "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile")],
        "pass a role to a service that runs code": [
            [("iam:PassRole", r, {"iam:PassedToService": service}), (run, "*", {})]
            for r in roles + [ADMIN_ROLE] for service, run in code_runners.items()],
        "pass another role to Redshift": [[("iam:PassRole", ADMIN_ROLE, {"iam:PassedToService": s})]
                                          for s in ("redshift.amazonaws.com", "redshift-serverless.amazonaws.com",
                                                    "scheduler.redshift.amazonaws.com")],
        "run code on what exists": [[(a, "*", {})] for a in (
            "lambda:UpdateFunctionCode", "ssm:SendCommand", "ec2:ModifyInstanceAttribute",
            "glue:UpdateDevEndpoint", "cloudformation:UpdateStack")],
        "make a service-linked role for another service": [[(
            "iam:CreateServiceLinkedRole", f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/{s}/x",
            {"iam:AWSServiceName": s})] for s in ("ec2.amazonaws.com", "lambda.amazonaws.com")],
    }
    return out


def open_paths(policy, settings):
    return sorted(name for name, alternatives in paths(settings).items()
                  if any(all(allowed(policy, a, r, c) for a, r, c in steps) for steps in alternatives))


@pytest.mark.parametrize("kind, mode, account", EIGHT)
def test_no_known_escalation_path_is_open(kind, mode, account):
    policy = policy_for(kind, mode, account)
    assert open_paths(policy, settings_for(kind, mode)) == []


@pytest.mark.parametrize("kind, mode, account", EIGHT)
def test_writing_and_assuming_a_role_is_fenced_by_the_boundary_the_operator_cannot_change(kind, mode, account):
    """parliament's finding (Serverless: PutRolePolicy + AssumeRole): allowed only into a role that carries the
    administrator's boundary, so the role can do at most what the boundary allows, which is no IAM or STS
    action; and no path changes or removes the boundary (the test above)."""
    settings, policy = settings_for(kind, mode), policy_for(kind, mode, account)
    bound = boundary.policy_arn(settings, ACCOUNT)
    analyst = stack_roles(settings)[2]
    under_boundary = {"iam:PermissionsBoundary": bound}
    assert allowed(policy, "iam:PutRolePolicy", analyst, under_boundary)
    assert not allowed(policy, "iam:PutRolePolicy", analyst, {})
    assert allowed(policy, "sts:AssumeRole", analyst) == (kind == "serverless")
    granted = {a for st in boundary.document(settings, ACCOUNT)["Statement"] for a in listed(st["Action"])}
    assert not [a for a in granted if a.split(":")[0] in ("iam", "sts")]
    # the lease role's: delete this warehouse (keeping its final snapshot, and on Serverless the admin secret
    # Redshift deletes with the namespace) at the deadline, nothing else
    lease = {"redshift:DeleteCluster", "redshift:CreateClusterSnapshot", "redshift-serverless:DeleteWorkgroup",
             "redshift-serverless:DeleteNamespace", "redshift-serverless:CreateSnapshot",
             "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret"}
    assert granted <= {"s3:GetObject", "s3:ListBucket", "redshift:PauseCluster", "redshift-serverless:GetCredentials",
                       "redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement",
                       "redshift-data:DescribeStatement", "redshift-data:GetStatementResult",
                       "redshift-data:CancelStatement"} | lease


@pytest.mark.parametrize("kind, mode, account", EIGHT)
def test_parliaments_community_auditors_find_no_escalation_but_the_fenced_one(kind, mode, account):
    findings = analyze_policy_string(json.dumps(policy_for(kind, mode, account)),
                                     include_community_auditors=True).findings
    escalations = [sorted(f.location["actions"]) for f in findings if f.issue == "PRIVILEGE_ESCALATION"]
    assert escalations == ([["iam:putrolepolicy", "sts:assumerole"]] if kind == "serverless" else [])


def test_the_walk_finds_a_path_the_policy_would_open():
    """The evaluator is not blind: each of these added statements opens the path named."""
    settings = settings_for("provisioned", "data_api")
    base = policy_for("provisioned", "data_api", ACCOUNT)
    bound = boundary.policy_arn(settings, ACCOUNT)
    cases = {
        "create a new version of a policy": {"Action": "iam:CreatePolicyVersion", "Resource": bound},
        "re-trust a role, then assume it": {"Action": ["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"],
                                            "Resource": "arn:aws:iam::*:role/sparkify-*"},
        "pass a role to a service that runs code": {"NotAction": "s3:*", "Resource": "*"},
        "put an inline policy into a role without the boundary, then assume it": {
            "Action": ["iam:PutRolePolicy", "sts:AssumeRole"], "Resource": ADMIN_ROLE,
            "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": bound}}},
    }
    for name, extra in cases.items():
        policy = {**base, "Statement": base["Statement"] + [{"Effect": "Allow", **extra}]}
        assert name in open_paths(policy, settings), name
    # and a Deny closes it again
    widened = {**base, "Statement": base["Statement"] + [
        {"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*PolicyVersion", "Resource": "*"}]}
    assert open_paths(widened, settings) == []
