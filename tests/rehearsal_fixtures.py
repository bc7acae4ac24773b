"""Fixtures of the rehearsal's Data API endpoint tests: a real boto3
``redshift-data`` client on the endpoint of the test session's local stack,
and a cluster made on the session's emulator, a new one (unique name) per test."""

from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest
from botocore.config import Config

from sparkify_nb import local

REGION = "us-west-2"
MASTER = "awsuser"
DONE = ("FINISHED", "FAILED", "ABORTED")
_KEYS = {"region_name": REGION, "aws_access_key_id": "rehearsal", "aws_secret_access_key": "rehearsal"}


def aws(service: str, region: str = REGION):
    return boto3.client(service, endpoint_url=local.aws_endpoint(), **{**_KEYS, "region_name": region})


@pytest.fixture
def data_api():
    """A boto3 redshift-data client on the endpoint."""
    return boto3.client("redshift-data", endpoint_url=local.data_api_endpoint(), **_KEYS)


@pytest.fixture
def raw_api():
    """The same client without its own parameter checks: what the server alone refuses."""
    return boto3.client("redshift-data", endpoint_url=local.data_api_endpoint(),
                        config=Config(parameter_validation=False, retries={"max_attempts": 1}), **_KEYS)


def make_cluster(roles: list[str] | None = None, name: str | None = None) -> dict:
    identifier = name or f"rh-{uuid.uuid4().hex[:10]}"
    return aws("redshift").create_cluster(
        ClusterIdentifier=identifier, NodeType="ra3.xlplus", ClusterType="single-node", MasterUsername=MASTER,
        MasterUserPassword="Rehearsal1x", DBName="dev", IamRoles=roles or [])["Cluster"]


@pytest.fixture
def cluster():
    """A new cluster on the session's emulator; the target of a statement on it (as the master user)."""
    made = make_cluster()
    yield {"ClusterIdentifier": made["ClusterIdentifier"], "Database": "dev", "DbUser": MASTER}
    aws("redshift").delete_cluster(ClusterIdentifier=made["ClusterIdentifier"], SkipFinalClusterSnapshot=True)


def wait(client, statement_id: str, timeout_s: float = 30) -> dict:
    """DescribeStatement until the statement is done."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        described = client.describe_statement(Id=statement_id)
        if described["Status"] in DONE:
            return described
        time.sleep(0.02)
    raise AssertionError(f"statement {statement_id} still {described['Status']} after {timeout_s} s")


def run(client, sql: str, **target) -> dict:
    """ExecuteStatement ``sql`` and wait for it."""
    return wait(client, client.execute_statement(Sql=sql, **target)["Id"])


def rows(client, statement_id: str) -> list[list]:
    """Every record of a statement's result as plain values."""
    out, args = [], {"Id": statement_id}
    while True:
        page = client.get_statement_result(**args)
        out += [[None if f.get("isNull") else next(iter(f.values())) for f in r] for r in page["Records"]]
        if not page.get("NextToken"):
            return out
        args["NextToken"] = page["NextToken"]


def error_code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


def policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
