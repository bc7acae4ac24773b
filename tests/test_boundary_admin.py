"""The permissions boundary is the administrator's: `sparkify-nb iam-policy --admin`
prints what the administrator applies, 01 checks the boundary and stops
without it (on AWS), the local stack plays the administrator on the emulator,
and 99 leaves it. Real boto3 calls to the emulator's IAM."""

import json
import re

import pytest

from sparkify_nb import aws, cli, config, infra, local
from sparkify_nb.iam import admin, boundary as documents, operator
from sparkify_nb.iam.errors import PolicyError
from sparkify_nb.infra import boundary
from sparkify_nb.infra.context import Context
from tests.helpers import quiet, stack_settings

ACCOUNT = "123456789012"


def redshift_on_emulator(tmp_path, monkeypatch):
    """Redshift settings (the AWS code path: no local stack playing the administrator) whose IAM is the emulator's."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    settings = stack_settings(tmp_path, "adm", **{"general.target": "redshift"})
    return settings, aws.Clients(settings, endpoint_url=local.aws_endpoint())


def test_01_without_the_administrators_boundary_stops_with_the_command_to_make_it(tmp_path, monkeypatch):
    settings, clients = redshift_on_emulator(tmp_path, monkeypatch)
    stack = settings.stack_name
    with pytest.raises(boundary.BoundaryError) as stopped:
        boundary.ensure_boundary(Context(settings, clients, quiet, delay_s=0), {})
    assert str(stopped.value) == (
        f"permissions boundary arn:aws:iam::{ACCOUNT}:policy/{stack}-boundary does not exist. The operator policy "
        f"may not create or change it: an administrator makes it once: `sparkify-nb iam-policy --admin --account "
        f"{ACCOUNT}` prints the document ({stack}-boundary.json) and the commands, among them `aws iam create-policy "
        f"--policy-name {stack}-boundary --policy-document file://{stack}-boundary.json --description 'Sparkify: the "
        f"most any role of this stack may do (its permissions boundary)' --tags Key=sparkify:stack,Value={stack}` "
        "(docs/redshift.md, 'Who applies what')")
    # the first thing 01 does: nothing else is made before this check
    assert infra.resources.provisioning_order("provisioned")[0].name == "permissions-boundary"
    with pytest.raises(ValueError, match="on the local emulator only"):
        clients.administrator()


def test_01_refuses_a_boundary_someone_widened_and_accepts_the_administrators(tmp_path, monkeypatch):
    settings, clients = redshift_on_emulator(tmp_path, monkeypatch)
    iam, ctx = clients("iam"), Context(settings, clients, quiet, delay_s=0)
    assert boundary.administer(clients, settings, ACCOUNT) == "created"
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{settings.stack_name}-boundary"
    try:
        assert boundary.ensure_boundary(ctx, {}) == {"boundary_arn": arn}
        iam.create_policy_version(PolicyArn=arn, SetAsDefault=True, PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        with pytest.raises(boundary.BoundaryError, match=re.escape(
                f"an administrator sets the document `sparkify-nb iam-policy --boundary --account {ACCOUNT}` prints "
                f"(`aws iam create-policy-version --policy-arn {arn} --set-as-default")):
            boundary.ensure_boundary(ctx, {})
        # the administrator sets it back, also when IAM's five versions are used
        for _ in range(3):
            iam.create_policy_version(PolicyArn=arn, SetAsDefault=True, PolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 5
        assert boundary.administer(clients, settings, ACCOUNT) == "set to the document this stack needs"
        assert boundary.ensure_boundary(ctx, {}) == {"boundary_arn": arn}
    finally:
        for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
            if not version["IsDefaultVersion"]:
                iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
        iam.delete_policy(PolicyArn=arn)


def test_on_the_emulator_the_local_stack_plays_the_administrator_and_99_leaves_the_boundary(tmp_path):
    settings = stack_settings(tmp_path, "adm")
    stack, lines = settings.stack_name, []
    iam = aws.Clients(settings)("iam")
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{stack}-boundary"
    try:
        infra.provision(settings, progress=lines.append)
        assert f"permissions boundary {stack}-boundary: created by the local stack, playing the account's " \
               "administrator (on AWS an administrator applies it once: sparkify-nb iam-policy --admin)" in lines
        lines.clear()
        assert infra.teardown(settings, progress=lines.append) == []
        assert lines[-1] == (f"kept: permissions boundary {stack}-boundary, the administrator's (the operator policy "
                             "may not delete a policy); once no role uses it, an administrator removes it with "
                             f"`aws iam delete-policy --policy-arn {arn}`")
        assert iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == f"{stack}-boundary"
    finally:
        infra.teardown(settings, progress=quiet)
        iam.delete_policy(PolicyArn=arn)


def redshift_settings(tmp_path, **extra):
    return config.load(tmp_path / "absent.cfg", environ={}, overrides={"general.target": "redshift", **extra})


def test_the_admin_script_writes_the_boundary_and_the_operator_policy_in_parts_and_attaches_them(tmp_path, capsys):
    role = f"arn:aws:iam::{ACCOUNT}:role/ops/Operator"
    assert cli.main(["iam-policy", "--admin", "--account", ACCOUNT, "--principal", role]) == 0
    script = capsys.readouterr().out
    files = dict(re.findall(r"cat > (\S+)\.json <<'JSON'\n(.*?)\nJSON\n", script, re.S))
    settings = redshift_settings(tmp_path)
    policy = operator.policy(settings, ACCOUNT, role)
    parts = [json.loads(files[f"sparkify-operator-{n}"]) for n in range(1, len(files))]
    assert json.loads(files["sparkify-boundary"]) == documents.document(settings, ACCOUNT)
    assert [st for part in parts for st in part["Statement"]] == policy["Statement"]  # all of it, in order
    assert all(admin.size(part) <= 6144 for part in parts) and len(parts) == 3
    assert script.splitlines()[-7:] == [
        "aws iam create-policy --policy-name sparkify-boundary --policy-document file://sparkify-boundary.json "
        "--description 'Sparkify: the most any role of this stack may do (its permissions boundary)' "
        "--tags Key=sparkify:stack,Value=sparkify",
        *[line for n in (1, 2, 3) for line in (
            f"aws iam create-policy --policy-name sparkify-operator-{n} --policy-document "
            f"file://sparkify-operator-{n}.json --tags Key=sparkify:stack,Value=sparkify",
            f"aws iam attach-role-policy --role-name Operator --policy-arn "
            f"arn:aws:iam::{ACCOUNT}:policy/sparkify-operator-{n}")]]
    assert script.startswith("#!/bin/sh\n") and "\nset -e\n" in script


def test_the_admin_script_attaches_to_the_user_named_or_asks_for_one(capsys):
    cli.main(["iam-policy", "--admin", "--account", ACCOUNT, "--principal", f"arn:aws:iam::{ACCOUNT}:user/alice"])
    assert "aws iam attach-user-policy --user-name alice --policy-arn" in capsys.readouterr().out
    cli.main(["iam-policy", "--admin", "--account", ACCOUNT])
    script = capsys.readouterr().out
    assert 'OPERATOR_USER="${OPERATOR_USER:?set OPERATOR_USER to the IAM user who runs the suite, or print this ' \
           'with --principal}"' in script
    assert 'aws iam attach-user-policy --user-name "$OPERATOR_USER" --policy-arn' in script


def no_credentials(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_a_policy_without_an_account_is_refused_unless_credentials_give_it(tmp_path, monkeypatch, capsys):
    """Without an account the work bucket would be <stack>-work-*, which can match another stack's bucket."""
    no_credentials(monkeypatch, tmp_path)
    assert cli.main(["iam-policy"]) == 1
    assert "iam-policy needs the account: give --account <12-digit id>, or credentials that tell it (aws sts " \
           "get-caller-identity answered: NoCredentialsError). Without one the policy would name the work bucket " \
           "sparkify-work-*, which can match another stack's bucket" in capsys.readouterr().err
    # credentials that tell it: the emulator's STS (a real GetCallerIdentity)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", local.aws_endpoint())
    assert cli.main(["iam-policy"]) == 0
    out = capsys.readouterr()
    assert out.err == f"account {ACCOUNT} (from your credentials; --account sets another)\n"
    assert json.loads(out.out) == operator.policy(redshift_settings(tmp_path), ACCOUNT)


@pytest.mark.parametrize("account", ["*", "12345678901", "1234567890123", "12345678901a", "１２３４５６７８９０１２"])
def test_the_admin_script_needs_a_12_digit_account(capsys, account):
    """Twelve digits, neither more nor fewer, and nothing else: an account id (a paste that lost or gained a
    digit would write ARNs of another account into every policy)."""
    assert cli.main(["iam-policy", "--admin", "--account", account]) == 1
    assert f"--admin needs the 12-digit --account the policies are for, not {account!r}" in capsys.readouterr().err


def test_a_policy_is_cut_where_iam_would_refuse_it_and_a_statement_too_long_alone_is_refused():
    statement = {"Sid": "S", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/" + "k" * 40}
    policy = {"Version": "2012-10-17", "Statement": [dict(statement, Sid=f"S{n}") for n in range(4)]}
    one = admin.size({"Version": "2012-10-17", "Statement": policy["Statement"][:1]})
    assert [len(p["Statement"]) for p in admin.operator_parts(policy, limit=one)] == [1, 1, 1, 1]
    assert [len(p["Statement"]) for p in admin.operator_parts(policy, limit=2 * one)] == [2, 2]
    with pytest.raises(PolicyError, match="statement S0 alone is longer than a managed policy may be"):
        admin.operator_parts(policy, limit=one - 1)
    assert admin.size({"a": "b c"}) == len('{"a":"bc"}')  # IAM counts no whitespace


def _padded(chars: int, statements: int = 1) -> dict:
    """``statements`` statements, each of which alone makes a policy of ``chars`` characters as IAM counts them."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": f"S{n}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/"}
        for n in range(statements)]}
    pad = chars - admin.size({"Version": "2012-10-17", "Statement": policy["Statement"][:1]})
    for statement in policy["Statement"]:
        statement["Resource"] += "k" * pad
    return policy


def test_a_managed_policy_may_hold_6144_characters_and_a_principal_ten_of_them_by_default():
    """IAM quotas (reference_iam-quotas.html): "Managed policy size: 6,144 characters" (whitespace not
    counted), "Managed policies attached to an IAM role / user: 10" by default."""
    assert admin.size(_padded(6144)) == 6144
    assert len(admin.operator_parts(_padded(6144))) == 1
    with pytest.raises(PolicyError, match=r"\(6144 characters"):
        admin.operator_parts(_padded(6145))
    assert len(admin.operator_parts(_padded(6000, statements=10))) == 10
    with pytest.raises(PolicyError, match="needs 11 managed policies; a user or role may have 10 attached"):
        admin.operator_parts(_padded(6000, statements=11))


def test_the_administrators_calls_on_the_emulator_are_not_counted_as_the_operators(tmp_path):
    settings = stack_settings(tmp_path, "adm")
    clients = aws.Clients(settings)
    with aws.recording() as calls:
        clients.administrator()("iam").list_policies(MaxItems=1)
        clients("iam").list_roles(MaxItems=1)
    assert [action for action, _ in calls] == ["iam:ListRoles"]
