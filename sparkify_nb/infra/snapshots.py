"""Final snapshots that outlive the warehouse (``[cluster] final_snapshot =
true``), of either ``[cluster] kind``: what ``sparkify-nb status`` and 99 report,
with their size and what they cost a month.

99 names a final snapshot ``<identifier>-final-<UTC stamp>`` (:func:`.cluster.stamp`).
Whether a final snapshot inherits the cluster's tags is not stated on the
DeleteCluster or tagging pages (unconfirmed), so a provisioned one is found
by its tag or by its cluster and name (``DescribeClusterSnapshots`` with
``ClusterIdentifier``, ``SnapshotType = manual``); a Serverless one by its
namespace and name (``ListSnapshots`` with ``namespaceName``:
https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_ListSnapshots.html).

"Manual snapshots are retained even after you delete your cluster. Because
manual snapshots accrue storage charges, it's important that you manually
delete them if you no longer need them"
(https://docs.aws.amazon.com/redshift/latest/mgmt/working-with-snapshots.html);
on Serverless "storage for user snapshots is billed at the standard backup
billing rate" (https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-billing.html).
The cost shown is the snapshot's total backup size times
:data:`.pricing.SNAPSHOT_GB_MONTH` (an estimate: incremental snapshots share
blocks, so the bill can be lower).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import aws
from . import pricing
from .cluster import _tagged
from .context import Context

SERVERLESS = "redshift-serverless"


def _final(ctx: Context, name: str) -> bool:
    return name.startswith(f"{ctx.settings.get('cluster', 'identifier')}-final-")


def _row(name: str, kind: str, size_mb: Any, created: Any) -> dict[str, Any]:
    size_gb = round(float(size_mb or 0) / 1024, 3)
    return {"name": name, "kind": kind, "size_gb": size_gb, "created": created,
            "usd_per_month": round(size_gb * pricing.SNAPSHOT_GB_MONTH, 2)}


def _provisioned(ctx: Context) -> list[dict[str, Any]]:
    ident = ctx.settings.get("cluster", "identifier")
    tagged = _tagged(ctx, "describe_cluster_snapshots", "Snapshots", SnapshotType="manual")
    named = (aws.call(ctx.client("redshift"), "describe_cluster_snapshots", missing=("ClusterNotFound",),
                      ClusterIdentifier=ident, SnapshotType="manual") or {}).get("Snapshots", [])
    found = {s["SnapshotIdentifier"]: s for s in tagged + [s for s in named if _final(ctx, s["SnapshotIdentifier"])]}
    return [_row(name, "cluster", s.get("TotalBackupSizeInMegaBytes"), s.get("SnapshotCreateTime"))
            for name, s in sorted(found.items())]


def _serverless(ctx: Context) -> list[dict[str, Any]]:
    if ctx.lacks(SERVERLESS):
        return []
    pages = ctx.client(SERVERLESS).get_paginator("list_snapshots").paginate(
        namespaceName=ctx.settings.get("cluster", "identifier"))
    return [_row(s["snapshotName"], "serverless", s.get("totalBackupSizeInMegaBytes"), s.get("snapshotCreateTime"))
            for page in pages for s in page.get("snapshots", []) if _final(ctx, s.get("snapshotName", ""))]


def kept(ctx: Context) -> list[dict[str, Any]]:
    """The stack's final snapshots, provisioned then Serverless: ``name``,
    ``kind``, ``size_gb``, ``created``, ``usd_per_month``."""
    return _provisioned(ctx) + _serverless(ctx)


def line(snapshot: dict[str, Any]) -> str:
    """``"<name> (cluster, 12.5 GB, about $0.30/month; created ...)"``."""
    created = snapshot["created"]
    when = f"; created {created:%Y-%m-%d}" if isinstance(created, datetime) else ""
    return (f"{snapshot['name']} ({snapshot['kind']} snapshot, {snapshot['size_gb']} GB, about "
            f"${snapshot['usd_per_month']:.2f}/month at ${pricing.SNAPSHOT_GB_MONTH}/GB-month{when})")


def how_to_delete(snapshot: dict[str, Any]) -> str:
    """The command that deletes it."""
    if snapshot["kind"] == "serverless":
        return f"aws redshift-serverless delete-snapshot --snapshot-name {snapshot['name']}"
    return f"aws redshift delete-cluster-snapshot --snapshot-identifier {snapshot['name']}"
