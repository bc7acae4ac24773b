"""What the warehouse costs: a small on-demand price table and the arithmetic.

Every figure is a row of :data:`PRICES`: what it prices, the USD amount, the
unit, the AWS page it belongs to, the day we looked, what that look showed,
and the Price List API query (``pricing:GetProducts``) that returns AWS's
current figure for it. Region: US West (Oregon), ``us-west-2``, where the
public Udacity data lives.

How sure each figure is, said plainly (the ``status`` of each row): AWS's
pricing pages render their price tables in the browser, so from this machine
on :data:`AS_OF` only the text around them could be read. The one figure
that text states ("start small at $0.25 per hour", dc2.large) and the public
IPv4 price (an AWS blog post) are confirmed there; every other figure is
**unconfirmed** here and carried from an earlier reading, and
``sparkify-nb prices --refresh`` (:mod:`.price_list`) asks the Price List API
for each and prints both side by side. Treat an estimate as a way to make
cost visible, not as a bill: taxes, data transfer and Concurrency Scaling
are not in it, other regions differ, and AWS changes prices.

``access = direct`` adds public IPv4 addresses, billed by the hour since
2024-02-01. dc2 nodes take no new clusters (:data:`RETIRED_NODE_TYPES`); their
price stays for the lifetime cost of a cluster made before.

Example::

    >>> from sparkify_nb.infra import pricing
    >>> pricing.provisioned_hourly("ra3.large", 2)
    1.086
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .. import SparkifyError
from ..config import Settings

AS_OF = "2026-12-01"  # the day the pages below were read
REGION = "us-west-2"
SOURCE_URL = "https://aws.amazon.com/redshift/pricing/"
UNCONFIRMED = (f"unconfirmed: the page's price table is rendered in the browser and could not be read here on "
               f"{AS_OF}; compare with `sparkify-nb prices --refresh`")


def _match(field_name: str, value: str, kind: str = "TERM_MATCH") -> dict[str, str]:
    return {"Type": kind, "Field": field_name, "Value": value}


@dataclass(frozen=True)
class Price:
    """One figure: ``usd`` per ``unit`` for ``item``, from ``source`` as read
    on :data:`AS_OF` (``status`` says what the reading showed); ``service``
    and ``filters`` are its Price List API query (``pricing:GetProducts``,
    region filter added)."""

    key: str
    item: str
    usd: float
    unit: str
    source: str
    status: str
    service: str
    filters: tuple[dict[str, str], ...] = field(default_factory=tuple)


def _node(node_type: str, usd: float, status: str = UNCONFIRMED) -> Price:
    return Price(node_type, f"{node_type} node, on demand", usd, "node-hour", SOURCE_URL, status, "AmazonRedshift",
                 (_match("productFamily", "Compute Instance"), _match("instanceType", node_type)))


PRICES: tuple[Price, ...] = (
    _node("ra3.large", 0.543),
    _node("ra3.xlplus", 1.086),
    _node("ra3.4xlarge", 3.26),
    _node("ra3.16xlarge", 13.04),
    _node("dc2.large", 0.25, f"confirmed on {AS_OF}: the page says \"start small at $0.25 per hour\" (the dc2.large "
                             "price, as it has long been)"),
    _node("dc2.8xlarge", 4.80),
    Price("rpu", "Redshift Serverless compute", 0.375, "RPU-hour", SOURCE_URL, UNCONFIRMED, "AmazonRedshift",
          (_match("usagetype", "ServerlessUsage", "CONTAINS"),)),
    Price("managed_storage", "managed storage and snapshots (RA3, Serverless)", 0.024, "GB-month",
          SOURCE_URL, UNCONFIRMED, "AmazonRedshift", (_match("productFamily", "Redshift Managed Storage"),)),
    Price("log_storage", "CloudWatch Logs storage (the audit logs)", 0.03, "GB-month",
          "https://aws.amazon.com/cloudwatch/pricing/", UNCONFIRMED, "AmazonCloudWatch",
          (_match("usagetype", "TimedStorage-ByteHrs", "CONTAINS"),)),
    Price("secret", "Secrets Manager secret (the managed admin password)", 0.40, "secret-month",
          "https://aws.amazon.com/secrets-manager/pricing/", UNCONFIRMED, "AWSSecretsManager",
          (_match("usagetype", "AWSSecretsManager-Secrets", "CONTAINS"),)),
    Price("ipv4", "public IPv4 address (access = direct)", 0.005, "address-hour",
          "https://aws.amazon.com/blogs/networking-and-content-delivery/identify-and-optimize-public-ipv4-address-"
          "usage-on-aws/", "confirmed: AWS's blog post states $0.005 per IP per hour from 2024-02-01", "AmazonVPC",
          (_match("usagetype", "PublicIPv4:InUseAddress", "CONTAINS"),)),
)
_BY_KEY = {p.key: p for p in PRICES}

# On-demand USD per node-hour of a provisioned cluster (billed per second while it exists, used or not;
# a paused cluster bills storage only).
NODE_HOURLY: dict[str, float] = {p.key: p.usd for p in PRICES if p.unit == "node-hour"}
# dc2 node types are refused for new clusters ("Invalid node type: dc2.large. The dc2.large is not
# available for provisioning any more":
# https://github.com/aws-samples/amazon-bedrock-agents-healthcare-lifesciences/issues/122 ;
# AWS CDK moved its default to ra3.large for that reason: https://github.com/aws/aws-cdk/pull/36516).
RETIRED_NODE_TYPES = frozenset({"dc2.large", "dc2.8xlarge"})
# Redshift Serverless: USD per RPU-hour, billed per second only while queries run (60 s minimum each time
# the workgroup wakes), from a base of at least 4 RPUs:
# https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-billing.html ,
# https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-capacity.html
RPU_HOURLY = _BY_KEY["rpu"].usd
MIN_BASE_RPU = 4
# Every public IPv4 address, in use or idle, from 2024-02-01 (a publicly accessible cluster has one per node).
IPV4_HOURLY = _BY_KEY["ipv4"].usd
IPV4_SOURCE_URL = _BY_KEY["ipv4"].source
# Storage that outlives the warehouse or bills beside it (USD per GB-month / per month).
SNAPSHOT_GB_MONTH = _BY_KEY["managed_storage"].usd
LOG_GB_MONTH = _BY_KEY["log_storage"].usd
SECRET_MONTH = _BY_KEY["secret"].usd


def price(key: str) -> Price:
    """The row of :data:`PRICES` called ``key`` (``"ra3.large"``, ``"rpu"``, ...); KeyError for another."""
    return _BY_KEY[key]


def table() -> list[dict[str, Any]]:
    """:data:`PRICES` as rows to print: item, USD, unit, source, status."""
    return [{"item": p.item, "usd": p.usd, "unit": p.unit, "source": p.source, "status": p.status} for p in PRICES]


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
             public: bool = False, max_capacity: int | None = None) -> dict[str, object]:
    """The hourly estimate for a capacity, with what it is based on; ``public``
    adds the public IPv4 addresses of ``access = direct``.

    Returns ``{"usd_per_hour", "usd_per_day", "basis", "source", "as_of"}``;
    ``basis`` says how it is billed in words a person can check against the
    source page. ``usd_per_day`` is a day left running. Serverless: the hour
    and the day are at ``max_capacity`` (default ``base_capacity``), the most
    the workgroup scales to, so a day of queries running non-stop costs at
    most that (compute only)."""
    if kind == "serverless":
        most = max_capacity or base_capacity
        usd = serverless_hourly(most)
        basis = (f"at most {most} RPU x ${RPU_HOURLY}/RPU-hour ([cluster] max_capacity; base {base_capacity} RPU: "
                 f"${serverless_hourly(base_capacity):.2f}/hour), billed per second only while queries run "
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
    ``node_type``, ``node_count``, ``base_capacity``, ``max_capacity``,
    ``access``); raises :class:`PricingError`."""
    base = settings.get("cluster", "base_capacity")
    est = estimate(settings.get("cluster", "kind"), settings.get("cluster", "node_type"),
                   settings.get("cluster", "node_count"), base, public=settings.publicly_accessible,
                   max_capacity=settings.get("cluster", "max_capacity") or base)
    est["log_retention_days"] = settings.get("cluster", "log_retention_days")
    return est


def cost_line(settings: Settings) -> str:
    """The hourly cost estimate as one printable line (on ``local``: what the
    same capacity would cost on Redshift; the emulator itself costs nothing)."""
    try:
        line = describe(for_settings(settings))
    except PricingError as exc:
        return f"no cost estimate: {exc}"
    return f"local: $0 (emulator). On redshift, {line}" if settings.is_local else rehearsal_marked(settings, line)


def cost_text(settings: Settings, width: int = 100) -> str:
    """:func:`cost_line` to read in a notebook: one line per part (the
    estimate, its source, what bills monthly, what comes on top), each
    wrapped at ``width`` characters between words, never inside one (a URL
    stays whole), continuation lines indented."""
    import textwrap

    return ";\n".join(textwrap.fill(part, width, subsequent_indent="    ", break_long_words=False,
                                     break_on_hyphens=False) for part in cost_line(settings).split("; "))


NOT_BILLED = "not billed: rehearsal"


def rehearsal_marked(settings: Settings, line: str) -> str:
    """``line`` (a cost as Redshift would bill it), marked ``(not billed: rehearsal)`` on a
    rehearsal, whose cluster lives on the AWS emulator and costs nothing."""
    return f"{line} ({NOT_BILLED})" if settings.rehearsal else line


def describe(est: dict[str, object]) -> str:
    """One printable line for an :func:`estimate`: the compute, then what
    bills monthly beside it (the audit logs, kept ``log_retention_days``, and
    the managed admin password's Secrets Manager entry ("the admin credential AWS manages": printed lines avoid
    words that read like a credential leak), which lives as long as the warehouse:
    https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-secrets-manager-integration.html)."""
    days = est.get("log_retention_days")
    kept = f", kept {days} days" if days else ""
    return (f"estimated cost: ${est['usd_per_hour']:.3f}/hour, ${est['usd_per_day']:.2f}/day left running "
            f"({est['basis']}); on-demand us-west-2 list price from {est['source']} as of {est['as_of']}; also "
            f"monthly: audit logs ${LOG_GB_MONTH}/GB-month{kept}, the admin credential AWS manages "
            f"${SECRET_MONTH:.2f}/month while the warehouse exists; storage, snapshots and transfer extra")


def lifetime_cost(created: datetime, ended: datetime, usd_per_hour: float) -> tuple[timedelta, float]:
    """How long a cluster lived and what that cost at ``usd_per_hour`` (USD, rounded to cents)."""
    lived = max(ended - created, timedelta(0))
    return lived, round(lived.total_seconds() / 3600 * usd_per_hour, 2)
