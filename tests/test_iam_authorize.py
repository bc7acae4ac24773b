"""The rehearsal's authorisation hook (sparkify_nb/local/iam/authorize.py) and the Service
Authorization Reference table it reads (sparkify_nb/iam/sar.py, sar.json)."""

import json

from sparkify_nb import config
from sparkify_nb.iam import sar
from sparkify_nb.local.iam.authorize import authorize, context_for, decide

ACCOUNT, REGION = "210000000001", "us-west-2"
SUBNET, VPC = (f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/*", f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-0abc")
CONTEXT = {"aws:RequestTag/sparkify:stack": "s", "aws:TagKeys": ["sparkify:stack"], "aws:ResourceTag/sparkify:stack": "s",
           "aws:RequestedRegion": REGION, "aws:PrincipalArn": "arn:aws:iam::1:user/u", "ec2:Vpc": VPC}


def test_the_table_is_what_refreshing_it_from_the_pinned_sar_copy_gives():
    import importlib.metadata
    from pathlib import Path

    import parliament

    definition = json.loads((Path(parliament.__file__).with_name("iam_definition.json")).read_text())
    assert sar.build(definition, importlib.metadata.version("parliament")) == json.loads(sar.DATA.read_text())


def test_make_sar_rewrites_the_pinned_table_byte_for_byte_from_the_same_parliament(tmp_path, monkeypatch):
    """`make sar` (sar.refresh) writes sorted JSON, one space an indent, a final newline: the pinned file as
    committed, so a refresh from the same parliament changes no line of it."""
    pinned = sar.DATA.read_bytes()
    monkeypatch.setattr(sar, "DATA", tmp_path / "sar.json")
    try:
        assert sar.refresh() == tmp_path / "sar.json"
        assert (tmp_path / "sar.json").read_bytes() == pinned
    finally:
        sar._table.cache_clear()  # read the pinned file again, not the copy
        sar.rows.cache_clear()


def test_an_existing_resources_tags_are_in_its_context_where_only_the_resource_types_table_lists_them():
    # the SAR's Redshift Serverless action rows list no condition key; its Resource types table lists
    # aws:ResourceTag for namespace and workgroup
    workgroup = f"arn:aws:redshift-serverless:{REGION}:{ACCOUNT}:workgroup/0abc"
    assert "aws:ResourceTag/sparkify:stack" in context_for("redshift-serverless:DeleteWorkgroup", workgroup, CONTEXT)
    assert "aws:ResourceTag/sparkify:stack" in context_for("redshift-data:ExecuteStatement", workgroup, CONTEXT)


def test_the_table_gives_each_action_its_rows_with_required_types_and_arn_formats():
    rows = {r.type: r for r in sar.rows("ec2:CreateSubnet")}
    assert (rows["subnet"].required, rows["vpc"].required, rows["ipam-pool"].required) == (True, True, False)
    assert rows["vpc"].arn == "arn:${Partition}:ec2:${Region}:${Account}:vpc/${VpcId}"
    assert rows["subnet"].dependent == ("ec2:CreateTags",)
    assert sar.resource_type("ec2:CreateSubnet", VPC).type == "vpc"


def test_a_resource_is_evaluated_only_with_the_keys_its_row_lists_and_the_global_ones():
    new_subnet = {k: v for k, v in CONTEXT.items() if not k.startswith("aws:ResourceTag/")}  # it has no tags yet
    assert sorted(context_for("ec2:CreateSubnet", SUBNET, new_subnet)) == [
        "aws:PrincipalArn", "aws:RequestTag/sparkify:stack", "aws:RequestedRegion", "aws:TagKeys"]
    assert sorted(context_for("ec2:CreateSubnet", VPC, CONTEXT)) == [
        "aws:PrincipalArn", "aws:RequestedRegion", "aws:ResourceTag/sparkify:stack"]


def test_a_resource_types_own_tag_key_applies_to_actions_whose_row_lists_no_key():
    """Redshift Serverless's action rows list no condition key; its workgroup type lists aws:ResourceTag
    (the SAR's Resource types table), and that applies to every action on a workgroup. Request keys stay
    the action row's: DeleteWorkgroup carries no aws:RequestTag though CreateWorkgroup's type lists it."""
    workgroup = f"arn:aws:redshift-serverless:{REGION}:{ACCOUNT}:workgroup/53eb96fd"
    for action in ("redshift-serverless:DeleteWorkgroup", "redshift-data:ExecuteStatement"):
        assert sorted(context_for(action, workgroup, CONTEXT)) == [
            "aws:PrincipalArn", "aws:RequestedRegion", "aws:ResourceTag/sparkify:stack"], action


def test_a_request_tag_condition_allows_the_new_subnet_but_not_the_vpc_it_goes_into():
    policy = {"Statement": [{"Sid": "Tagged", "Effect": "Allow", "Action": "ec2:CreateSubnet",
                             "Resource": [SUBNET, f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/*"],
                             "Condition": {"StringEquals": {"aws:RequestTag/sparkify:stack": "s"}}}]}
    verdict = decide("ec2:CreateSubnet", [SUBNET, VPC], CONTEXT, [policy])
    assert (verdict.allowed, verdict.resource) == (False, VPC)
    assert [(r, d.why, d.sid) for r, d in verdict.decisions] == [(SUBNET, "allowed", "Tagged"), (VPC, "implicit deny", "")]
    assert verdict.message("arn:aws:iam::1:user/u") == (
        f"User: arn:aws:iam::1:user/u is not authorized to perform: ec2:CreateSubnet on resource: {VPC} "
        "because no identity-based policy allows the ec2:CreateSubnet action")


def test_an_allowed_request_names_each_resource_it_was_allowed_on_the_last_as_its_resource():
    policy = {"Statement": [{"Sid": "Both", "Effect": "Allow", "Action": "ec2:CreateSubnet", "Resource": "*"}]}
    verdict = decide("ec2:CreateSubnet", [SUBNET, VPC], CONTEXT, [policy])
    assert (verdict.allowed, verdict.resource) == (True, VPC)
    assert [(r, d.why, d.sid) for r, d in verdict.decisions] == [(SUBNET, "allowed", "Both"), (VPC, "allowed", "Both")]


def test_a_refusal_gives_the_reason_of_the_resource_refused_not_of_one_allowed_before_it():
    policy = {"Statement": [{"Sid": "All", "Effect": "Allow", "Action": "ec2:CreateSubnet", "Resource": "*"},
                            {"Sid": "NotThatVpc", "Effect": "Deny", "Action": "ec2:CreateSubnet", "Resource": VPC}]}
    verdict = decide("ec2:CreateSubnet", [SUBNET, VPC], CONTEXT, [policy])
    assert verdict.message("arn:aws:iam::1:user/u") == (
        f"User: arn:aws:iam::1:user/u is not authorized to perform: ec2:CreateSubnet on resource: {VPC} "
        "with an explicit deny in an identity-based policy")
