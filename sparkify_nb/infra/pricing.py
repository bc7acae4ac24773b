"""What the warehouse costs: a small on-demand price table and the arithmetic.

The prices are Amazon Redshift's on-demand list prices for US West (Oregon)
(``us-west-2``, where the public Udacity data lives; US East (N. Virginia) lists
the same), transcribed by hand from :data:`SOURCE_URL` as of :data:`AS_OF`.
They are an estimate to make cost visible, not a bill: taxes, Redshift Managed
Storage (RA3 and Serverless, per GB-month), snapshots beyond the free
allowance, data transfer and Concurrency Scaling come on top, other regions
differ, and AWS changes prices. Check the page before relying on a number.

Example::

    >>> from sparkify_nb.infra import pricing
    >>> pricing.provisioned_hourly("ra3.large", 2)
    1.086
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .. import SparkifyError
from ..config import Settings

SOURCE_URL = "https://aws.amazon.com/redshift/pricing/"
AS_OF = "2025-06"

# On-demand USD per node-hour of a provisioned cluster (billed per second while it exists,
# used or not; a paused cluster bills storage only).
NODE_HOURLY: dict[str, float] = {
    "dc2.large": 0.25,
    "dc2.8xlarge": 4.80,
    "ra3.large": 0.543,
    "ra3.xlplus": 1.086,
    "ra3.4xlarge": 3.26,
    "ra3.16xlarge": 13.04,
}
# Redshift Serverless: USD per RPU-hour, billed per second only while queries run
# (60 s minimum each time the workgroup wakes).
RPU_HOURLY = 0.375


class PricingError(SparkifyError):
    """No price is known for the configured capacity."""


def provisioned_hourly(node_type: str, node_count: int) -> float:
    """USD per hour of a provisioned cluster of ``node_count`` x ``node_type``
    while it exists. Raises :class:`PricingError` for a node type not in the table."""
    try:
        rate = NODE_HOURLY[node_type]
    except KeyError:
        raise PricingError(
            f"no price for node type {node_type!r} ([cluster] node_type); known: {', '.join(NODE_HOURLY)}. "
            f"See {SOURCE_URL}") from None
    return round(rate * node_count, 4)


def serverless_hourly(base_capacity: int) -> float:
    """USD per hour of Redshift Serverless working at ``base_capacity`` RPUs
    (it costs nothing while idle)."""
    return round(RPU_HOURLY * base_capacity, 4)


def estimate(kind: str, node_type: str = "", node_count: int = 1, base_capacity: int = 8) -> dict[str, object]:
    """The hourly estimate for a capacity, with what it is based on.

    Returns ``{"usd_per_hour", "basis", "source", "as_of"}``; ``basis`` says how it
    is billed in words a person can check against the source page."""
    if kind == "serverless":
        usd = serverless_hourly(base_capacity)
        basis = (f"{base_capacity} RPU x ${RPU_HOURLY}/RPU-hour, billed per second only while queries run "
                 "(idle: $0 compute)")
    else:
        usd = provisioned_hourly(node_type, node_count)
        basis = f"{node_count} x {node_type} at ${NODE_HOURLY[node_type]}/node-hour, billed while the cluster exists"
    return {"usd_per_hour": usd, "basis": basis, "source": SOURCE_URL, "as_of": AS_OF}


def for_settings(settings: Settings) -> dict[str, object]:
    """The :func:`estimate` of the configured capacity (``[cluster] kind``,
    ``node_type``, ``node_count``, ``base_capacity``); raises :class:`PricingError`."""
    return estimate(settings.get("cluster", "kind"), settings.get("cluster", "node_type"),
                    settings.get("cluster", "node_count"), settings.get("cluster", "base_capacity"))


def cost_line(settings: Settings) -> str:
    """The hourly cost estimate as one printable line (on ``local``: what the
    same capacity would cost on Redshift; the emulator itself costs nothing)."""
    try:
        line = describe(for_settings(settings))
    except PricingError as exc:
        return f"no cost estimate: {exc}"
    return f"local: $0 (emulator). On redshift, {line}" if settings.is_local else line


def describe(est: dict[str, object]) -> str:
    """One printable line for an :func:`estimate` (storage not included)."""
    return (f"estimated cost: ${est['usd_per_hour']:.3f}/hour ({est['basis']}); on-demand us-west-2 list price "
            f"from {est['source']} as of {est['as_of']}; storage, snapshots and transfer extra")


def lifetime_cost(created: datetime, ended: datetime, usd_per_hour: float) -> tuple[timedelta, float]:
    """How long a cluster lived and what that cost at ``usd_per_hour`` (USD, rounded to cents)."""
    lived = max(ended - created, timedelta(0))
    return lived, round(lived.total_seconds() / 3600 * usd_per_hour, 2)
