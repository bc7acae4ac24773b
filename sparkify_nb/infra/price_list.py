"""``sparkify-nb prices [--refresh]``: the price table of :mod:`.pricing`, and
with ``--refresh`` AWS's current figure for each row from the Price List API
beside it, so a stale figure shows.

The Price List API is ``pricing:GetProducts``, served in us-east-1 (the
endpoint list: https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-price-list-query-api.html).
Each answer's ``PriceList`` holds JSON text per product: ``product.attributes``
and ``terms.OnDemand.<offer>.priceDimensions.<rate>.pricePerUnit.USD``
(https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html).
Each row of :data:`.pricing.PRICES` carries its query; ``regionCode`` is added
for :data:`.pricing.REGION`. Which attribute values select a row (product
family, ``usagetype`` part) is our reading of the offer files, not an AWS
statement: a query that matches nothing says so ("not in the Price List")
rather than guessing, and a row whose products disagree shows every price.

Reading needs AWS credentials with ``pricing:GetProducts`` (no resource:
``*``); without them the table is printed alone, saying why. Never used on the
local emulator (moto serves no Price List).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .. import aws
from . import pricing

PRICE_LIST_REGION = "us-east-1"


def query(row: pricing.Price) -> dict[str, Any]:
    """The GetProducts arguments for one row of the table (region added)."""
    filters = [dict(f) for f in row.filters] + [{"Type": "TERM_MATCH", "Field": "regionCode",
                                                  "Value": pricing.REGION}]
    return {"ServiceCode": row.service, "Filters": filters, "FormatVersion": "aws_v1"}


def on_demand_usd(product: dict[str, Any]) -> list[float]:
    """The non-zero on-demand USD prices of one Price List product (a free
    first tier, price 0, is left out)."""
    out = []
    for offer in product.get("terms", {}).get("OnDemand", {}).values():
        for dimension in offer.get("priceDimensions", {}).values():
            usd = float(dimension.get("pricePerUnit", {}).get("USD", "0") or 0)
            if usd > 0:
                out.append(usd)
    return out


def fetch(client: Any, row: pricing.Price) -> list[float]:
    """Every distinct on-demand USD price the Price List holds for ``row``, sorted."""
    prices: set[float] = set()
    for page in client.get_paginator("get_products").paginate(**query(row)):
        for text in page.get("PriceList", []):
            prices.update(on_demand_usd(json.loads(text)))
    return sorted(prices)


def compare(row: pricing.Price, found: list[float] | None) -> str:
    """How the table's figure stands against the Price List's."""
    if found is None:
        return "not read"
    if not found:
        return "not in the Price List (query matched nothing)"
    if any(abs(usd - row.usd) < 1e-6 for usd in found):
        return "same" if len(found) == 1 else "same (one of several)"
    return "DIFFERS: update sparkify_nb/infra/pricing.py"


def _usd(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def report(client: Any | None) -> list[str]:
    """The table as lines, and with ``client`` (a boto3 ``pricing`` client in
    us-east-1) the Price List's figure beside each row. A refused or failed
    read is one line saying why; the table is printed anyway."""
    found: dict[str, list[float] | None] = {row.key: None for row in pricing.PRICES}
    why = ""
    if client is not None:
        try:
            for row in pricing.PRICES:
                found[row.key] = fetch(client, row)
        except (ClientError, BotoCoreError) as exc:
            code = aws.error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
            why = f"Price List not read ({code}): needs AWS credentials allowed pricing:GetProducts"
    lines = [f"prices for {pricing.REGION}, table as read on {pricing.AS_OF} (sparkify_nb/infra/pricing.py)"]
    if client is not None and not why:
        lines[0] += f"; Price List API (pricing:GetProducts, {PRICE_LIST_REGION}) read now"
    lines.append(f"{'item':58} {'table USD':>10} {'Price List USD':>15}  unit           result")
    for row in pricing.PRICES:
        listed = found[row.key]
        shown = ", ".join(_usd(v) for v in listed) if listed else "-"
        lines.append(f"{row.item[:58]:58} {_usd(row.usd):>10} {shown[:15]:>15}  {row.unit:14} {compare(row, listed)}")
    lines += [f"  {row.item}: {row.source} ({row.status})" for row in pricing.PRICES]
    if why:
        lines.append(why)
    return lines
