"""01's preflight. Who the caller is and the permission simulation use
botocore's Stubber (the emulator has no SimulatePrincipalPolicy, and its
GetCallerIdentity always answers the same user); the S3 sources run against
the emulator's S3, with buckets in two regions.
"""

import json
from datetime import datetime, timezone

import pandas as pd
import boto3
import pytest

from sparkify_nb import aws, config
from sparkify_nb.iam import operator as access
from sparkify_nb.iam.boundary import document as boundary_document
from sparkify_nb.infra import preflight
from tests.helpers import stubbed

USER = "arn:aws:iam::123456789012:user/alice"


def redshift_settings(tmp_path, **extra):
    """The redshift target with local-folder sources: no S3 call (the S3 checks are tested on the emulator)."""
    for name in ("song_data", "log_data"):
        (tmp_path / name).mkdir(exist_ok=True)
    return config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "s3.song_data": str(tmp_path / "song_data"),
        "s3.log_data": str(tmp_path / "log_data"), "s3.log_jsonpath": str(tmp_path / "paths.json"), **extra})


def identity(stub, arn=USER):
    stub.add_response("get_caller_identity", {"UserId": "AIDAEXAMPLE", "Account": "123456789012", "Arn": arn})


def simulations(settings, stub, deny=(), source=USER, boundary=True, caller=USER):
    """One SimulatePrincipalPolicy answer per request the preflight sends for ``source`` (each resource with the
    context the run's call carries there), denying the actions in ``deny``; then (``boundary``) the boundary the
    stack needs, read back."""
    who = {"account": "123456789012", "caller_arn": caller, "caller_id": "AIDAEXAMPLE"}
    for request in preflight.simulations(settings, who, source):
        stub.add_response("simulate_principal_policy", {"IsTruncated": False, "EvaluationResults": [
            {"EvalActionName": a, "EvalResourceName": "*",
             "EvalDecision": "implicitDeny" if a in deny else "allowed"} for a in request["ActionNames"]]}, request)
    if boundary:
        the_boundary(settings, stub)


def the_boundary(settings, stub, document=None):
    """GetPolicy and GetPolicyVersion of the administrator's boundary: ``document`` (default: the one the
    stack needs), or NoSuchEntity when ``document`` is False."""
    arn = "arn:aws:iam::123456789012:policy/sparkify-boundary"
    if document is False:
        stub.add_client_error("get_policy", service_error_code="NoSuchEntity", http_status_code=404,
                              expected_params={"PolicyArn": arn})
        return
    stub.add_response("get_policy", {"Policy": {"PolicyName": "sparkify-boundary", "Arn": arn,
                                                "DefaultVersionId": "v2"}}, {"PolicyArn": arn})
    doc = boundary_document(settings, "123456789012") if document is None else document
    stub.add_response("get_policy_version", {"PolicyVersion": {"Document": json.dumps(doc), "VersionId": "v2",
                                                               "IsDefaultVersion": True}},
                      {"PolicyArn": arn, "VersionId": "v2"})


BOUNDARY_PASSES = ("sparkify-boundary: exactly the document this stack needs", "pass")


def simulated(settings, action, resource_part, source=USER):
    """The context entries of the simulation of ``action`` on the resource whose ARN contains ``resource_part``."""
    who = {"account": "123456789012", "caller_arn": USER, "caller_id": "AIDAEXAMPLE"}
    found = [r for r in preflight.simulations(settings, who, source) if action in r["ActionNames"]
             and resource_part in r.get("ResourceArns", ["*"])[0]]
    assert len(found) == 1, found
    return {e["ContextKeyName"]: e["ContextKeyValues"] for e in found[0]["ContextEntries"]}


def test_each_call_is_simulated_on_each_resource_with_the_context_the_call_carries_there(tmp_path):
    """From the run's planned requests through the gate's table (sparkify_nb/iam/plan.py), not from the policy."""
    settings = redshift_settings(tmp_path)
    role = simulated(settings, "iam:CreateRole", ":role/sparkify-redshift-copy")
    assert role["iam:PermissionsBoundary"] == ["arn:aws:iam::123456789012:policy/sparkify-boundary"]
    assert (role["aws:RequestTag/sparkify:stack"], role["aws:TagKeys"]) == (
        ["sparkify"], ["sparkify:stack", "sparkify:owner", "Name"])
    # a subnet: the new one under the request's tags, the VPC it goes into under its own tags, and nothing else
    new = simulated(settings, "ec2:CreateSubnet", ":subnet/*")
    assert new["aws:RequestTag/sparkify:stack"] == ["sparkify"] and "aws:ResourceTag/sparkify:stack" not in new
    vpc = simulated(settings, "ec2:CreateSubnet", ":vpc/vpc-of-this-stack")
    assert vpc["aws:ResourceTag/sparkify:stack"] == ["sparkify"] and "aws:RequestTag/sparkify:stack" not in vpc
    assert simulated(settings, "ec2:CreateTags", ":subnet/*")["ec2:CreateAction"] == ["CreateSubnet"]
    assert simulated(settings, "iam:PassRole", ":role/sparkify-redshift-copy")["iam:PassedToService"] == [
        "redshift.amazonaws.com"]
    assert simulated(settings, "redshift:GetClusterCredentials", ":dbuser:sparkify-dwh/sparkify_analyst")[
        "redshift:DbUser"] == ["sparkify_analyst"]
    assert simulated(settings, "redshift-data:DescribeStatement", "*")[
        "redshift-data:statement-owner-iam-userid"] == ["AIDAEXAMPLE"]


def run(settings, sts, iam):
    clients = aws.Clients(settings, endpoint_url="http://127.0.0.1:9").use("sts", sts).use("iam", iam)
    return preflight.run(settings, clients)


def rows(result):
    return {r.check: (r.state, r.result) for r in result.table.itertuples(index=False)}


def test_preflight_passes_when_the_simulator_allows_every_call(tmp_path):
    """Stubber: GetCallerIdentity and SimulatePrincipalPolicy (no emulator for them)."""
    settings = redshift_settings(tmp_path)
    (sts, sts_stub), (iam, iam_stub) = stubbed("sts"), stubbed("iam")
    identity(sts_stub)
    simulations(settings, iam_stub)
    with sts_stub, iam_stub:
        result = run(settings, sts, iam)
    iam_stub.assert_no_pending_responses()
    count = len(access.actions("redshift", "provisioned", "data_api"))
    assert rows(result) == {
        "caller": (f"account 123456789012, {USER}", "pass"),
        "region": ("us-west-2 ([general] region)", "pass"),
        "permissions": (f"{USER} may make every call of this run ({count} actions)", "pass"),
        "permissions boundary": BOUNDARY_PASSES,
        "source song_data": (f"{tmp_path / 'song_data'}: a local folder", "n/a"),
        "source log_data": (f"{tmp_path / 'log_data'}: a local folder", "n/a"),
        "source log_jsonpath": (f"{tmp_path / 'paths.json'}: a local folder", "n/a")}
    assert result.record == {"account": "123456789012", "caller_arn": USER, "caller_id": "AIDAEXAMPLE",
                             "source_regions": {}}
    result.require()


def test_preflight_fails_naming_the_denied_calls_and_the_policy_to_attach(tmp_path):
    """Stubber: the simulator denies two actions."""
    settings = redshift_settings(tmp_path)
    (sts, sts_stub), (iam, iam_stub) = stubbed("sts"), stubbed("iam")
    identity(sts_stub)
    simulations(settings, iam_stub, deny=("redshift:CreateCluster", "iam:CreateServiceLinkedRole"))
    with sts_stub, iam_stub:
        result = run(settings, sts, iam)
    assert rows(result)["permissions"] == (
        f"{USER} may not: iam:CreateServiceLinkedRole, redshift:CreateCluster", "fail")
    with pytest.raises(preflight.PreflightError, match=r"preflight failed, nothing was made: permissions: .* may not: "
                       r"iam:CreateServiceLinkedRole, redshift:CreateCluster\. What to do: attach the policy that "
                       r"`sparkify-nb iam-policy --account ACCOUNT --principal ARN` prints"):
        result.require()


def test_a_caller_who_may_not_simulate_is_told_so_and_01_goes_on(tmp_path):
    """Stubber: SimulatePrincipalPolicy answers AccessDenied."""
    settings = redshift_settings(tmp_path)
    (sts, sts_stub), (iam, iam_stub) = stubbed("sts"), stubbed("iam")
    identity(sts_stub)
    iam_stub.add_client_error("simulate_principal_policy", service_error_code="AccessDenied", http_status_code=403)
    the_boundary(settings, iam_stub)
    with sts_stub, iam_stub:
        result = run(settings, sts, iam)
    assert rows(result)["permissions"] == (
        f"not checked: {USER} may not simulate its policies (AccessDenied); going on", "n/a")
    result.require()


def test_an_assumed_role_is_simulated_as_its_role(tmp_path):
    """Stubber: the caller is an assumed-role session."""
    settings = redshift_settings(tmp_path)
    session = "arn:aws:sts::123456789012:assumed-role/DataEngineer/alice@example.com"
    role = "arn:aws:iam::123456789012:role/DataEngineer"
    (sts, sts_stub), (iam, iam_stub) = stubbed("sts"), stubbed("iam")
    identity(sts_stub, session)
    role_found(iam_stub, "DataEngineer", role)
    simulations(settings, iam_stub, source=role, caller=session)
    with sts_stub, iam_stub:
        result = run(settings, sts, iam)
    iam_stub.assert_no_pending_responses()
    assert rows(result)["permissions"][1] == "pass"


def role_found(stub, name, arn):
    stub.add_response("get_role", {"Role": {"Path": arn.split(":role")[1].rsplit(name, 1)[0], "RoleName": name,
                                            "RoleId": "AROAEXAMPLEEXAMPLE12", "Arn": arn,
                                            "CreateDate": datetime(2026, 1, 1, tzinfo=timezone.utc)}},
                      {"RoleName": name})


SSO_NAME = "AWSReservedSSO_DataEngineer_0123456789abcdef"
SSO_SESSION = f"arn:aws:sts::123456789012:assumed-role/{SSO_NAME}/alice@example.com"


def test_an_sso_role_is_simulated_by_its_real_arn_with_its_path(tmp_path):
    """Stubber (the emulator has no SimulatePrincipalPolicy): an IAM Identity
    Center session names its role without the /aws-reserved/... path, which
    GetRole gives back; the simulation uses the full ARN."""
    settings = redshift_settings(tmp_path)
    role = f"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-2/{SSO_NAME}"
    (sts, sts_stub), (iam, iam_stub) = stubbed("sts"), stubbed("iam")
    identity(sts_stub, SSO_SESSION)
    role_found(iam_stub, SSO_NAME, role)
    simulations(settings, iam_stub, source=role, caller=SSO_SESSION)
    with sts_stub, iam_stub:
        result = run(settings, sts, iam)
    iam_stub.assert_no_pending_responses()
    assert rows(result)["permissions"] == (f"{role} may make every call of this run "
                                           f"({len(access.actions('redshift'))} actions)", "pass")


def test_an_sso_role_whose_path_may_not_be_read_is_found_where_aws_documents_it(tmp_path):
    """Stubber: GetRole is denied; the documented Identity Center paths are
    tried (no region first, as for an identity source in us-east-1) until IAM
    knows the role."""
    settings = redshift_settings(tmp_path)
    regions = boto3.session.Session().get_available_regions("sso")
    head = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/"
    (sts, sts_stub), (iam, iam_stub) = stubbed("sts"), stubbed("iam")
    identity(sts_stub, SSO_SESSION)
    iam_stub.add_client_error("get_role", service_error_code="AccessDenied", http_status_code=403)
    for candidate in [f"{head}{SSO_NAME}"] + [f"{head}{r}/{SSO_NAME}" for r in regions[:regions.index("eu-west-2")]]:
        iam_stub.add_client_error("simulate_principal_policy", service_error_code="NoSuchEntity", http_status_code=404,
                                  expected_params={"PolicySourceArn": candidate,
                                                   "ActionNames": ["sts:GetCallerIdentity"]})
    role = f"{head}eu-west-2/{SSO_NAME}"
    iam_stub.add_response("simulate_principal_policy", {"EvaluationResults": []},
                          {"PolicySourceArn": role, "ActionNames": ["sts:GetCallerIdentity"]})
    simulations(settings, iam_stub, source=role, caller=SSO_SESSION)
    with sts_stub, iam_stub:
        result = run(settings, sts, iam)
    iam_stub.assert_no_pending_responses()
    assert rows(result)["permissions"][1] == "pass"


def test_a_role_whose_path_may_not_be_read_says_what_to_allow(tmp_path):
    """Stubber: not an Identity Center role, GetRole denied: the row says so, 01 goes on."""
    settings = redshift_settings(tmp_path)
    (sts, sts_stub), (iam, iam_stub) = stubbed("sts"), stubbed("iam")
    identity(sts_stub, "arn:aws:sts::123456789012:assumed-role/ci-deployer/build-42")
    iam_stub.add_client_error("get_role", service_error_code="AccessDenied", http_status_code=403)
    the_boundary(settings, iam_stub)
    with sts_stub, iam_stub:
        result = run(settings, sts, iam)
    assert rows(result)["permissions"] == (
        "not checked: the path of role ci-deployer could not be read (AccessDenied on iam:GetRole), so IAM cannot "
        "simulate it; allow iam:GetRole on your own role to have it checked; going on", "n/a")


@pytest.mark.parametrize("arn, principal", [
    (USER, USER), ("arn:aws:iam::123456789012:role/path/R", "arn:aws:iam::123456789012:role/path/R"),
    ("arn:aws:sts::123456789012:assumed-role/R/s", "arn:aws:iam::123456789012:role/R"),
    ("arn:aws:iam::123456789012:root", None), ("arn:aws:sts::123456789012:federated-user/bob", None)])
def test_the_principal_simulated_for_each_kind_of_caller(arn, principal):
    assert preflight.principal(arn) == principal


def test_a_missing_boundary_stops_01_with_the_administrators_command(tmp_path):
    """Stubber: GetPolicy answers NoSuchEntity (no emulator for the simulation before it)."""
    settings = redshift_settings(tmp_path)
    (sts, sts_stub), (iam, iam_stub) = stubbed("sts"), stubbed("iam")
    identity(sts_stub)
    simulations(settings, iam_stub, boundary=False)
    the_boundary(settings, iam_stub, document=False)
    with sts_stub, iam_stub:
        result = run(settings, sts, iam)
    assert rows(result)["permissions boundary"] == (
        "permissions boundary arn:aws:iam::123456789012:policy/sparkify-boundary does not exist", "fail")
    with pytest.raises(preflight.PreflightError, match=(
            r"What to do: an administrator makes it once: `sparkify-nb iam-policy --admin --account 123456789012` "
            r"prints the document \(sparkify-boundary.json\) and the commands, among them `aws iam create-policy "
            r"--policy-name sparkify-boundary --policy-document file://sparkify-boundary.json")):
        result.require()


def test_a_boundary_someone_widened_stops_01_with_the_command_that_sets_it_back(tmp_path):
    """Stubber: the boundary's default version allows everything."""
    settings = redshift_settings(tmp_path)
    (sts, sts_stub), (iam, iam_stub) = stubbed("sts"), stubbed("iam")
    identity(sts_stub)
    simulations(settings, iam_stub, boundary=False)
    the_boundary(settings, iam_stub, document={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    with sts_stub, iam_stub:
        result = run(settings, sts, iam)
    state, verdict = rows(result)["permissions boundary"]
    assert (state.split(" (")[0], verdict) == (
        "permissions boundary arn:aws:iam::123456789012:policy/sparkify-boundary allows something else than this "
        "stack needs", "fail")
    with pytest.raises(preflight.PreflightError, match=r"aws iam create-policy-version --policy-arn "
                       r"arn:aws:iam::123456789012:policy/sparkify-boundary --set-as-default"):
        result.require()


def test_the_root_user_is_not_simulated_and_01_goes_on(tmp_path):
    """Stubber: GetCallerIdentity of the root user; no simulation is attempted."""
    settings = redshift_settings(tmp_path)
    (sts, sts_stub), (iam, iam_stub) = stubbed("sts"), stubbed("iam")
    identity(sts_stub, "arn:aws:iam::123456789012:root")
    the_boundary(settings, iam_stub)
    with sts_stub, iam_stub:
        result = run(settings, sts, iam)
    assert rows(result)["permissions"] == ("not checked: arn:aws:iam::123456789012:root is not an IAM user or role, "
                                           "which IAM cannot simulate; going on", "n/a")


def test_no_credentials_stop_01_saying_how_to_give_them(tmp_path):
    """Stubber: GetCallerIdentity refuses the token."""
    settings = redshift_settings(tmp_path)
    (sts, sts_stub), (iam, _) = stubbed("sts"), stubbed("iam")
    sts_stub.add_client_error("get_caller_identity", service_error_code="InvalidClientTokenId", http_status_code=403)
    with sts_stub:
        result = run(settings, sts, iam)
    assert "permissions" not in rows(result)
    with pytest.raises(preflight.PreflightError, match=r"caller: unknown: .*InvalidClientTokenId.*What to do: give "
                                                       r"boto3 credentials: aws configure, AWS_PROFILE, or aws sso"):
        result.require()


def test_a_region_without_redshift_is_refused_naming_the_key(tmp_path):
    """Stubber for the caller; the region list is botocore's."""
    settings = redshift_settings(tmp_path, **{"general.region": "moon-central-1"})
    (sts, sts_stub), (iam, iam_stub) = stubbed("sts"), stubbed("iam")
    identity(sts_stub)
    iam_stub.add_client_error("simulate_principal_policy", service_error_code="AccessDenied", http_status_code=403)
    the_boundary(settings, iam_stub)
    with sts_stub, iam_stub:
        result = run(settings, sts, iam)
    state, verdict = rows(result)["region"]
    assert (state, verdict) == ("moon-central-1 ([general] region) is not a region where Redshift runs", "fail")


# --- the sources, on the emulator's S3 -----------------------------------------------------

def local_settings(tmp_path, bucket, **extra):
    return config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "s3.song_data": f"s3://{bucket}/data/song_data", "s3.log_data": f"s3://{bucket}/data/log_data",
        "s3.log_jsonpath": f"s3://{bucket}/data/log_json_path.json", **extra})


def make_bucket(tmp_path, bucket, region, keys=("data/song_data/A/a.json", "data/log_data/2018/11/x.json",
                                                  "data/log_json_path.json")):
    settings = config.load(tmp_path / "absent.cfg", environ={}, overrides={"general.region": region})
    s3 = aws.Clients(settings)("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"{}")
    return s3


def empty(s3, bucket):
    for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=obj["Key"])
    s3.delete_bucket(Bucket=bucket)


def sources(result):
    return {k: v for k, v in rows(result).items() if k.startswith("source")}


def test_a_source_in_the_warehouse_region_is_recorded_as_copys_region(tmp_path):
    s3 = make_bucket(tmp_path, "pf-same-region", "us-west-2")
    try:
        result = preflight.run(local_settings(tmp_path, "pf-same-region"))
    finally:
        empty(s3, "pf-same-region")
    assert sources(result)["source song_data"] == (
        "s3://pf-same-region/data/song_data: region us-west-2, listable", "pass")
    assert result.record["source_regions"] == {"song_data": "us-west-2", "log_data": "us-west-2",
                                               "log_jsonpath": "us-west-2"}
    assert result.record["source_region"] == "us-west-2"


def test_a_source_in_another_region_is_refused_for_data_api_and_named_in_copy_for_direct(tmp_path):
    s3 = make_bucket(tmp_path, "pf-other-region", "eu-west-1")
    try:
        private = preflight.run(local_settings(tmp_path, "pf-other-region"))
        public = preflight.run(local_settings(tmp_path, "pf-other-region", **{"cluster.access": "direct"}))
    finally:
        empty(s3, "pf-other-region")
    state, verdict = sources(private)["source log_data"]
    assert verdict == "fail" and state == (
        "s3://pf-other-region/data/log_data: in eu-west-1, the warehouse in us-west-2; a private warehouse with "
        "enhanced VPC routing reaches S3 in its own region only")
    with pytest.raises(preflight.PreflightError, match=r"What to do: set \[general\] region = eu-west-1, or put "
                                                       r"generated data into a bucket of your own"):
        private.require()
    assert sources(public)["source log_data"] == (
        "s3://pf-other-region/data/log_data: region eu-west-1, listable; COPY will name REGION 'eu-west-1' "
        "(cross-region transfer is billed)", "pass")
    assert public.record["source_region"] == "eu-west-1"


def test_an_unreadable_source_says_how_to_load_generated_data_instead(tmp_path):
    result = preflight.run(local_settings(tmp_path, "pf-no-such-bucket"))
    assert sources(result)["source song_data"] == (
        "s3://pf-no-such-bucket/data/song_data: cannot be read (NoSuchBucket)", "fail")
    with pytest.raises(preflight.PreflightError, match=r"What to do: put generated data into a bucket of your own: "
                       r"sparkify-nb generate --out s3://your-bucket/sparkify, then set \[s3\] song_data = "
                       r"s3://your-bucket/sparkify/song_data"):
        result.require()


def test_a_prefix_with_no_object_fails_naming_the_key(tmp_path):
    s3 = make_bucket(tmp_path, "pf-empty-prefix", "us-west-2", keys=("data/song_data/A/a.json",))
    try:
        result = preflight.run(local_settings(tmp_path, "pf-empty-prefix"))
    finally:
        empty(s3, "pf-empty-prefix")
    assert sources(result)["source log_data"] == (
        "s3://pf-empty-prefix/data/log_data: no object there (region us-west-2)", "fail")
    assert sources(result)["source song_data"][1] == "pass"


def test_the_default_local_sources_are_written_by_01_and_not_checked(tmp_path):
    result = preflight.run(config.load(tmp_path / "absent.cfg", environ={}))
    assert sources(result)["source song_data"] == ("s3://sparkify-data/song_data: sample data, written by 01 below",
                                                   "n/a")
    assert rows(result)["permissions"] == ("not checked: the local emulator has no SimulatePrincipalPolicy", "n/a")


@pytest.mark.parametrize("constraint, region", [(None, "us-east-1"), ("EU", "eu-west-1"), ("ap-south-1", "ap-south-1")])
def test_bucket_location_constraints_become_regions(constraint, region):
    """Stubber: GetBucketLocation's documented special values."""
    s3, stub = stubbed("s3")
    stub.add_response("get_bucket_location", {"LocationConstraint": constraint} if constraint else {})
    with stub:
        assert preflight.bucket_region(s3, "b") == region


def test_someone_elses_bucket_region_comes_from_head_bucket_or_its_header():
    """Stubber: GetBucketLocation is denied (not the bucket owner); HeadBucket answers, or only its 403 header does."""
    s3, stub = stubbed("s3")
    stub.add_client_error("get_bucket_location", service_error_code="AccessDenied", http_status_code=403)
    stub.add_response("head_bucket", {"BucketRegion": "us-west-2"})
    stub.add_client_error("get_bucket_location", service_error_code="AccessDenied", http_status_code=403)
    stub.add_client_error("head_bucket", service_error_code="403", http_status_code=403,
                          response_meta={"HTTPHeaders": {"x-amz-bucket-region": "eu-central-1"}})
    with stub:
        assert preflight.bucket_region(s3, "udacity-dend") == "us-west-2"
        assert preflight.bucket_region(s3, "udacity-dend") == "eu-central-1"
    stub.assert_no_pending_responses()


def test_the_preflight_shows_what_to_do_only_when_some_check_has_something_to_do():
    from sparkify_nb.infra.preflight import COLUMNS, Preflight

    passed = Preflight(pd.DataFrame([["caller", "account 1", "pass", ""], ["region", "us-west-2", "pass", ""]],
                                    columns=COLUMNS))
    assert str(passed.report()) == ("check   state      result\n"
                                    "caller  account 1  pass\n"
                                    "region  us-west-2  pass")
    failed = Preflight(pd.DataFrame([["caller", "account 1", "pass", ""], ["region", "eu-north-9", "fail", "fix it"]],
                                    columns=COLUMNS))
    assert list(failed.report().frame.columns) == COLUMNS
