"""Serverless only: the IAM role 04 assumes, so that it reads the warehouse as a
read-only database user: its names and documents (01 makes it:
:mod:`sparkify_nb.infra.analyst`).

On Redshift Serverless the Data API and ``GetCredentials`` take no database
user: "The database user is mapped 1:1 to the source AWS Identity and Access
Management (IAM) identity ... IAM role sample_role is mapped to
IAMR:sample_role" (https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-iam.html),
and "When a user signs in for the first time to an Amazon Redshift Serverless
database, an associated database user is created"
(https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-iam-access-federated-db-roles.html).
So 04 runs as a role of its own, ``<stack_name>-redshift-analyst``, whose
database user ``IAMR:<stack_name>-redshift-analyst`` 02 grants ``SELECT`` on the
star tables and nothing else (:mod:`sparkify_nb.warehouse.analysts`).

The role trusts the operator who runs 01, not the whole account
(:func:`trust`): the account as ``Principal`` and a condition on
``aws:PrincipalArn``, the ARN of the IAM user or role that makes the request
("For IAM roles, the request context returns the ARN of the role, not the ARN of
the user that assumed the role":
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
Not the operator's ARN as ``Principal``: IAM turns that into the principal's
unique id, so a user or role deleted and made again under the same name would
no longer be trusted ("If you delete the role and then recreate it ... the
trust no longer works":
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html),
and an assumed-role session's ARN names the role without its path (an IAM
Identity Center role lives under ``/aws-reserved/...``), so a session's role is
matched as ``role/<name>`` or ``role/*/<name>``: a role's name is unique in
its account whatever its path
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html).
The operator also needs ``sts:AssumeRole`` on it in its own policy, which the
operator policy allows for this role only. Another operator's 01 finds the
trust drifted and makes the role again, trusting them (:mod:`sparkify_nb.infra.roles`).
The role carries the stack's
permissions boundary (:mod:`.boundary`), and may only log in to the stack's
workgroup and run SQL through the Data API (:func:`role_policy`, tag-scoped).
On a provisioned cluster 04 needs no role (the Data API and
``GetClusterCredentials`` take ``DbUser``); a role left from a Serverless run is
deleted by 01 and 99.
"""

from __future__ import annotations

from typing import Any

from ..config import Settings
from .tags import TAG_KEY

POLICY_NAME = "query-the-workgroup"
_OWN_STATEMENTS = ["redshift-data:CancelStatement", "redshift-data:DescribeStatement",
                   "redshift-data:GetStatementResult"]


def role_name(settings: Settings) -> str:
    """``<stack_name>-redshift-analyst``."""
    return f"{settings.stack_name}-redshift-analyst"


def role_arn(settings: Settings, account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:role/{role_name(settings)}"


def database_user(settings: Settings) -> str:
    """The database user Serverless maps the role to: ``IAMR:<role name>``."""
    return f"IAMR:{role_name(settings)}"


def operator_arns(caller_arn: str) -> list[str]:
    """The values of ``aws:PrincipalArn`` that name the operator whose ``sts:GetCallerIdentity`` ARN is
    ``caller_arn``: an IAM user's ARN as it is (it carries the user's path); an assumed-role session
    ``arn:aws:sts::<account>:assumed-role/<role>/<session>`` is its role, with or without a path."""
    parts = caller_arn.split(":", 5)  # arn:partition:service:region:account:resource
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        head = f"arn:{parts[1]}:iam::{parts[4]}:role/"
        role = parts[5].split("/")[1]
        return [head + role, f"{head}*/{role}"]
    return [caller_arn]


def trust(account: str, caller_arn: str, partition: str = "aws") -> dict[str, Any]:
    """Only the operator (``caller_arn``, as ``sts:GetCallerIdentity`` gives it) may assume it; they also
    need ``sts:AssumeRole`` on it in their own policy."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"}, "Action": "sts:AssumeRole",
        "Condition": {"ArnLike": {"aws:PrincipalArn": operator_arns(caller_arn)}}}]}


def role_policy(settings: Settings, account: str, partition: str = "aws") -> dict[str, Any]:
    """Log in to the workgroup tagged as this stack's and run SQL there through the Data API; read back
    only its own statements. (The boundary holds the same statements on a Serverless stack.)"""
    workgroups = f"arn:{partition}:redshift-serverless:{settings.region}:{account}:workgroup/*"
    ours = {"StringEquals": {f"aws:ResourceTag/{TAG_KEY}": settings.stack_name}}
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "LogInToTheStacksWorkgroup", "Effect": "Allow", "Action": "redshift-serverless:GetCredentials",
         "Resource": workgroups, "Condition": ours},
        {"Sid": "SqlOnTheStacksWorkgroup", "Effect": "Allow", "Action": [
            "redshift-data:BatchExecuteStatement", "redshift-data:ExecuteStatement"], "Resource": workgroups,
         "Condition": ours},
        {"Sid": "SqlInItsOwnSessions", "Effect": "Allow", "Action": [
            "redshift-data:BatchExecuteStatement", "redshift-data:ExecuteStatement"], "Resource": "*",
         "Condition": {"StringEquals": {"redshift-data:session-owner-iam-userid": "${aws:userid}"}}},
        {"Sid": "ItsOwnStatementsOnly", "Effect": "Allow", "Action": _OWN_STATEMENTS, "Resource": "*",
         "Condition": {"StringEquals": {"redshift-data:statement-owner-iam-userid": "${aws:userid}"}}}]}
