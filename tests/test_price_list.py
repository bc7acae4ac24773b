"""``sparkify-nb prices --refresh``: the Price List API (pricing:GetProducts)
beside the table of sparkify_nb/infra/pricing.py. The emulator serves no
Price List, so botocore's Stubber answers with GetProducts responses shaped
like AWS's (PriceList entries are JSON text per product, prices under
terms.OnDemand.*.priceDimensions.*.pricePerUnit.USD), and the requests are
validated against botocore's model of the pricing service."""

import json

import boto3
from botocore.stub import Stubber

from sparkify_nb import cli
from sparkify_nb.infra import price_list, pricing


def product(usd, sku="SKU1", **attributes):
    """One PriceList entry as AWS sends it: JSON text."""
    term, rate = f"{sku}.JRTCKXETXF", f"{sku}.JRTCKXETXF.6YS6EN2CT7"
    return json.dumps({
        "product": {"productFamily": attributes.pop("family", "Compute Instance"), "sku": sku,
                    "attributes": {"regionCode": "us-west-2", "location": "US West (Oregon)", **attributes}},
        "serviceCode": "AmazonRedshift",
        "terms": {"OnDemand": {term: {"sku": sku, "offerTermCode": "JRTCKXETXF", "effectiveDate": "2026-11-01T00:00:00Z",
                                      "termAttributes": {}, "priceDimensions": {rate: {
                                          "rateCode": rate, "unit": "Hrs", "beginRange": "0", "endRange": "Inf",
                                          "description": "on demand", "appliesTo": [],
                                          "pricePerUnit": {"USD": f"{usd:.10f}"}}}}}},
        "version": "20261101000000", "publicationDate": "2026-11-01T00:00:00Z"})


def pricing_client():
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    return client, Stubber(client)


def test_each_row_is_asked_for_with_its_region_and_compared(monkeypatch):
    client, stub = pricing_client()
    answers = {row.key: [product(row.usd)] for row in pricing.PRICES}
    answers["rpu"] = [product(0.36, usagetype="USW2-Redshift:ServerlessUsage")]  # AWS changed it
    answers["managed_storage"] = [product(0.024), product(0.0, sku="FREE")]     # a free tier is left out
    answers["ipv4"] = []                                                        # the query matches nothing
    for row in pricing.PRICES:
        stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": answers[row.key]},
                          price_list.query(row))
    with stub:
        lines = price_list.report(client)
    stub.assert_no_pending_responses()
    by_item = {line[:58].strip(): line for line in lines[2:2 + len(pricing.PRICES)]}
    assert by_item["ra3.large node, on demand"].split() [-4:] == ["0.543", "0.543", "node-hour", "same"]
    assert by_item["Redshift Serverless compute"].endswith("0.375            0.36  RPU-hour       DIFFERS: update "
                                                           "sparkify_nb/infra/pricing.py")
    assert by_item["managed storage and snapshots (RA3, Serverless)"].endswith("GB-month       same")
    assert by_item["public IPv4 address (access = direct)"].endswith("not in the Price List (query matched nothing)")
    assert lines[0].endswith("; Price List API (pricing:GetProducts, us-east-1) read now")


def test_the_node_query_matches_family_instance_type_and_region():
    assert price_list.query(pricing.price("ra3.large")) == {"ServiceCode": "AmazonRedshift", "FormatVersion": "aws_v1",
                                                            "Filters": [
        {"Type": "TERM_MATCH", "Field": "productFamily", "Value": "Compute Instance"},
        {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "ra3.large"},
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-west-2"}]}


def test_a_refused_read_prints_the_table_and_says_why():
    client, stub = pricing_client()
    stub.add_client_error("get_products", service_error_code="AccessDeniedException", http_status_code=400)
    with stub:
        lines = price_list.report(client)
    assert lines[-1] == ("Price List not read (AccessDeniedException): needs AWS credentials allowed "
                         "pricing:GetProducts")
    assert "ra3.large node, on demand" in lines[2] and lines[2].endswith("not read")


def test_every_figure_names_its_aws_page_and_how_sure_it_is():
    for row in pricing.PRICES:
        assert row.source.startswith("https://aws.amazon.com/"), row.key
        assert row.status.startswith(("confirmed", "unconfirmed")), row.key


def test_the_prices_command_without_refresh_prints_the_table_only(capsys):
    assert cli.main(["prices"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "prices for us-west-2, table as read on 2026-12-01 (sparkify_nb/infra/pricing.py)"
    assert len([line for line in out if line.endswith("not read")]) == len(pricing.PRICES)
