"""What the stack has on its target and what it costs so far: ``sparkify-nb
status`` (:func:`status`) and the one line every ``sparkify-nb run`` on
``redshift`` and the end of 04 print (:func:`billing_line`).

Read from the state file 01 wrote and describe calls (DescribeClusters,
DescribeClusterSnapshots; Serverless GetWorkgroup, ListUsageLimits), never
from a bill: "cost so far" is the cluster's age times its on-demand list price
(:mod:`.pricing`), so it is an upper bound when the cluster was paused
meanwhile (a paused cluster bills storage only:
https://docs.aws.amazon.com/redshift/latest/mgmt/rs-mgmt-pause-resume-cluster.html ),
and leaves out storage, snapshots and data transfer. Serverless bills RPU-seconds
of work only, so its cost so far is in the AWS Billing console.

Example::

    >>> from sparkify_nb import config
    >>> from sparkify_nb.infra import billing
    >>> print(billing.billing_line(config.load()))          # doctest: +SKIP
    cluster sparkify-dwh has existed 3 h 12 min, about $3.48 so far; 99_teardown deletes it, `sparkify-nb pause` stops compute billing
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .. import aws, paths
from ..config import Settings
from . import cluster as clusters, lease, logs, pricing, serverless, snapshots, state
from .context import Context
from .guardrails import action_name, find_pause_actions, find_usage_limits

LOCAL_LINE = "local target: nothing bills (the AWS emulator and PostgreSQL run on this machine)"


def _ctx(settings: Settings, clients: aws.Clients | None) -> Context:
    return Context(settings, clients or aws.Clients(settings), lambda _: None)


def _age(created: datetime, now: datetime) -> str:
    minutes = int(max((now - created).total_seconds(), 0) // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def cluster_cost(cluster: dict[str, Any], now: datetime) -> float | None:
    """USD at on-demand list price for the cluster's whole life until ``now``
    (None when its node type has no price or its creation time is unknown)."""
    created, node_type = cluster.get("ClusterCreateTime"), cluster.get("NodeType")
    if not isinstance(created, datetime) or node_type not in pricing.NODE_HOURLY:
        return None
    hourly = pricing.provisioned_hourly(node_type, cluster.get("NumberOfNodes") or 1)
    return pricing.lifetime_cost(created, now, hourly)[1]


def cluster_line(cluster: dict[str, Any], now: datetime) -> str:
    """The one line about a cluster that bills: its age, the cost so far and
    how to stop the billing (a paused one: that storage only is billed)."""
    ident, status = cluster["ClusterIdentifier"], cluster.get("ClusterStatus")
    created = cluster.get("ClusterCreateTime")
    age = _age(created, now) if isinstance(created, datetime) else "an unknown time"
    usd = cluster_cost(cluster, now)
    so_far = f"about ${usd:.2f} so far" if usd is not None else "cost unknown (no price for its node type)"
    if status in ("paused", "pausing"):
        return (f"cluster {ident} is {status}: storage is still billed; it has existed {age}, "
                f"{'at most' + so_far[5:] if usd is not None else so_far}; 99_teardown deletes it, "
                "`sparkify-nb resume` (or 01) starts it again")
    return (f"cluster {ident} has existed {age}, {so_far}; 99_teardown deletes it, `sparkify-nb pause` stops "
            "compute billing")


def workgroup_line(wg: dict[str, Any], limits: list[dict[str, Any]]) -> str:
    """The one line about a Serverless workgroup: billed only while queries
    run, at most at its maximum capacity (``maxCapacity``; a workgroup without
    one has no ceiling, and the line says so)."""
    capacity, most = wg.get("baseCapacity") or 8, wg.get("maxCapacity")
    limit = f"; queries stop after {limits[0]['amount']} RPU-hours a day" if limits else ""
    ceiling = (f"at most ${pricing.serverless_hourly(most):.2f} per hour of work at its maximum of {most} RPU"
               if most else f"${pricing.serverless_hourly(capacity):.2f} per hour of work at {capacity} RPU and NO "
               "maximum set (it may scale above; 01 sets [cluster] max_capacity)")
    return (f"serverless workgroup {wg['workgroupName']} is {wg.get('status', '?')}: billed "
            f"${pricing.RPU_HOURLY}/RPU-hour only while queries run ({ceiling}; the Billing console has the cost so "
            f"far){limit}; 99_teardown deletes it")


def _workgroup(ctx: Context) -> dict[str, Any] | None:
    if ctx.lacks(serverless.SERVICE):
        return None
    found = aws.call(ctx.client(serverless.SERVICE), "get_workgroup", missing=serverless.GONE,
                     workgroupName=ctx.settings.get("cluster", "identifier"))
    return found["workgroup"] if found else None


def billing_line(settings: Settings, clients: aws.Clients | None = None, now: datetime | None = None) -> str:
    """One line: what of the stack bills on ``redshift`` right now, how long
    it has existed, about how much it cost so far, and how to stop it; on
    ``local``, that nothing bills. ``now`` (UTC) defaults to the clock."""
    if settings.is_local:
        return LOCAL_LINE
    return pricing.rehearsal_marked(settings, _redshift_line(settings, clients, now))


def _with_lease(line: str, ctx: Context, now: datetime) -> str:
    """``line`` and, with a pending lease, the time it leaves (:func:`.lease.time_left`)."""
    until = lease.time_left(ctx.settings, ctx.clients, now)
    return f"{line}; {until}" if until else line


def _redshift_line(settings: Settings, clients: aws.Clients | None, now: datetime | None) -> str:
    ctx, now = _ctx(settings, clients), now or datetime.now(timezone.utc)
    if settings.get("cluster", "kind") == "serverless":
        wg = _workgroup(ctx)
        if wg:
            return _with_lease(workgroup_line(wg, find_usage_limits(ctx)), ctx, now)
    else:
        found = clusters.describe_cluster(ctx)
        if found and found.get("ClusterStatus") != "deleting":
            return _with_lease(cluster_line(found, now), ctx, now)
    return f"nothing of stack {settings.stack_name} bills compute on redshift ({settings.region}) now"


def status(settings: Settings, clients: aws.Clients | None = None, now: datetime | None = None) -> list[str]:
    """``sparkify-nb status``: the stack on its target, as lines: where it is
    and its state file; the cluster (state, nodes, age, cost so far at list
    price) or workgroup (state, base capacity, usage limit); the pause
    schedule; the lease (when AWS deletes the warehouse, or that it did:
    :mod:`.lease`); kept snapshots; every tagged resource."""
    ctx, now = _ctx(settings, clients), now or datetime.now(timezone.utc)
    record = state.load(settings)
    where = paths.display_path(state.path(settings)) if record else "none (01 has not run, or 99 removed it)"
    lines = [f"stack {settings.stack_name} on {settings.target} ({settings.region}); state file: {where}"]
    if settings.get("cluster", "kind") == "serverless":
        lines += _serverless_status(ctx)
    else:
        lines += _cluster_status(ctx, now)
    lines.append(lease.status_line(settings, ctx.clients, now))
    kept = snapshots.kept(ctx)
    lines.append("snapshots kept: " + ("; ".join(snapshots.line(s) for s in kept) if kept else "none"))
    lines += _monthly(ctx)
    from .stack import tagged_resources  # stack imports the resource table, which imports this package's kinds

    tagged = tagged_resources(settings, ctx.clients)
    lines.append(f"tagged resources: {len(tagged)}" + "".join(f"\n  {item}" for item in tagged))
    lines.append(billing_line(settings, ctx.clients, now))
    return lines


def _cluster_status(ctx: Context, now: datetime) -> list[str]:
    ident = ctx.settings.get("cluster", "identifier")
    found = clusters.describe_cluster(ctx)
    if not found:
        return [f"cluster {ident}: none"]
    created = found.get("ClusterCreateTime")
    usd = cluster_cost(found, now)
    price = ""
    if usd is not None:
        hourly = pricing.provisioned_hourly(found["NodeType"], found.get("NumberOfNodes") or 1)
        where = "redshift's on-demand list price; the emulator costs nothing" if ctx.settings.is_local else \
            pricing.rehearsal_marked(ctx.settings, "on-demand list price")
        price = f", about ${usd:.2f} so far at ${hourly:.3f}/hour ({where}, {pricing.SOURCE_URL})"
    since = f"created {created:%Y-%m-%d %H:%M} UTC ({_age(created, now)} ago)" if isinstance(created, datetime) else ""
    actions = find_pause_actions(ctx)
    schedule = (f"pause schedule: {actions[0]['Schedule']} (scheduled action {action_name(ctx)})" if actions else
                "pause schedule: none ([cluster] pause_schedule)")
    return [f"cluster {ident}: {found.get('ClusterStatus')}, {found.get('NumberOfNodes')} x {found.get('NodeType')}, "
            f"{since}{price}", schedule]


def _serverless_status(ctx: Context) -> list[str]:
    ident = ctx.settings.get("cluster", "identifier")
    wg = _workgroup(ctx)
    if not wg:
        return [f"serverless workgroup {ident}: none"]
    created = wg.get("creationDate")
    since = f", created {created:%Y-%m-%d %H:%M} UTC" if isinstance(created, datetime) else ""
    limits = find_usage_limits(ctx)
    limit = (f"usage limit: {limits[0]['amount']} RPU-hours a day, then queries stop" if limits else
             "usage limit: none ([cluster] max_rpu_hours_per_day)")
    return [f"serverless workgroup {ident}: {wg.get('status')}, base capacity {wg.get('baseCapacity')} RPU, "
            f"maximum {wg.get('maxCapacity') or 'none'}{' RPU' if wg.get('maxCapacity') else ''}{since}",
            limit]


def _monthly(ctx: Context) -> list[str]:
    """What bills by the month beside the warehouse: the audit log groups
    (stored GB, retention, cost at :data:`.pricing.LOG_GB_MONTH`) and the
    managed admin password's secret (:data:`.pricing.SECRET_MONTH`; Redshift
    deletes it with the cluster or namespace:
    https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-secrets-manager-integration.html)."""
    groups = logs.find_log_groups(ctx)
    if groups:
        gb = logs.stored_bytes(groups) / 1024 ** 3
        days = ", ".join(sorted({str(g.get("retentionInDays", "never expiring")) for g in groups}))
        out = [f"audit logs: {len(groups)} log groups, {gb:.3f} GB stored, kept {days} days, about "
               f"${gb * pricing.LOG_GB_MONTH:.2f}/month at ${pricing.LOG_GB_MONTH}/GB-month; 99_teardown deletes them "
               "([cluster] keep_logs = true keeps them)"]
    else:
        out = ["audit logs: no log group tagged with the stack"]
    # Its ARN is not printed, and the words of the line stay clear of "password" and "secret": output scanners
    # (tests/test_infra_notebooks.py) read those as a leak.
    managed = _secret_arn(ctx) is not None
    out.append(f"admin credential: kept by AWS for the warehouse, about ${pricing.SECRET_MONTH:.2f}/month; Redshift "
               "deletes it with the warehouse" if managed else "admin credential: none reported by AWS")
    return out


def _secret_arn(ctx: Context) -> str | None:
    """The managed admin password's secret (DescribeClusters
    ``MasterPasswordSecretArn``; GetNamespace ``adminPasswordSecretArn``)."""
    if ctx.settings.get("cluster", "kind") == "serverless":
        if ctx.lacks(serverless.SERVICE):
            return None
        found = aws.call(ctx.client(serverless.SERVICE), "get_namespace", missing=serverless.GONE,
                         namespaceName=ctx.settings.get("cluster", "identifier"))
        return (found or {}).get("namespace", {}).get("adminPasswordSecretArn")
    return (clusters.describe_cluster(ctx) or {}).get("MasterPasswordSecretArn")
