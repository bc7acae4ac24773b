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

The role trusts the account (``arn:aws:iam::<account>:root``: a principal of
the account may assume it when its own policy allows ``sts:AssumeRole`` on it,
which the operator policy does for this role only), carries the stack's
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


def trust(account: str, partition: str = "aws") -> dict[str, Any]:
    """Principals of the account may assume it (each needs ``sts:AssumeRole`` on it in its own policy)."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"}, "Action": "sts:AssumeRole"}]}


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
        {"Sid": "ItsOwnStatementsOnly", "Effect": "Allow", "Action": _OWN_STATEMENTS, "Resource": "*",
         "Condition": {"StringEquals": {"redshift-data:statement-owner-iam-userid": "${aws:userid}"}}}]}
