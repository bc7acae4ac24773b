"""The lease on the warehouse (``[cluster] lease_hours``, default 12; ``0``:
none): at a deadline AWS itself deletes the cluster (or the Serverless
workgroup, then its namespace), whether or not the machine that ran 01 is
on. The documents (schedules' targets, role, trust) are
:mod:`sparkify_nb.iam.lease`; this module makes them in AWS, as two kinds of
the resource table (:mod:`.resources`): the role ``<stack>-lease`` and the
schedules.

Each schedule is an EventBridge Scheduler one-time schedule: ``at(...)`` with
``ScheduleExpressionTimezone = UTC`` (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html),
``FlexibleTimeWindow`` ``OFF`` (it fires at the deadline, "with 60 second
precision"), ``ActionAfterCompletion = DELETE`` ("For one-time schedules, this
occurs after the schedule has invoked its target once":
https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-delete.html),
and a universal target (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html)
run as the lease role. Request shapes:
https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html ,
https://docs.aws.amazon.com/scheduler/latest/APIReference/API_UpdateSchedule.html (UpdateSchedule replaces
the whole schedule: every field is sent again).

Every run of 01 moves the deadline to ``lease_hours`` from now (created, or
updated in place), and ``sparkify-nb lease extend [HOURS]`` (:func:`extend`)
moves it to HOURS from now; 99 deletes the schedules and the role with
everything else. The deadline is recorded in the state file
(``lease_deadline``), so that a lease that fired (the warehouse gone, its
schedule gone or past) is reported as such by 01 and ``sparkify-nb status``
(:func:`fired_line`): it deletes the warehouse only, and leaves the network,
roles, buckets and logs for 99.

Only the ``redshift`` target makes a lease, rehearsals included (the AWS
emulator serves EventBridge Scheduler; nothing there fires it): the ``local``
target bills nothing, so there is nothing to end (:data:`LOCAL_LINE`).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from .. import Progress, aws
from ..config import Settings
from ..iam import lease as documents
from . import cluster as clusters, roles, serverless, state
from .context import Context
from .errors import ConflictError, InfraError

SERVICE = "scheduler"
GONE = ("ResourceNotFoundException",)
LOCAL_LINE = "lease: none (the local target bills nothing)"


def _account(ctx: Context) -> str:
    return ctx.caller["Account"]


def role_name(ctx: Context) -> str:
    return documents.role_name(ctx.settings)


def when(deadline: datetime) -> str:
    """``2026-12-02 21:40 UTC (22:40 CET here)``: the deadline in UTC and in this machine's time zone."""
    utc, here = deadline.astimezone(timezone.utc), deadline.astimezone()
    return f"{utc:%Y-%m-%d %H:%M} UTC ({here:%Y-%m-%d %H:%M %Z} here)"


def left(deadline: datetime, now: datetime) -> str:
    """The time from ``now`` to ``deadline`` as ``11 h 59 min`` (``0 h 00 min`` once past)."""
    minutes = int(max((deadline - now).total_seconds(), 0) // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


# --- the role the scheduler assumes -------------------------------------------------------------

def find_lease_role(ctx: Context) -> list[dict[str, Any]]:
    """The role ``<stack>-lease`` when it carries this stack's tag (none on ``local``, which makes no lease)."""
    if ctx.settings.is_local:
        return []
    name = role_name(ctx)
    tags = aws.call(ctx.client("iam"), "list_role_tags", missing=("NoSuchEntity",), RoleName=name)
    return [{"RoleName": name, "Tags": tags["Tags"]}] if tags and ctx.is_ours(tags["Tags"]) else []


def ensure_lease_role(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """With a lease: find or create the role (trusting the scheduler for this
    account's default schedule group, under the boundary) and write its one
    inline policy, which may delete this warehouse only. Without one
    (``lease_hours = 0``): delete the role an earlier run made. Returns
    ``{"lease_role_arn": ...}``."""
    settings = ctx.settings
    if not settings.get("cluster", "lease_hours"):
        for item in find_lease_role(ctx):
            roles.delete_role(ctx, item)
        return {"lease_role_arn": None}
    account, partition, name = _account(ctx), ctx.partition, role_name(ctx)
    arn = roles.ensure_bounded_role(ctx, name, documents.trust(settings, account, partition),
                                    "Lets EventBridge Scheduler delete the Sparkify warehouse at its lease's deadline",
                                    record["boundary_arn"])
    warehouse = {k: record.get(k) for k in ("workgroup_arn", "namespace_arn")}
    policy, iam = documents.role_policy(settings, account, partition, warehouse), ctx.client("iam")
    current = aws.call(iam, "get_role_policy", missing=("NoSuchEntity",), RoleName=name,
                       PolicyName=documents.POLICY_NAME)
    if (current and roles.document(current["PolicyDocument"])) != policy:  # every 01 passes here: write only a change
        aws.call(iam, "put_role_policy", RoleName=name, PolicyName=documents.POLICY_NAME,
                 PolicyDocument=json.dumps(policy))
        ctx.progress(f"IAM role {name}: policy {documents.POLICY_NAME} {'updated' if current else 'attached'} "
                     "(may delete this warehouse only)")
    return {"lease_role_arn": arn}


# --- the schedules ------------------------------------------------------------------------------

def _get(ctx: Context, name: str) -> dict[str, Any] | None:
    return aws.call(ctx.client(SERVICE), "get_schedule", missing=GONE, Name=name, GroupName=documents.GROUP)


def find_lease_schedules(ctx: Context) -> list[dict[str, Any]]:
    """The stack's lease schedules (either kind's names) whose role is this stack's lease role (none on
    ``local``: the local target makes no lease, and its emulator is not the one a rehearsal or AWS uses)."""
    if ctx.settings.is_local:
        return []
    names = [a.rsplit("/", 1)[-1] for a in documents.schedule_arns(ctx.settings, "0")]
    found = [_get(ctx, name) for name in names]
    return [s for s in found if s and s.get("Target", {}).get("RoleArn", "").endswith(f":role/{role_name(ctx)}")]


def _request(target: dict[str, Any], role_arn: str) -> dict[str, Any]:
    return {"Name": target["name"], "GroupName": documents.GROUP,
            "ScheduleExpression": documents.at_expression(target["at"]), "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"}, "ActionAfterCompletion": "DELETE", "State": "ENABLED",
            "Description": f"Sparkify lease: {target['arn'].rsplit(':', 1)[-1]} at the deadline ([cluster] lease_hours)",
            "Target": {"Arn": target["arn"], "RoleArn": role_arn, "Input": documents.input_json(target["input"])}}


def _set(ctx: Context, role_arn: str, deadline: datetime) -> None:
    """Create each schedule of the lease, or move an existing one to ``deadline``; delete one of ours that the
    settings no longer name (the namespace's, after a switch from Serverless). A schedule of the same name with
    another role is not ours: :class:`.ConflictError` (schedules carry no tags; the name and role make ours)."""
    client, wanted = ctx.client(SERVICE), documents.targets(ctx.settings, deadline, ctx.partition)
    for target in wanted:
        request, existing = _request(target, role_arn), _get(ctx, target["name"])
        if existing is None:
            aws.call(client, "create_schedule", **request)
        elif existing.get("Target", {}).get("RoleArn") != role_arn:
            raise ConflictError(f"EventBridge Scheduler schedule {target['name']} exists but does not run as "
                                f"{role_arn.rsplit('/', 1)[-1]}: not ours to manage. Set another [general] stack_name")
        else:
            aws.call(client, "update_schedule", **request)
    for item in find_lease_schedules(ctx):
        if item["Name"] not in {t["name"] for t in wanted}:
            delete_lease_schedule(ctx, item)


def _what(settings: Settings) -> str:
    ident = settings.get("cluster", "identifier")
    if settings.get("cluster", "kind") == "serverless":
        return f"serverless workgroup {ident} (and its namespace {documents.NAMESPACE_AFTER.seconds // 3600} h later)"
    return f"cluster {ident}"


def _snapshot_words(settings: Settings) -> str:
    return ("keeping a final snapshot, as 99 would ([cluster] final_snapshot = true)"
            if settings.get("cluster", "final_snapshot") else "without a final snapshot, as 99")


def ensure_lease(ctx: Context, record: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """Set the deadline to ``[cluster] lease_hours`` from ``now`` (UTC; the
    clock by default): create the lease's schedules or move them, and say when
    in UTC and this machine's time. With ``lease_hours = 0`` delete ours.
    Returns ``{"lease_deadline": <ISO 8601 UTC or None>}``."""
    hours = ctx.settings.get("cluster", "lease_hours")
    if not hours:
        for item in find_lease_schedules(ctx):
            delete_lease_schedule(ctx, item)
        ctx.progress("lease: none ([cluster] lease_hours = 0): the warehouse bills until 99_teardown deletes it")
        return {"lease_deadline": None}
    deadline = (now or datetime.now(timezone.utc)).replace(microsecond=0) + timedelta(hours=hours)
    _set(ctx, record["lease_role_arn"], deadline)
    ctx.progress(f"lease: AWS deletes {_what(ctx.settings)} at {when(deadline)}, {hours} h from now, "
                 f"{_snapshot_words(ctx.settings)}, whether or not this machine is on. Each 01 and "
                 "`sparkify-nb lease extend [HOURS]` move it; 99_teardown removes it")
    return {"lease_deadline": deadline.isoformat()}


def delete_lease_schedule(ctx: Context, item: dict[str, Any]) -> None:
    if aws.call(ctx.client(SERVICE), "delete_schedule", missing=GONE, Name=item["Name"],
                GroupName=item.get("GroupName") or documents.GROUP) is not None:
        ctx.progress(f"lease schedule {item['Name']}: deleted")


# --- what the lease is now ------------------------------------------------------------------------

def deadline_of(schedules: list[dict[str, Any]]) -> datetime | None:
    """The first deadline among the lease's ``schedules`` (GetSchedule answers), in UTC."""
    times = [documents.parse_at(s.get("ScheduleExpression", "")) for s in schedules]
    return min((t for t in times if t), default=None)


def _first(ctx: Context) -> tuple[datetime | None, datetime | None]:
    """The deadlines of the lease's schedule that deletes the warehouse (the cluster, or the workgroup) and
    of the one that deletes a Serverless namespace afterwards, each None when there is none (any more)."""
    found = {s["Name"]: s for s in find_lease_schedules(ctx)}
    first = f"{ctx.settings.stack_name}-lease"
    return (deadline_of([found[first]]) if first in found else None,
            deadline_of([found[f"{first}-namespace"]]) if f"{first}-namespace" in found else None)


def _warehouse_gone(ctx: Context) -> bool:
    if ctx.settings.get("cluster", "kind") == "serverless":
        if ctx.lacks(serverless.SERVICE):
            return False
        found = aws.call(ctx.client(serverless.SERVICE), "get_workgroup", missing=serverless.GONE,
                         workgroupName=ctx.settings.get("cluster", "identifier"))
        # DELETING for a while after DeleteWorkgroup (the lease has fired), as a cluster is "deleting"
        return found is None or found["workgroup"].get("status") == "DELETING"
    found = clusters.describe_cluster(ctx)
    return not found or found.get("ClusterStatus") == "deleting"


def fired_at(ctx: Context, record: dict[str, Any], now: datetime | None = None) -> datetime | None:
    """When the lease recorded in ``record`` (``lease_deadline``) deleted the
    warehouse, or None: it fired when the warehouse is gone (or deleting) and
    its schedule is gone (deleted after it ran) or past its deadline."""
    recorded = record.get("lease_deadline")
    if not recorded or ctx.settings.is_local:
        return None
    deadline, now = datetime.fromisoformat(recorded), now or datetime.now(timezone.utc)
    if not _warehouse_gone(ctx):
        return None
    pending = _first(ctx)[0]
    return None if pending and pending > now else deadline


def fired_line(settings: Settings, deadline: datetime) -> str:
    """The sentence 01 and ``status`` say about a lease that fired."""
    what = "serverless workgroup" if settings.get("cluster", "kind") == "serverless" else "cluster"
    return (f"{what} {settings.get('cluster', 'identifier')}: deleted by its lease at {when(deadline)}; the "
            "network, roles, buckets and logs are left for 99_teardown (or 01 makes the warehouse again)")


def report_fired(ctx: Context, record: dict[str, Any]) -> None:
    """01, before it makes the warehouse again: say so when the lease deleted it."""
    at = fired_at(ctx, record)
    if at:
        ctx.progress(fired_line(ctx.settings, at))


def status_line(settings: Settings, clients: aws.Clients | None = None, now: datetime | None = None) -> str:
    """``lease: ...``: when AWS deletes the warehouse and the time left, that
    the lease fired, or that there is none (and why)."""
    if settings.is_local:
        return LOCAL_LINE
    ctx, now = Context(settings, clients or aws.Clients(settings), lambda _: None), now or datetime.now(timezone.utc)
    deadline, namespace = _first(ctx)
    if deadline and deadline > now:
        return (f"lease: AWS deletes {_what(settings)} at {when(deadline)}, in {left(deadline, now)}; "
                "`sparkify-nb lease extend [HOURS]` moves it")
    at = fired_at(ctx, state.load(settings), now)
    if at:
        then = f"; its namespace goes at {when(namespace)}" if namespace and namespace > now else \
            "; its namespace went an hour later" if settings.get("cluster", "kind") == "serverless" else ""
        return "lease: fired; " + fired_line(settings, at) + then
    if deadline:
        return f"lease: its deadline {when(deadline)} has passed; AWS is deleting {_what(settings)}"
    if not settings.get("cluster", "lease_hours"):
        return "lease: none ([cluster] lease_hours = 0): the warehouse bills until 99_teardown deletes it"
    return "lease: none (01 sets it once the warehouse exists)"


def time_left(settings: Settings, clients: aws.Clients | None = None, now: datetime | None = None) -> str | None:
    """``its lease deletes it in 11 h 59 min (21:40 UTC)`` for the cost lines, or None without a pending lease."""
    if settings.is_local:
        return None
    ctx, now = Context(settings, clients or aws.Clients(settings), lambda _: None), now or datetime.now(timezone.utc)
    deadline = _first(ctx)[0]
    if not deadline or deadline <= now:
        return None
    return f"its lease deletes it in {left(deadline, now)} ({deadline.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC)"


def extend(settings: Settings, hours: int | None = None, clients: aws.Clients | None = None,
           progress: Progress = print, now: datetime | None = None) -> datetime:
    """``sparkify-nb lease extend [HOURS]``: move the lease's deadline to
    ``hours`` from ``now`` (default ``[cluster] lease_hours``; fewer hours than
    are left bring it closer). Returns the new deadline (UTC) and records it.
    Raises :class:`InfraError` on ``local``, with ``[cluster] lease_hours =
    0``, with ``hours`` under 1, or when there is no lease to move (01 sets it)."""
    if settings.is_local:
        raise InfraError("the local target has no lease (it bills nothing): `sparkify-nb lease` is for target = "
                         "redshift")
    if not settings.get("cluster", "lease_hours"):
        raise InfraError("[cluster] lease_hours = 0: this stack has no lease to extend (the operator policy then "
                         "holds no way to make one); set lease_hours above 0 and run 01_infrastructure")
    hours = settings.get("cluster", "lease_hours") if hours is None else hours
    if hours < 1:
        raise InfraError(f"lease extend {hours}: give the hours from now at which AWS deletes the warehouse, at "
                         "least 1 (to delete it now, run 99_teardown)")
    ctx = Context(settings, clients or aws.Clients(settings), progress)
    found = find_lease_schedules(ctx)
    if not found:
        raise InfraError(f"no lease on stack {settings.stack_name} ({settings.region}) to extend: 01_infrastructure "
                         "sets it (with [cluster] lease_hours above 0)")
    deadline = (now or datetime.now(timezone.utc)).replace(microsecond=0) + timedelta(hours=hours)
    _set(ctx, found[0]["Target"]["RoleArn"], deadline)
    record = state.load(settings)
    if record:
        record["lease_deadline"] = deadline.isoformat()
        state.save(settings, record)
    progress(f"lease: AWS deletes {_what(settings)} at {when(deadline)}, {hours} h from now")
    return deadline
