"""Provision, list, plan and tear down a stack by walking :data:`.resources.KINDS`.

:func:`provision` runs each kind's ``ensure`` in table order (each finds what
exists first, so a re-run creates nothing twice); :func:`tagged_resources`,
:func:`teardown` and its dry run walk the same table backwards, so what is
made, what is listed and what is deleted cannot disagree.

Every resource carries the tag ``sparkify:stack = <stack_name>``. What can be
brought in line in place is (the role policy, the security group's ingress,
the workgroup's base capacity); what cannot (node type or count, port, public
access of an existing cluster) is a warning, reported and recorded. What was
made (ids, ARNs, endpoint; never a secret) is recorded by :mod:`.state`.

Every boto3 call goes through :func:`aws.call` (logs the AWS error code,
re-raises), with clients made once per call here (:class:`aws.Clients`). On
``local`` the same calls go to the emulator; the few it does not implement
(:data:`aws.EMULATOR_GAPS`) are skipped with a visible line.

Example::

    >>> from sparkify_nb import config, infra
    >>> settings = config.load()
    >>> record = infra.provision(settings)          # doctest: +SKIP
    >>> infra.teardown(settings)                    # doctest: +SKIP
    []
"""

from __future__ import annotations

import time
from typing import Any

from .. import Progress, aws
from ..config import Settings
from ..display import Table
from . import boundary, cluster, lease, network, owner, pricing, resources, snapshots, state
from .context import TAG_KEY, Context
from .errors import InfraError
from .resources import Kind


def _context(settings: Settings, clients: aws.Clients | None, progress: Progress) -> Context:
    return Context(settings, clients or aws.Clients(settings), progress)


def _found(ctx: Context, kinds: list[Kind]) -> list[tuple[Kind, dict[str, Any]]]:
    return [(k, item) for k in kinds for item in k.find(ctx)]


def _other_kind_left(found: list[tuple[Kind, dict[str, Any]]], kind: str) -> list[str]:
    """Billed resources of this stack (of ``found``) made with the other ``[cluster] kind``:
    not converted in place, and billing until 99_teardown removes them."""
    return [f"{k.describe(item)}: made with another [cluster] kind than {kind!r}; not converted in place and still "
            "billed. 99_teardown removes it" for k, item in found if k.billed and k.cluster_kind not in (None, kind)]


def _refuse_before_anything(ctx: Context) -> None:
    """What 01 refuses before it makes anything: Serverless on the emulator,
    and a new cluster of a node type AWS no longer provisions."""
    settings, kind = ctx.settings, ctx.settings.get("cluster", "kind")
    if kind == "serverless" and aws.emulator_lacks(settings, "redshift-serverless"):
        raise InfraError("[cluster] kind = serverless needs [general] target = redshift: the local AWS emulator "
                         "(moto) has no Redshift Serverless API. Use kind = provisioned on local")
    node_type = settings.get("cluster", "node_type")
    if kind == "provisioned" and node_type in pricing.RETIRED_NODE_TYPES and not cluster.describe_cluster(ctx):
        raise InfraError(f"[cluster] node_type = {node_type}: AWS no longer makes new clusters of dc2 nodes "
                         "(see sparkify_nb/infra/pricing.py). Use ra3.large, the smallest current node type")


def provision(settings: Settings, clients: aws.Clients | None = None, progress: Progress = print,
              plan: bool = False, preflight: dict[str, Any] | None = None) -> dict[str, Any]:
    """Ensure every kind of :func:`.resources.provisioning_order` (role,
    network, routes, cluster or serverless namespace and workgroup), saving
    the state after each; record and return the state (ids, ARNs, endpoint,
    warnings, what ``preflight`` found such as ``source_region``; never a
    secret). ``clients``: made once here when not given.

    With ``plan`` nothing is changed (not even the state file): each line of
    :func:`plan` and the cost are reported, and ``{"plan": lines, ...}`` is
    returned.

    Raises :class:`.IngressError` before creating anything when ``[network]
    allowed_cidrs`` is refused, :class:`.InfraError` for Serverless on the
    emulator or a dc2 node type, :class:`.ConflictError` when a name is taken
    by an untagged resource, :class:`.WaitTimeout` when the cluster does not
    come up in time. A failure halfway leaves a state file and tagged
    resources that a re-run completes and :func:`teardown` removes."""
    t0 = time.monotonic()
    kind = settings.get("cluster", "kind")
    ctx = _context(settings, clients, progress)
    _refuse_before_anything(ctx)
    cidrs, warnings = network.ingress_cidrs(settings)  # refused ingress stops here, before anything is made
    try:
        cost: dict[str, Any] | None = pricing.for_settings(settings)
    except pricing.PricingError as exc:
        cost = None
        warnings.append(f"{exc}; no cost estimate")
    found = _found(ctx, resources.teardown_order())
    progress(owner.check(ctx, found, "01"))
    if plan:
        return _report_plan(ctx, cost, warnings)
    for message in warnings + _other_kind_left(found, kind):
        ctx.warn(message)
    record = state.load(settings)
    record.update({"target": settings.target, "stack_name": settings.stack_name, "region": settings.region,
                   "kind": kind, "access": settings.access, "allowed_cidrs": cidrs, **(preflight or {})})
    lease.report_fired(ctx, record)  # before the warehouse is made again
    for k in resources.provisioning_order(kind, settings.target):
        record.update(k.ensure(ctx, record))
        state.save(settings, record)
    record.update({"warnings": ctx.warnings, "cost_usd_per_hour": cost["usd_per_hour"] if cost else None,
                   "cost_basis": cost["basis"] if cost else None})
    state.save(settings, record)
    progress(f"provisioned in {time.monotonic() - t0:.1f} s")
    return record


def plan(settings: Settings, clients: aws.Clients | None = None) -> list[str]:
    """What :func:`provision` would do, kind by kind in its order, without
    changing anything, in the kinds' labels: ``"VPC vpc-0abc: exists"``,
    ``"cluster: to create"``, and for what exists but differs from the
    settings what would change (:mod:`.changes`)."""
    from .changes import pending

    ctx = _context(settings, clients, lambda _: None)
    lines = []
    for k in resources.provisioning_order(settings.get("cluster", "kind"), settings.target):
        items = k.find(ctx)
        if items:
            lines += [f"{k.label} {item[k.id_key]}: exists" for item in items]
            lines += [f"{k.label} {item[k.id_key]}: {change}" for item in items for change in pending(ctx, k, item)]
        elif k.administered:
            lines.append(f"{k.label}: missing; " + ("the local stack makes it in 01, playing the administrator"
                                                    if settings.on_emulator else "an administrator makes it "
                                                    "before 01 (sparkify-nb iam-policy --admin)"))
        elif (not k.public_only or settings.publicly_accessible) and \
                (k.setting is None or settings.get("cluster", k.setting)):
            lines.append(f"{k.label}: to create")
    return lines


def _report_plan(ctx: Context, cost: dict[str, Any] | None, warnings: list[str]) -> dict[str, Any]:
    lines = plan(ctx.settings, ctx.clients)
    for line in lines + [f"WARNING: {w}" for w in warnings]:
        ctx.progress(f"plan: {line}")
    ctx.progress(f"plan: {pricing.describe(cost) if cost else 'no cost estimate'}")
    ctx.progress("plan only: nothing was created or changed")
    return {"plan": lines, "warnings": warnings, "kind": ctx.settings.get("cluster", "kind"),
            "cost_usd_per_hour": cost["usd_per_hour"] if cost else None}


def tagged_resources(settings: Settings, clients: aws.Clients | None = None) -> list[str]:
    """Every resource that carries this stack's tag (``"<kind> <id>"`` each), in
    the order :func:`teardown` deletes them. Kept final snapshots are not
    listed (see :func:`kept_snapshots`)."""
    ctx = _context(settings, clients, lambda _: None)
    return [k.describe(item) for k, item in _found(ctx, resources.teardown_order())]


def kept_snapshots(settings: Settings, clients: aws.Clients | None = None) -> list[str]:
    """Names of the stack's final snapshots, either kind (kept on purpose with
    ``[cluster] final_snapshot = true``; billed until you delete them: :mod:`.snapshots`)."""
    return [s["name"] for s in snapshots.kept(_context(settings, clients, lambda _: None))]


def teardown(settings: Settings, clients: aws.Clients | None = None, progress: Progress = print,
             dry_run: bool = False) -> list[str]:
    """Delete everything tagged with the stack, kind by kind in
    :func:`.resources.teardown_order` (serverless workgroup and namespace; the
    cluster, with a final snapshot only with ``[cluster] final_snapshot =
    true``; cluster groups; route table, internet gateway, security group,
    subnets, VPC; the role; the sample-data bucket; not the administrator's
    permissions boundary, which it names), waiting where deletion is
    asynchronous. Never touches an untagged resource, and stops before
    deleting anything when another identity made the stack (:mod:`.owner`;
    ``[general] adopt_stack = true`` goes on). Idempotent, and works after a
    provision that failed halfway.

    Returns what is still tagged afterwards (empty when all went; the state
    file is then removed). With ``dry_run`` nothing is deleted and the return
    value is what would be deleted, in order."""
    ctx = _context(settings, clients, progress)
    found = _found(ctx, resources.teardown_order())
    if found:
        progress(owner.check(ctx, found, "99"))
    if dry_run:
        for k, item in found:
            progress(f"would delete {k.describe(item)}")
        if not found:
            progress("nothing tagged with the stack: nothing to delete")
        return [k.describe(item) for k, item in found]
    if not found:
        progress(f"nothing tagged {TAG_KEY}={settings.stack_name}: nothing to delete")
    for k, item in found:
        k.delete(ctx, item)
    for snapshot in snapshots.kept(ctx):
        progress(f"kept: final snapshot {snapshots.line(snapshot)}; billed until deleted: "
                 f"`{snapshots.how_to_delete(snapshot)}`")
    kept = boundary.left_line(ctx)
    if kept:
        progress(kept)
    left = tagged_resources(settings, ctx.clients)
    if not left:
        state.clear(settings)
    return left


def report_warnings(record: dict[str, Any]) -> Table:
    """The warnings :func:`provision` recorded (settings it could not apply in
    place, public ingress) as a table to show, one row each with the status
    ``warn``, or the sentence that there were none."""
    import pandas as pd

    warnings = record.get("warnings") or []
    frame = pd.DataFrame({"status": ["warn"] * len(warnings), "warning": warnings}, columns=["status", "warning"])
    return Table(frame, "warnings", status="status", empty="no warnings: the stack matches the settings")


def report_left(left: list[str], dry_run: bool = False) -> str:
    """The end of a teardown in words: what a dry run would delete, or that
    nothing tagged is left. Raises :class:`.InfraError` listing what is still
    tagged after a real run."""
    if dry_run:
        return f"dry run: {len(left)} tagged resources would be deleted; nothing was"
    if left:
        raise InfraError(f"still tagged with the stack after teardown: {', '.join(left)}; re-run 99_teardown, "
                         "or delete them in the AWS console")
    return "nothing tagged with the stack is left"


def summary(record: dict[str, Any]) -> dict[str, Any]:
    """The printable part of a state record (what a person looks up)."""
    keys = ("kind", "access", "cluster_identifier", "workgroup_name", "cluster_status", "endpoint", "port",
            "db_name", "db_user", "role_arn", "vpc_id", "security_group_id", "allowed_cidrs", "s3_endpoint_id",
            "account", "source_region")
    return {k: record.get(k) for k in keys if k in record}


def summary_table(record: dict[str, Any]) -> Table:
    """:func:`summary` to show, one row per item, each value whole (an endpoint
    or an ARN wraps in its cell rather than being cut), lists comma-separated."""
    import pandas as pd

    items = summary(record)
    values = [", ".join(map(str, v)) if isinstance(v, (list, tuple)) else "" if v is None else str(v)
              for v in items.values()]
    return Table(pd.DataFrame({"item": list(items), "value": values}), "what 01 recorded")
