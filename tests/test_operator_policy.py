"""The operator policy reaches nothing beyond the stack, and cannot escalate.

Read as a reviewer reads it: every statement is walked against the Service
Authorization Reference as parliament ships it (``iam_definition.json``: each
action's resource types, condition keys and access level), for every cluster
kind, access mode and guardrail.
"""

import json
from pathlib import Path

import parliament
import pytest

from sparkify_nb import config
from sparkify_nb.iam import operator as access, scopes

SAR = {s["prefix"]: s for s in json.loads((Path(parliament.__file__).parent / "iam_definition.json").read_text())}
BOUNDARY = "arn:aws:iam::123456789012:policy/sparkify-boundary"
ROLES = {"arn:aws:iam::123456789012:role/sparkify-redshift-copy",
         "arn:aws:iam::123456789012:role/sparkify-redshift-scheduler",
         "arn:aws:iam::123456789012:role/sparkify-redshift-analyst", "arn:aws:iam::123456789012:role/sparkify-lease"}
CASES = [(kind, mode, guarded) for kind in ("provisioned", "serverless") for mode in ("data_api", "direct")
         for guarded in (False, True)]
GUARDRAILS = {"provisioned": {"cluster.pause_schedule": "cron(0 20 * * ? *)"},
              "serverless": {"cluster.max_rpu_hours_per_day": "16"}}


def policy_for(tmp_path, kind="provisioned", mode="data_api", guarded=False, **extra):
    settings = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "cluster.kind": kind, "cluster.access": mode,
        **(GUARDRAILS[kind] if guarded else {}), **extra})
    return access.policy(settings, "123456789012")


def privilege(action):
    service, name = action.split(":")
    return next(p for p in SAR[service]["privileges"] if p["privilege"] == name)


def resource_types(action):
    return [rt["resource_type"].rstrip("*") for rt in privilege(action)["resource_types"] if rt["resource_type"]]


def tag_scoped(statement):
    return any(key in (f"aws:ResourceTag/{scopes.TAG_KEY}", f"aws:RequestTag/{scopes.TAG_KEY}")
               for block in statement.get("Condition", {}).values() for key in block)


def type_wide(arn):
    """``arn:...:vpc/*`` or ``arn:...:workgroup/*``: every resource of a type (no name of ours in it)."""
    service, resource = arn.split(":")[2], arn.split(":", 5)[5]
    kind, _, rest = resource.partition("/")
    types = {r["resource"] for r in SAR[service]["resources"]}
    return resource == "*" or (rest == "*" and kind in types)


def own_session(statement):
    return statement.get("Condition") == {
        "StringEquals": {"redshift-data:session-owner-iam-userid": "${aws:userid}"}}


def reaches_beyond(policy):
    """What a reviewer would flag: an action on existing resources with Resource "*" when AWS documents a
    resource type for it, or on every resource of a type with no tag condition (unless it is a read that
    finds the stack, :data:`scopes.READ_TO_FIND`); and "*" for an action not listed as taking none."""
    out = []
    for st in (st for st in policy["Statement"] if st["Effect"] == "Allow"):
        for action in st["Action"]:
            if not resource_types(action):
                if action not in scopes.NO_RESOURCE:
                    out.append(f"{st['Sid']}: {action} takes no resource but is not a listed exception")
            elif st["Resource"] == ["*"] and own_session(st):
                continue  # a call that carries only a session the caller opened (rules_redshift.OWN_SESSIONS)
            elif st["Resource"] == ["*"]:
                out.append(f"{st['Sid']}: {action} on '*' although it takes {resource_types(action)}")
            elif any(type_wide(r) for r in st["Resource"]) and not tag_scoped(st):
                if action not in scopes.READ_TO_FIND or privilege(action)["access_level"] not in ("Read", "List"):
                    out.append(f"{st['Sid']}: {action} on every {st['Resource']} with no tag condition")
    return out


@pytest.mark.parametrize("kind, mode, guarded", CASES)
def test_no_statement_acts_on_resources_beyond_the_stack(tmp_path, kind, mode, guarded):
    assert reaches_beyond(policy_for(tmp_path, kind, mode, guarded)) == []


def test_the_walk_flags_a_delete_on_star_and_an_untagged_type_wide_write(tmp_path):
    policy = policy_for(tmp_path)
    policy["Statement"] += [
        {"Sid": "Broad", "Effect": "Allow", "Action": ["ec2:DeleteVpc"], "Resource": ["*"]},
        {"Sid": "Wide", "Effect": "Allow", "Action": ["redshift-serverless:DeleteWorkgroup"],
         "Resource": ["arn:aws:redshift-serverless:us-west-2:123456789012:workgroup/*"]}]
    assert reaches_beyond(policy) == [
        "Broad: ec2:DeleteVpc on '*' although it takes ['vpc']",
        "Wide: redshift-serverless:DeleteWorkgroup on every "
        "['arn:aws:redshift-serverless:us-west-2:123456789012:workgroup/*'] with no tag condition"]


def test_the_only_actions_on_star_are_those_aws_documents_with_no_resource_each_with_its_page():
    for action in sorted(scopes.NO_RESOURCE):
        assert resource_types(action) == [], action
        assert action.split(":")[0] in scopes.PAGES
    for action in scopes.READ_TO_FIND:
        assert privilege(action)["access_level"] in ("Read", "List")


@pytest.mark.parametrize("kind, mode, guarded", CASES)
def test_every_create_that_can_tag_on_creation_must_tag_the_stack(tmp_path, kind, mode, guarded):
    """A create whose resource takes ``aws:RequestTag`` (its Service Authorization Reference entry) is
    allowed only with the stack's tag, unless it is one of the documented :data:`scopes.UNTAGGED_CREATES`.
    A statement that asks the existing resources a create uses (the VPC of a subnet) for their tag
    cannot allow the new one: the new resource's row has no ``aws:ResourceTag`` key, so that
    condition never holds there."""
    for st in (st for st in policy_for(tmp_path, kind, mode, guarded)["Statement"] if st["Effect"] == "Allow"):
        for action in st["Action"]:
            rows = privilege(action)["resource_types"]
            keys = {k for rt in rows for k in rt["condition_keys"]}
            if "aws:RequestTag/${TagKey}" in keys and action.split(":")[1].startswith(("Create", "Tag")):
                conditions = {k for block in st.get("Condition", {}).values() for k in block}
                new_rows = [set(rt["condition_keys"]) for rt in rows if "aws:RequestTag/${TagKey}" in rt["condition_keys"]]
                only_existing = f"aws:ResourceTag/{scopes.TAG_KEY}" in conditions and all(
                    "aws:ResourceTag/${TagKey}" not in row for row in new_rows)
                assert action in scopes.UNTAGGED_CREATES or only_existing or {
                    f"aws:RequestTag/{scopes.TAG_KEY}", "aws:TagKeys"} <= conditions or (
                    action == "ec2:CreateTags" and "ec2:CreateAction" in conditions), (st["Sid"], action)


@pytest.mark.parametrize("kind, mode, guarded", CASES)
def test_roles_are_made_and_written_only_with_the_boundary_and_no_policy_can_be_made_changed_or_removed(
        tmp_path, kind, mode, guarded):
    policy = policy_for(tmp_path, kind, mode, guarded)
    allowed = {a: st for st in policy["Statement"] if st["Effect"] == "Allow" for a in st["Action"]}
    for action in ("iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"):
        st = allowed[action]
        assert st["Condition"]["ArnEquals"] == {"iam:PermissionsBoundary": BOUNDARY}
        assert set(st["Resource"]) <= ROLES
    for never in ("iam:AttachRolePolicy", "iam:CreatePolicy", "iam:DeletePolicy", "iam:CreatePolicyVersion",
                  "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy",
                  "iam:DeleteRolePermissionsBoundary", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy"):
        assert never not in allowed, never
    assert allowed.get("sts:AssumeRole", {"Resource": []})["Resource"] == (
        ["arn:aws:iam::123456789012:role/sparkify-redshift-analyst"] if kind == "serverless" else [])
    assert not any("*" in a for a in allowed)
    assert allowed["iam:GetPolicyVersion"]["Resource"] == [BOUNDARY]
    passed = [st for st in policy["Statement"] if "iam:PassRole" in st["Action"]]
    services = {s for st in passed for s in st["Condition"]["StringEquals"]["iam:PassedToService"]}
    assert services <= {"redshift.amazonaws.com", "scheduler.redshift.amazonaws.com", "scheduler.amazonaws.com"} | (
        {"redshift-serverless.amazonaws.com"} if kind == "serverless" else set())
    assert {r for st in passed for r in st["Resource"]} <= ROLES


@pytest.mark.parametrize("kind", ["provisioned", "serverless"])
def test_the_lease_adds_only_its_schedules_by_name_and_its_role_passed_to_the_scheduler(tmp_path, kind):
    policy = policy_for(tmp_path, kind)
    scheduling = [st for st in policy["Statement"] if any(a.startswith("scheduler:") for a in st["Action"])]
    assert [(st["Sid"], st["Action"], st["Resource"], st.get("Condition")) for st in scheduling] == [
        ("TheLeaseSchedulesOfThisStack", ["scheduler:CreateSchedule", "scheduler:DeleteSchedule",
                                          "scheduler:GetSchedule", "scheduler:UpdateSchedule"],
         ["arn:aws:scheduler:us-west-2:123456789012:schedule/default/sparkify-lease",
          "arn:aws:scheduler:us-west-2:123456789012:schedule/default/sparkify-lease-namespace"], None)]
    [passed] = [st for st in policy["Statement"] if st["Sid"] == "PassTheLeaseRoleToTheScheduler"]
    assert (passed["Action"], passed["Resource"], passed["Condition"]) == (
        ["iam:PassRole"], ["arn:aws:iam::123456789012:role/sparkify-lease"],
        {"StringEquals": {"iam:PassedToService": ["scheduler.amazonaws.com"]}})


def test_without_a_lease_the_policy_keeps_only_what_finds_and_removes_one(tmp_path):
    """lease_hours = 0: 01 makes no schedule, but 99 still looks for one (and deletes it); nothing creates or moves
    one, and the lease role is passed to no one."""
    policy = policy_for(tmp_path, **{"cluster.lease_hours": 0})
    actions = {a for st in policy["Statement"] for a in st["Action"]}
    assert {a for a in actions if a.startswith("scheduler:")} == {"scheduler:GetSchedule", "scheduler:DeleteSchedule"}
    assert "PassTheLeaseRoleToTheScheduler" not in {st["Sid"] for st in policy["Statement"]}


def test_a_create_may_use_only_a_vpc_and_route_table_tagged_ours(tmp_path):
    denies = [st for st in policy_for(tmp_path)["Statement"] if st["Effect"] == "Deny"]
    assert [(st["Action"], st["Resource"], st["Condition"]) for st in denies] == [
        (["ec2:CreateRouteTable", "ec2:CreateSecurityGroup", "ec2:CreateSubnet", "ec2:CreateVpcEndpoint"],
         ["arn:aws:ec2:us-west-2:123456789012:vpc/*"],
         {"StringNotEquals": {"aws:ResourceTag/sparkify:stack": "sparkify"}}),
        (["ec2:CreateVpcEndpoint"], ["arn:aws:ec2:us-west-2:123456789012:route-table/*"],
         {"StringNotEquals": {"aws:ResourceTag/sparkify:stack": "sparkify"}})]


def test_ec2_may_tag_only_while_our_creates_run(tmp_path):
    [tag] = [st for st in policy_for(tmp_path)["Statement"] if "ec2:CreateTags" in st["Action"]]
    assert tag["Condition"]["StringEquals"]["ec2:CreateAction"] == [
        "CreateInternetGateway", "CreateRouteTable", "CreateSecurityGroup", "CreateSubnet", "CreateVpc",
        "CreateVpcEndpoint"]


def test_redshift_is_scoped_to_the_stacks_names(tmp_path):
    policy = policy_for(tmp_path)
    by_sid = {st["Sid"]: st for st in policy["Statement"]}
    assert by_sid["ClusterOfThisStack"]["Resource"] == [
        "arn:aws:redshift:us-west-2:123456789012:cluster:sparkify-dwh",
        "arn:aws:redshift:us-west-2:123456789012:parametergroup:sparkify-params",
        "arn:aws:redshift:us-west-2:123456789012:subnetgroup:sparkify-subnets",
        "arn:aws:redshift:us-west-2:123456789012:snapshot:sparkify-dwh/*"]
    assert by_sid["DatabaseUsersOfThisCluster"]["Resource"] == [
        "arn:aws:redshift:us-west-2:123456789012:dbuser:sparkify-dwh/sparkify_admin",
        "arn:aws:redshift:us-west-2:123456789012:dbuser:sparkify-dwh/sparkify_analyst",
        "arn:aws:redshift:us-west-2:123456789012:dbname:sparkify-dwh/sparkify"]
    assert by_sid["SqlOnThisCluster"]["Resource"] == ["arn:aws:redshift:us-west-2:123456789012:cluster:sparkify-dwh"]
    assert by_sid["AdminSecretOfThisCluster"]["Resource"] == [
        "arn:aws:secretsmanager:us-west-2:123456789012:secret:redshift!sparkify-dwh-sparkify_admin-*"]
    assert by_sid["SqlInYourOwnDataApiSessions"] == {
        "Sid": "SqlInYourOwnDataApiSessions", "Effect": "Allow",
        "Action": ["redshift-data:BatchExecuteStatement", "redshift-data:ExecuteStatement"], "Resource": ["*"],
        "Condition": {"StringEquals": {"redshift-data:session-owner-iam-userid": "${aws:userid}"}}}
    assert by_sid["OnlyYourOwnDataApiStatements"]["Condition"] == {
        "StringEquals": {"redshift-data:statement-owner-iam-userid": "${aws:userid}"}}
    assert by_sid["SimulateYourOwnPermissionsOnly"]["Resource"] == [
        "arn:aws:iam::123456789012:user/${aws:username}"]


def test_the_boundary_reads_only_the_sources_the_public_bucket_and_on_the_emulator_the_sample(tmp_path):
    from sparkify_nb.iam import boundary

    def buckets(**overrides):
        settings = config.load(tmp_path / "absent.cfg", environ={}, overrides=overrides)
        return boundary.reachable_buckets(settings)

    # a local run and a rehearsal of one stack share the emulator, so they share one boundary
    assert buckets(**{"general.target": "local"}) == buckets(**{"general.target": "redshift",
                                                               "general.rehearsal": "true"})
    assert buckets(**{"general.target": "redshift"}) == ["udacity-dend"]
    assert buckets(**{"general.target": "redshift", "s3.song_data": "s3://ours/song_data",
                      "s3.log_data": "s3://ours/log_data", "s3.log_jsonpath": "s3://ours/paths.json"}) == [
        "ours", "udacity-dend"]


@pytest.mark.parametrize("kind, other", [("provisioned", "serverless"), ("serverless", "provisioned")])
def test_the_other_kinds_delete_actions_are_kept_for_a_stack_switched_between_kinds(kind, other):
    """99 on a stack made as one kind and switched to the other still finds and deletes what the first made."""
    from sparkify_nb.iam import kinds

    wanted = set(access.actions("redshift", kind, "data_api"))
    for row in kinds.KINDS:
        if row.cluster_kind == other:
            assert set(row.actions.find) | set(row.actions.delete) <= wanted, row.name
    assert {"redshift:DeleteCluster", "redshift-serverless:DeleteWorkgroup",
            "redshift-serverless:DeleteNamespace"} <= wanted
