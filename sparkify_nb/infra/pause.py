"""``sparkify-nb pause`` and ``resume``: stop and restart a provisioned
cluster's compute billing without deleting it; and :func:`awake`, which a
``sparkify-nb run`` of the notebooks that query the cluster (02-04) wraps
around them, so that a nightly load meets no paused cluster (a
``[cluster] pause_schedule`` pauses it every evening).

"While the cluster is paused, on-demand billing is suspended. Only the
cluster's storage incurs charges." Pausing takes a snapshot first; only an
``available`` cluster can be paused, and a paused one cannot be modified or
queried. https://docs.aws.amazon.com/redshift/latest/mgmt/rs-mgmt-pause-resume-cluster.html ,
https://docs.aws.amazon.com/redshift/latest/APIReference/API_PauseCluster.html ,
https://docs.aws.amazon.com/redshift/latest/APIReference/API_ResumeCluster.html .

Redshift Serverless has no pause: it bills compute only while queries run
(``[cluster] max_rpu_hours_per_day`` caps that). Both commands wait until the
cluster is paused or available, reporting its status and the elapsed time.

Example::

    >>> from sparkify_nb import config
    >>> from sparkify_nb.infra import pause
    >>> pause.pause(config.load())                  # doctest: +SKIP
    'paused'
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from .. import Progress, aws
from ..config import Settings
from . import cluster as clusters
from .context import Context
from .errors import InfraError
from .wait import poll


def _cluster(settings: Settings, clients: aws.Clients | None, progress: Progress,
             delay_s: float | None) -> tuple[Context, dict[str, Any]]:
    """The context and this stack's cluster; InfraError for Serverless or no cluster."""
    if settings.get("cluster", "kind") == "serverless":
        raise InfraError("pause and resume are for provisioned clusters ([cluster] kind = provisioned): Redshift "
                         "Serverless bills compute only while queries run; [cluster] max_rpu_hours_per_day caps it")
    ctx = Context(settings, clients or aws.Clients(settings), progress, delay_s=delay_s)
    ident = settings.get("cluster", "identifier")
    found = clusters.describe_cluster(ctx)
    if not found:
        raise InfraError(f"no cluster {ident} on {settings.target} ({settings.region}): nothing to pause or resume; "
                         "01_infrastructure makes it")
    ctx.claim(found.get("Tags"), f"cluster {ident}", "[cluster] identifier")
    return ctx, found


def _wait_for(ctx: Context, ident: str, done: tuple[str, ...]) -> str:
    """Poll the cluster's status, reporting it with the elapsed time, until it is one of ``done``."""
    def status() -> str | None:
        return (clusters.describe_cluster(ctx, ident) or {}).get("ClusterStatus")

    return poll(f"cluster {ident}", status, lambda s: s in done, ctx.progress, delay_s=ctx.poll_delay_s) or "?"


def pause(settings: Settings, clients: aws.Clients | None = None, progress: Progress = print,
          delay_s: float | None = None) -> str:
    """Pause this stack's cluster and wait until it is ``paused``; returns the
    final status. A paused cluster is left as it is. Raises :class:`InfraError`
    for Serverless, when there is no cluster, or when it is neither available
    nor paused (only an available cluster can be paused)."""
    ctx, found = _cluster(settings, clients, progress, delay_s)
    ident, status = found["ClusterIdentifier"], found.get("ClusterStatus")
    if status == "paused":
        progress(f"cluster {ident}: already paused (storage only is billed)")
        return status
    if status != "pausing":
        if status != "available":
            raise InfraError(f"cluster {ident} is {status}: only an available cluster can be paused; try again when "
                             "`sparkify-nb status` says available")
        aws.call(ctx.client("redshift"), "pause_cluster", ClusterIdentifier=ident)
        progress(f"cluster {ident}: pausing (Redshift takes a snapshot first)")
    final = _wait_for(ctx, ident, ("paused",))
    progress(f"cluster {ident}: paused; compute is no longer billed, storage is. `sparkify-nb resume` (or 01) "
             "starts it again")
    return final


def resume(settings: Settings, clients: aws.Clients | None = None, progress: Progress = print,
           delay_s: float | None = None) -> str:
    """Resume this stack's cluster and wait until it is ``available``; returns
    the final status. A cluster still ``pausing`` is waited for first (it
    cannot be resumed before). Raises :class:`InfraError` for Serverless or
    when there is no cluster."""
    ctx, found = _cluster(settings, clients, progress, delay_s)
    ident, status = found["ClusterIdentifier"], found.get("ClusterStatus")
    if status == "available":
        progress(f"cluster {ident}: already available")
        return status
    if status == "pausing":
        status = _wait_for(ctx, ident, ("paused",))
    if status == "paused":
        aws.call(ctx.client("redshift"), "resume_cluster", ClusterIdentifier=ident)
        progress(f"cluster {ident}: resuming (compute billing starts again)")
    final = _wait_for(ctx, ident, ("available",))
    progress(f"cluster {ident}: available")
    return final


NEEDS_CLUSTER = ("02_schema", "03_etl", "04_analytics")  # notebooks that send SQL; 01 resumes by itself


@contextmanager
def awake(settings: Settings, notebooks: tuple[str, ...] | list[str], clients: aws.Clients | None = None,
          progress: Progress = print, delay_s: float | None = None) -> Iterator[bool]:
    """Around a run of ``notebooks`` on ``redshift``: when one of them sends
    SQL (:data:`NEEDS_CLUSTER`) and 01 is not among them, a paused (or
    pausing) provisioned cluster is resumed, and paused again when the block
    ends, whether the run worked or failed, but only when this resumed it;
    with ``[cluster] resume = false`` it raises :class:`InfraError` at once,
    saying the cluster is paused, so that nothing runs against it. Yields
    whether it resumed the cluster. Nothing happens on ``local``, on
    Serverless (no pause), when the cluster is available, or when there is no
    cluster (02 then says that 01 has not run).

    A paused cluster "cannot be modified or queried", and resuming one takes
    minutes (https://docs.aws.amazon.com/redshift/latest/mgmt/rs-mgmt-pause-resume-cluster.html):
    without this, a scheduled 03 after the evening's pause fails on its first statement."""
    if (settings.is_local or settings.get("cluster", "kind") == "serverless" or "01_infrastructure" in notebooks
            or not any(n in NEEDS_CLUSTER for n in notebooks)):
        yield False
        return
    ctx = Context(settings, clients or aws.Clients(settings), progress, delay_s=delay_s)
    found = clusters.describe_cluster(ctx)
    status = (found or {}).get("ClusterStatus")
    if status not in ("paused", "pausing"):
        yield False
        return
    ident = found["ClusterIdentifier"]
    if not settings.get("cluster", "resume"):
        raise InfraError(f"cluster {ident} is {status}: nothing was run. Resume it (`sparkify-nb resume`), or set "
                         "[cluster] resume = true to let a run resume it and pause it again when done")
    progress(f"cluster {ident} is {status}: resuming it for this run; it is paused again when the run ends")
    resume(settings, ctx.clients, progress, delay_s)
    try:
        yield True
    finally:
        progress(f"cluster {ident}: the run is over, pausing it again as it was")
        pause(settings, ctx.clients, progress, delay_s)
