"""What the rehearsal's IAM evaluator finds in the printed operator policy: each call 01 makes,
authorised as AWS authorises it (once per resource it touches, with the condition keys the Service
Authorization Reference lists for that resource's row; sparkify_nb/local/iam/authorize.py), for every
kind x access pair. Each test here failed on the policy before its fix."""

import pytest

from sparkify_nb import config
from sparkify_nb.iam import operator
from sparkify_nb.iam.tags import OWNER_KEY, TAG_KEY
from sparkify_nb.local.iam.authorize import decide

ACCOUNT, REGION = "210000000001", "us-west-2"
USER = f"arn:aws:iam::{ACCOUNT}:user/sparkify-operator"
PAIRS = [(k, a) for k in operator.KINDS for a in operator.ACCESS]


def _policy(kind, access):
    settings = config.load(overrides={"general.target": "redshift", "cluster.kind": kind, "cluster.access": access})
    return operator.policy(settings, ACCOUNT, USER), settings.stack_name


def _arn(resource):
    return f"arn:aws:ec2:{REGION}:{ACCOUNT}:{resource}"


def _context(stack, **extra):
    """A create's context as AWS builds it: the request's tags (TagSpecifications), the tags of the
    existing resources it uses, the caller and the Region."""
    return {"aws:PrincipalArn": USER, "aws:userid": "AIDAOPERATOR", "aws:RequestedRegion": REGION,
            f"aws:RequestTag/{TAG_KEY}": stack, f"aws:RequestTag/{OWNER_KEY}": USER,
            "aws:TagKeys": [TAG_KEY, OWNER_KEY], f"aws:ResourceTag/{TAG_KEY}": stack, **extra}


@pytest.mark.parametrize("kind, access", PAIRS)
@pytest.mark.parametrize("action, resources", [
    ("ec2:CreateSubnet", ["subnet/*", "vpc/vpc-0abc"]),
    ("ec2:CreateSecurityGroup", ["security-group/*", "vpc/vpc-0abc"]),
    ("ec2:CreateRouteTable", ["route-table/*", "vpc/vpc-0abc"]),
])
def test_a_create_in_our_vpc_is_allowed_on_the_new_resource_and_on_the_vpc_it_goes_into(kind, access, action,
                                                                                          resources):
    policy, stack = _policy(kind, access)
    if not any(action in s["Action"] for s in policy["Statement"] if s["Effect"] == "Allow"):
        pytest.skip(f"{action} is not called with {kind} x {access}")
    verdict = decide(action, [_arn(r) for r in resources], _context(stack), [policy])
    assert [(r.split(":")[-1], d.allowed) for r, d in verdict.decisions] == [(r, True) for r in resources]


@pytest.mark.parametrize("kind, access", PAIRS)
def test_a_create_in_a_vpc_not_ours_is_still_refused_on_the_vpc(kind, access):
    policy, stack = _policy(kind, access)
    verdict = decide("ec2:CreateSubnet", [_arn("subnet/*"), _arn("vpc/vpc-0abc")],
                     _context(stack, **{f"aws:ResourceTag/{TAG_KEY}": "someone-else"}), [policy])
    assert (verdict.allowed, verdict.resource, verdict.decisions[-1][1].why) == (
        False, _arn("vpc/vpc-0abc"), "explicit deny")


@pytest.mark.parametrize("action", ["redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement"])
def test_sql_and_credentials_on_our_workgroup_are_allowed_by_the_tag_its_resource_type_takes(action):
    """The SAR's action rows for the workgroup (the Data API's ExecuteStatement, Serverless's GetCredentials)
    list no condition key; the workgroup's row in the Resource types table lists aws:ResourceTag, which
    applies to them. Read from the action rows alone, every tag-scoped Serverless statement failed: the
    rehearsal's 02 was refused BatchExecuteStatement on its own workgroup."""
    policy, stack = _policy("serverless", "data_api")
    workgroup = f"arn:aws:redshift-serverless:{REGION}:{ACCOUNT}:workgroup/53eb96fd-5182-42a2-9bb3-3df3227d55d8"
    assert decide(action, [workgroup], _context(stack), [policy]).allowed
    assert decide("redshift-serverless:GetCredentials", [workgroup], _context(stack), [policy]).allowed
    assert not decide("redshift-serverless:GetCredentials", [workgroup],
                      _context(stack, **{f"aws:ResourceTag/{TAG_KEY}": "someone-else"}), [policy]).allowed
