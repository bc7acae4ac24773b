"""The audit log groups (sparkify_nb/infra/logs.py) on the emulator, which
serves CloudWatch Logs: made tagged with a retention before the warehouse,
an existing group of the same name claimed, deleted by 99 or kept."""

from sparkify_nb import aws, infra
from sparkify_nb.infra import logs, resources

from .helpers import quiet, stack_settings

KIND = resources.kind("log-group")


def context(settings, lines=None):
    return infra.Context(settings, aws.Clients(settings), lines.append if lines is not None else quiet, delay_s=0)


def described(settings, prefix):
    groups = aws.Clients(settings)("logs").describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
    return {g["logGroupName"]: g.get("retentionInDays") for g in groups}


def test_01_makes_one_tagged_group_per_log_type_kept_30_days_and_99_deletes_them(tmp_path):
    settings = stack_settings(tmp_path, "lg")
    ctx, ident = context(settings), settings.get("cluster", "identifier")
    record = KIND.ensure(ctx, {})
    prefix = f"/aws/redshift/cluster/{ident}/"
    assert record == {"log_groups": [prefix + t for t in ("connectionlog", "userlog", "useractivitylog")],
                      "log_retention_days": 30}
    assert described(settings, prefix) == {prefix + t: 30 for t in ("connectionlog", "userlog", "useractivitylog")}
    found = KIND.find(ctx)
    assert sorted(KIND.describe(g) for g in found) == sorted(f"log-group {name}" for name in record["log_groups"])
    for group in found:
        KIND.delete(ctx, group)
    assert described(settings, prefix) == {}


def test_a_group_redshift_made_is_claimed_and_given_the_retention(tmp_path):
    settings = stack_settings(tmp_path, "lg", **{"cluster.log_retention_days": 7})
    ident = settings.get("cluster", "identifier")
    name = f"/aws/redshift/cluster/{ident}/userlog"
    aws.Clients(settings)("logs").create_log_group(logGroupName=name)  # untagged, no retention: as Redshift makes it
    lines = []
    try:
        KIND.ensure(context(settings, lines), {})
        assert f"log group {name}: exists (made by Redshift); tagged as this stack's" in lines
        assert described(settings, name) == {name: 7}
        assert name in [g["logGroupName"] for g in KIND.find(context(settings))]
        lines.clear()
        KIND.ensure(context(settings, lines), {})
        assert lines == []  # a second 01 changes nothing
    finally:
        for group in KIND.find(context(settings)):
            KIND.delete(context(settings), group)


def test_keep_logs_leaves_the_groups_untagged_with_their_retention(tmp_path):
    settings = stack_settings(tmp_path, "lg", **{"cluster.keep_logs": True})
    ctx, ident = context(settings), settings.get("cluster", "identifier")
    KIND.ensure(ctx, {})
    lines = []
    for group in KIND.find(ctx):
        KIND.delete(context(settings, lines), group)
    prefix = f"/aws/redshift/cluster/{ident}/"
    try:
        assert len(described(settings, prefix)) == 3 and KIND.find(ctx) == []
        assert lines[0] == (f"log group {prefix}connectionlog: kept ([cluster] keep_logs = true; events expire after "
                            "30 days, storage billed per GB until then); no longer tagged")
    finally:
        for name in described(settings, prefix):
            aws.Clients(settings)("logs").delete_log_group(logGroupName=name)


def test_serverless_groups_are_named_after_the_namespace(tmp_path):
    settings = stack_settings(tmp_path, "lg", **{"cluster.kind": "serverless", "general.target": "redshift"})
    ident = settings.get("cluster", "identifier")
    assert logs.names(context(settings)) == [f"/aws/redshift/{ident}/{t}"
                                             for t in ("connectionlog", "userlog", "useractivitylog")]


def test_the_plan_says_when_a_groups_retention_would_change(tmp_path):
    settings = stack_settings(tmp_path, "lg")
    ctx = context(settings)
    KIND.ensure(ctx, {})
    try:
        longer = stack_settings(tmp_path, "lg", **{"cluster.log_retention_days": 90})
        lines = [line for line in infra.plan(longer) if line.startswith("log group")]
        assert len(lines) == 6 and sum(line.endswith(": events would be kept 90 days (now 30)") for line in lines) == 3
    finally:
        for group in KIND.find(ctx):
            KIND.delete(ctx, group)


def test_a_group_is_tagged_by_its_arn_without_the_trailing_star_and_its_stored_bytes_are_summed():
    """DescribeLogGroups gives ``arn`` with a trailing ``:*`` and ``logGroupArn`` without it, the one the tagging APIs
    take (API_LogGroup.html, logGroupArn); an answer without ``logGroupArn`` still tags the right group. A group
    that reports no ``storedBytes`` holds none."""
    arn = "arn:aws:logs:us-west-2:123456789012:log-group:/aws/redshift/cluster/x/userlog"
    assert logs._arn({"arn": arn + ":*", "logGroupArn": arn}) == arn
    assert logs._arn({"arn": arn + ":*"}) == arn
    assert logs.stored_bytes([{"storedBytes": 2 ** 30}, {"storedBytes": None}, {}, {"storedBytes": 5}]) == 2 ** 30 + 5
    assert logs.stored_bytes([]) == 0
