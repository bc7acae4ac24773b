"""A rehearsal is a fresh account (issue 25, item 0; sparkify_nb/local/iam/account.py): each
rehearsal run acts in an emulator account of its own, as an IAM user of that account, and sees
nothing the ``local`` target (moto's default account) or another rehearsal made."""

import os
import stat
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from sparkify_nb import aws, config, local
from sparkify_nb.local.iam import account


def _settings(stack):
    return config.load(overrides={"general.target": "redshift", "general.rehearsal": "true",
                                  "general.stack_name": stack})


def test_concurrent_rehearsals_each_get_an_account_of_their_own():
    # pytest-xdist runs four rehearsals at once on one stack (tests/test_whole_runs.py): no shared counter
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda _: account.create(local.aws_endpoint()), range(4)))
    assert len(set(made)) == 4 and all(len(a) == 12 and a != "123456789012" for a in made)
    for each in made:
        users = account.admin_client(local.aws_endpoint(), each, "iam").list_users()["Users"]
        assert sorted(u["Arn"] for u in users) == [account.principal(each, account.ADMINISTRATOR),
                                                   account.principal(each)]


def test_the_keys_are_kept_private_to_the_owner(session_stack):
    made = account.create(local.aws_endpoint())
    path = session_stack["state_dir"] / "local" / "accounts" / f"{made}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_rehearsal_acts_as_the_operator_of_its_account_and_its_administrator_apart(monkeypatch):
    settings = _settings(f"ac{uuid.uuid4().hex[:6]}")
    pinned = account.for_run(settings, fresh=True)
    monkeypatch.setenv(account.ACCOUNT_ENV, pinned)
    clients = aws.Clients(settings)
    assert clients("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{pinned}:user/sparkify-operator"
    assert clients.administrator()("sts").get_caller_identity()["Arn"] == \
        f"arn:aws:iam::{pinned}:user/sparkify-administrator"
    attached = clients.administrator()("iam").list_attached_user_policies(UserName="sparkify-operator")
    assert [p["PolicyName"] for p in attached["AttachedPolicies"]][0] == f"{settings.stack_name}-operator-1"


def test_a_rehearsal_sees_nothing_the_local_target_made(monkeypatch):
    stack = f"ac{uuid.uuid4().hex[:6]}"
    on_local = aws.Clients(config.load(overrides={"general.target": "local"}))
    on_local("iam").create_role(RoleName=f"{stack}-redshift-copy", AssumeRolePolicyDocument="{}")
    monkeypatch.setenv(account.ACCOUNT_ENV, account.for_run(_settings(stack), fresh=True))
    rehearsed = aws.Clients(_settings(stack))("iam")
    with pytest.raises(rehearsed.exceptions.NoSuchEntityException):
        rehearsed.get_role(RoleName=f"{stack}-redshift-copy")


def test_a_run_without_01_keeps_to_the_account_its_stack_last_rehearsed_in(monkeypatch):
    settings = _settings(f"ac{uuid.uuid4().hex[:6]}")
    first = account.for_run(settings, fresh=True)
    assert account.for_run(settings, fresh=False) == first  # `run --rehearse --only 99_teardown`
    assert account.current(settings) == first  # a process that is no run's kernel (a test) keeps to it too
    monkeypatch.setenv(account.ACCOUNT_ENV, "210000000009")
    assert account.current(settings) == "210000000009"  # a run's kernel: the account its run acts in
    monkeypatch.delenv(account.ACCOUNT_ENV)
    assert account.for_run(settings, fresh=True) != first   # a run with 01 starts afresh
    assert os.environ.get(account.ACCOUNT_ENV) is None


@pytest.mark.parametrize("content", [None, "{not json"], ids=["missing", "damaged"])
def test_a_missing_or_damaged_key_file_says_to_start_the_rehearsal_again(tmp_path, content):
    folder = account._folder(tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    if content is not None:
        (folder / "210000000001.json").write_text(content)
    with pytest.raises(account.AccountError, match=r"no keys of rehearsal account 210000000001 under .*: start the "
                                                   r"rehearsal again \(sparkify-nb run --rehearse\)"):
        account.keys("210000000001", state=tmp_path)
