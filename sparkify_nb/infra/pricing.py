"""What the warehouse costs: a small on-demand price table and the arithmetic.

The prices are Amazon Redshift's on-demand list prices for US West (Oregon)
(``us-west-2``, where the public Udacity data lives; US East (N. Virginia) lists
the same), re-checked on :data:`AS_OF` against :data:`SOURCE_URL`. That page
renders its price table in the browser, so the numbers were read from a dated
transcription of it (:data:`TRANSCRIPTION_URL`); each line below says how sure
it is. They are an estimate to make cost visible, not a bill: taxes, Redshift
Managed Storage (RA3 and Serverless, per GB-month), snapshots beyond the free
allowance, data transfer and Concurrency Scaling come on top, other regions
differ, and AWS changes prices. Check the page before relying on a number.

``access = direct`` adds public IPv4 addresses, billed by the hour since
2024-02-01 (:data:`IPV4_SOURCE_URL`). dc2 nodes take no new clusters
(:data:`RETIRED_NODE_TYPES`); their price stays here only for the lifetime
cost of a cluster made before.

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
AS_OF = "2026-11-25"
# Third-party transcription of SOURCE_URL (stamped 2026-05, re-harvested 2026-10-07, same figures).
TRANSCRIPTION_URL = "https://github.com/api-evangelist/amazon-redshift (plans/amazon-redshift-plans-pricing.yml)"

# On-demand USD per node-hour of a provisioned cluster (billed per second while it exists,
# used or not; a paused cluster bills storage only).
NODE_HOURLY: dict[str, float] = {
    "ra3.large": 0.543,     # from TRANSCRIPTION_URL
    "ra3.xlplus": 1.086,    # not re-confirmed on 2026-11-25 (no readable source): 2 x ra3.large, as long listed
    "ra3.4xlarge": 3.26,    # not re-confirmed on 2026-11-25
    "ra3.16xlarge": 13.04,  # not re-confirmed on 2026-11-25
    "dc2.large": 0.25,      # retired for new clusters (below); SOURCE_URL's "start at $0.25 per hour"
    "dc2.8xlarge": 4.80,    # retired for new clusters
}
# dc2 node types are refused for new clusters ("Invalid node type: dc2.large. The dc2.large is not
# available for provisioning any more":
# https://github.com/aws-samples/amazon-bedrock-agents-healthcare-lifesciences/issues/122 ;
# AWS CDK moved its default to ra3.large for that reason: https://github.com/aws/aws-cdk/pull/36516).
RETIRED_NODE_TYPES = frozenset({"dc2.large", "dc2.8xlarge"})
# Redshift Serverless: USD per RPU-hour (from TRANSCRIPTION_URL), billed per second only while
# queries run (60 s minimum each time the workgroup wakes), from a base of at least 4 RPUs:
# https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-billing.html ,
# https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-capacity.html
RPU_HOURLY = 0.375
MIN_BASE_RPU = 4
# Every public IPv4 address, in use or idle, from 2024-02-01 (a publicly accessible cluster has one per node).
IPV4_HOURLY = 0.005
IPV4_SOURCE_URL = ("https://aws.amazon.com/blogs/networking-and-content-delivery/"
                   "identify-and-optimize-public-ipv4-address-usage-on-aws/")


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
    (it costs nothing while idle). Raises :class:`PricingError` below the
    4 RPU minimum."""
    if base_capacity < MIN_BASE_RPU:
        raise PricingError(f"[cluster] base_capacity = {base_capacity}: Redshift Serverless starts at "
                           f"{MIN_BASE_RPU} RPUs")
    return round(RPU_HOURLY * base_capacity, 4)


def public_addresses(kind: str, node_count: int = 1) -> int:
    """Public IPv4 addresses a publicly accessible warehouse holds: one per node
    of a provisioned cluster, the leader node's own on a multi-node one (each
    node of ``DescribeClusters``' ``ClusterNodes`` has a ``PublicIPAddress``:
    https://docs.aws.amazon.com/redshift/latest/dg/load-from-host-steps-retrieve-key-and-ips.html).
    For Serverless, one per subnet of the workgroup (3): an assumption, AWS does not say."""
    if kind == "serverless":
        return 3
    return 1 if node_count == 1 else node_count + 1


def estimate(kind: str, node_type: str = "", node_count: int = 1, base_capacity: int = 8,
             public: bool = False) -> dict[str, object]:
    """The hourly estimate for a capacity, with what it is based on; ``public``
    adds the public IPv4 addresses of ``access = direct``.

    Returns ``{"usd_per_hour", "usd_per_day", "basis", "source", "as_of"}``;
    ``basis`` says how it is billed in words a person can check against the
    source page. ``usd_per_day`` is a day left running (Serverless: a day of
    queries running non-stop at base capacity, an upper bound)."""
    if kind == "serverless":
        usd = serverless_hourly(base_capacity)
        basis = (f"{base_capacity} RPU x ${RPU_HOURLY}/RPU-hour, billed per second only while queries run "
                 "(idle: $0 compute)")
    else:
        usd = provisioned_hourly(node_type, node_count)
        basis = f"{node_count} x {node_type} at ${NODE_HOURLY[node_type]}/node-hour, billed while the cluster exists"
    if public:
        addresses = public_addresses(kind, node_count)
        usd = round(usd + addresses * IPV4_HOURLY, 4)
        basis += f", plus {addresses} public IPv4 x ${IPV4_HOURLY}/hour (access = direct)"
    return {"usd_per_hour": usd, "usd_per_day": round(usd * 24, 2), "basis": basis, "source": SOURCE_URL,
            "as_of": AS_OF}


def for_settings(settings: Settings) -> dict[str, object]:
    """The :func:`estimate` of the configured capacity (``[cluster] kind``,
    ``node_type``, ``node_count``, ``base_capacity``, ``access``); raises :class:`PricingError`."""
    return estimate(settings.get("cluster", "kind"), settings.get("cluster", "node_type"),
                    settings.get("cluster", "node_count"), settings.get("cluster", "base_capacity"),
                    public=settings.publicly_accessible)


def cost_line(settings: Settings) -> str:
    """The hourly cost estimate as one printable line (on ``local``: what the
    same capacity would cost on Redshift; the emulator itself costs nothing)."""
    try:
        line = describe(for_settings(settings))
    except PricingError as exc:
        return f"no cost estimate: {exc}"
    return f"local: $0 (emulator). On redshift, {line}" if settings.is_local else rehearsal_marked(settings, line)


NOT_BILLED = "not billed: rehearsal"


def rehearsal_marked(settings: Settings, line: str) -> str:
    """``line`` (a cost as Redshift would bill it), marked ``(not billed: rehearsal)`` on a
    rehearsal, whose cluster lives on the AWS emulator and costs nothing."""
    return f"{line} ({NOT_BILLED})" if settings.rehearsal else line


def describe(est: dict[str, object]) -> str:
    """One printable line for an :func:`estimate` (storage not included)."""
    return (f"estimated cost: ${est['usd_per_hour']:.3f}/hour, ${est['usd_per_day']:.2f}/day left running "
            f"({est['basis']}); on-demand us-west-2 list price from {est['source']} as of {est['as_of']}; storage, "
            "snapshots and transfer extra")


def lifetime_cost(created: datetime, ended: datetime, usd_per_hour: float) -> tuple[timedelta, float]:
    """How long a cluster lived and what that cost at ``usd_per_hour`` (USD, rounded to cents)."""
    lived = max(ended - created, timedelta(0))
    return lived, round(lived.total_seconds() / 3600 * usd_per_hour, 2)
