"""Whose stack: 01 tags what it makes with its owner, and 01 and 99 run by
another identity stop, naming the owner, unless ``[general] adopt_stack``.

Two identities on the emulator: moto accepts any access key, and answers
``GetCallerIdentity`` with the IAM user a key belongs to when that user was
made in the emulator (checked below), so ``alice`` and ``bob`` are two IAM
users with keys of their own. Every other call is real too.
"""

import boto3
import pytest

from sparkify_nb import aws, config, infra, local
from sparkify_nb.infra import owner
from tests.helpers import quiet, stack_settings

SERVICES = ("sts", "iam", "ec2", "redshift", "s3")


@pytest.fixture(scope="module")
def keys():
    """Access keys of two IAM users made in the emulator."""
    iam = boto3.client("iam", endpoint_url=local.aws_endpoint(), region_name="us-west-2",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    made, existing = {}, {u["UserName"] for u in iam.list_users()["Users"]}
    for name in ("alice", "bob"):
        if name not in existing:
            iam.create_user(UserName=name)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        made[name] = (key["AccessKeyId"], key["SecretAccessKey"])
    return made


def clients_of(settings, key):
    """The clients of ``settings`` acting as the IAM user whose access key ``key`` is."""
    clients = aws.Clients(settings)
    for service in SERVICES:
        clients.use(service, boto3.client(service, endpoint_url=clients.endpoint_url, region_name=settings.region,
                                          aws_access_key_id=key[0], aws_secret_access_key=key[1]))
    return clients


@pytest.fixture
def stack(tmp_path, keys):
    """A stack alice made; removed afterwards (by alice)."""
    settings = stack_settings(tmp_path, "own")
    alice = clients_of(settings, keys["alice"])
    infra.provision(settings, alice, progress=quiet)
    yield settings
    infra.teardown(settings, clients_of(settings, keys["alice"]), progress=quiet)


def test_the_emulator_tells_two_identities_apart(keys):
    settings = config.load(overrides={"general.target": "local"})
    arns = [clients_of(settings, keys[n])("sts").get_caller_identity()["Arn"] for n in ("alice", "bob")]
    assert arns == ["arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/bob"]


def test_everything_01_makes_carries_its_owner(stack):
    clients = aws.Clients(stack)
    vpc = clients("ec2").describe_vpcs(Filters=[{"Name": "tag:sparkify:stack", "Values": [stack.stack_name]}])
    cluster = clients("redshift").describe_clusters(ClusterIdentifier=stack.get("cluster", "identifier"))
    role = clients("iam").list_role_tags(RoleName=f"{stack.stack_name}-redshift-copy")
    for tags in (vpc["Vpcs"][0]["Tags"], cluster["Clusters"][0]["Tags"], role["Tags"]):
        assert {"Key": "sparkify:owner", "Value": "arn:aws:iam::123456789012:user/alice"} in tags


def test_01_by_another_identity_stops_naming_the_owner_and_changes_nothing(stack, keys):
    before = infra.tagged_resources(stack)
    with pytest.raises(owner.StackOwnedError, match=(
            rf"stack {stack.stack_name} is someone else's: arn:aws:iam::123456789012:user/alice made "
            r"cluster .*-dwh, .* and more\. You are arn:aws:iam::123456789012:user/bob, so 01 stops before it "
            r"changes anything\. .* or set \[general\] adopt_stack = true")):
        infra.provision(stack, clients_of(stack, keys["bob"]), progress=quiet)
    assert infra.tagged_resources(stack) == before


def test_99_by_another_identity_stops_and_says_whose_stack_it_is(stack, keys):
    before = infra.tagged_resources(stack)
    with pytest.raises(owner.StackOwnedError, match=r"user/alice made .* so 99 stops before it changes anything"):
        infra.teardown(stack, clients_of(stack, keys["bob"]), progress=quiet)
    assert infra.tagged_resources(stack) == before


def test_adopt_stack_lets_another_identity_run_01_and_99_and_says_whose_it_was(stack, keys, tmp_path):
    adopted = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.stack_name": stack.stack_name, "cluster.identifier": stack.get("cluster", "identifier"),
        "general.adopt_stack": "true"})
    lines = []
    infra.provision(adopted, clients_of(adopted, keys["bob"]), progress=lines.append)
    assert lines[0].startswith(f"stack {stack.stack_name}: adopted ([general] adopt_stack = true): "
                               "arn:aws:iam::123456789012:user/alice made cluster ")
    assert lines[0].endswith("; you are arn:aws:iam::123456789012:user/bob")
    lines = []
    assert infra.teardown(adopted, clients_of(adopted, keys["bob"]), progress=lines.append) == []
    assert lines[0].startswith(f"stack {stack.stack_name}: adopted ([general] adopt_stack = true): ")


def test_the_owner_runs_01_again_as_usual(stack, keys):
    lines = []
    infra.provision(stack, clients_of(stack, keys["alice"]), progress=lines.append)
    assert lines[0] == f"stack {stack.stack_name}: yours (arn:aws:iam::123456789012:user/alice)"


def test_the_owner_tag_is_the_callers_arn_with_what_tags_refuse_as_underscores_cut_at_256_characters():
    """A tag value holds at most 256 characters of letters, digits, spaces and _ . : / = + - @
    (id_tags.html#id_tags_rules_creating); a user's path may make an ARN longer (up to 512 characters), a role
    session name may hold a comma."""
    from sparkify_nb.iam.tags import owner_value

    deep = "arn:aws:iam::123456789012:user/" + "team/" * 60 + "ann"
    assert owner_value(deep) == deep[:256] and len(deep) > 256
    assert owner_value("arn:aws:sts::123456789012:assumed-role/ops/ann,dev") == \
        "arn:aws:sts::123456789012:assumed-role/ops/ann_dev"
    assert owner_value("arn:aws:iam::123456789012:user/a+b=c.d@e-f_g") == "arn:aws:iam::123456789012:user/a+b=c.d@e-f_g"
