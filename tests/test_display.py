"""Tables people read at a glance (sparkify_nb.display): every table 01 and 03
show renders as HTML whose status cells carry the class of their colour, and
as text that nbval and the terminal read; the runner passes a table's text on."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import pytest

from sparkify_nb import display, infra, staging, stream, warehouse
from sparkify_nb.infra import controls, preflight
from sparkify_nb.staging import LoadReport, Reject


class Rows(HTMLParser):
    """Each body row of a rendered table: (row class, status cell class or "", the cells' text)."""

    def __init__(self, markup: str):
        super().__init__()
        self.rows: list[tuple[str, str, list[str]]] = []
        self.styles: list[tuple[str, str]] = []  # (tag, style) of every th and td
        self._in_body = self._in_cell = False
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.table_style = attrs.get("style", "")
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append((attrs.get("class", ""), "", []))
        elif tag in ("td", "th"):
            self.styles.append((tag, attrs.get("style", "")))
            if tag == "td" and self._in_body:
                self._in_cell = True
                self.rows[-1][2].append("")
                if "sparkify-status" in attrs.get("class", ""):
                    row_class, _, cells = self.rows[-1]
                    self.rows[-1] = (row_class, attrs["class"], cells)

    def handle_endtag(self, tag):
        if tag == "td":
            self._in_cell = False

    def handle_data(self, data):
        if self._in_cell:
            self.rows[-1][2][-1] += data


def statuses(table: display.Table) -> list[tuple[str, str, str]]:
    """(row class, status cell class, status text) of every row of ``table``'s HTML."""
    column = list(table.frame.columns).index(table.status)
    return [(row, cell, cells[column]) for row, cell, cells in Rows(table.html()).rows]


def kind(name: str) -> tuple[str, str]:
    return f"sparkify-row sparkify-row-{name}", f"sparkify-status sparkify-status-{name}"


def test_preflight_results_are_coloured_pass_green_fail_red_na_grey():
    frame = pd.DataFrame([("caller", "account 1", "pass", ""), ("region", "mars-1", "fail", "set [general] region"),
                          ("permissions", "not checked", "n/a", "")], columns=preflight.COLUMNS)
    assert statuses(preflight.Preflight(frame).report()) == [
        (*kind("ok"), "pass"), (*kind("fail"), "fail"), (*kind("na"), "n/a")]


def test_security_controls_show_an_accepted_exception_amber(monkeypatch):
    frame = pd.DataFrame([("Redshift.1", "not publicly accessible", "publicly accessible: true; accepted", "exception"),
                          ("Redshift.2", "require_ssl = true", "not checkable", "n/a"),
                          ("Redshift.3", "snapshots >= 7 days", "retention: 1 day", "fail"),
                          ("Redshift.4", "audit logging on", "logging: true", "pass")], columns=controls.COLUMNS)
    monkeypatch.setattr(controls, "table", lambda *args, **kwargs: frame)
    shown = controls.report(None, {})
    assert statuses(shown) == [(*kind("warn"), "exception"), (*kind("na"), "n/a"), (*kind("fail"), "fail"),
                               (*kind("ok"), "pass")]
    with pytest.raises(infra.ControlsError, match=r"^failed security controls: Redshift\.3 \(snapshots >= 7 days\): "
                                                  r"retention: 1 day\. Re-run 01"):
        controls.require(shown)  # shown first, then it stops


def test_01_warnings_are_amber_rows_or_one_sentence_when_there_are_none():
    shown = infra.report_warnings({"warnings": ["cluster c: [cluster] node_count = 4 but the cluster has 2"]})
    assert statuses(shown) == [(*kind("warn"), "warn")]
    none = infra.report_warnings({"warnings": []})
    assert str(none) == "no warnings: the stack matches the settings"
    assert none.html() == '<p class="sparkify-empty">no warnings: the stack matches the settings</p>'


def test_the_load_report_is_ok_or_warn_by_rejects_without_the_seconds_that_differ_per_run():
    reports = [LoadReport("staging_songs", files=3, records=3, loaded=3, seconds=1.234),
               LoadReport("staging_events", files=2, records=10, loaded=8, rejected=2, seconds=0.5)]
    shown = staging.report_table(reports)
    assert statuses(shown) == [(*kind("ok"), "ok"), (*kind("warn"), "warn")]
    assert str(shown) == ("table           files  records  loaded  rejected  status\n"
                          "staging_songs       3        3       3         0  ok\n"
                          "staging_events      2       10       8         2  warn")
    assert "1.23" not in shown.html()


def test_rejected_records_wrap_long_values_inside_their_cell():
    reason = "Invalid JSONPath format: " + "x" * 300
    reports = [LoadReport("staging_events", rejected=1, rejects=[
        Reject("s3://bucket/log_data/2018/11/2018-11-01-events.json", 7, "ts", "int8", "{...}", "not-a-number",
               reason, 1216)])]
    shown = staging.rejects_table(reports)
    parsed = Rows(shown.html())
    [(_, _, cells)] = parsed.rows
    assert cells == ["staging_events", "s3://bucket/log_data/2018/11/2018-11-01-events.json", "7", "ts",
                     "not-a-number", "1216", reason]
    assert "white-space:normal" in parsed.table_style  # long values wrap in their cell, a long token after a separator
    assert "s3:<wbr>/<wbr>/<wbr>bucket/<wbr>log_<wbr>data/<wbr>2018/<wbr>11/<wbr>2018-<wbr>11-<wbr>01-<wbr>events.<wbr>json" in shown.html()
    td = [style for tag, style in parsed.styles if tag == "td"]
    assert all("white-space:nowrap" not in s for s, v in zip(td, cells) if not v.isdigit())
    assert all("white-space:nowrap" in s and "text-align:right" in s for s, v in zip(td, cells) if v.isdigit())
    assert str(staging.rejects_table([])) == "no rejected records"


def test_quality_checks_of_a_real_warehouse_show_pass_warn_and_fail(conn, settings):
    warehouse.run(conn, ["INSERT INTO users (user_id, first_name, last_name, gender, level) VALUES "
                         "(1, 'A', 'B', 'F', 'free'), (1, 'A', 'B', 'F', 'free')"])
    checks = warehouse.quality.run_checks(conn, settings)
    shown = warehouse.views.quality_table(checks)
    found = {cells[0]: (row, cell, cells[1:]) for row, cell, cells in Rows(shown.html()).rows}
    assert found["row_count: users"] == (*kind("ok"), ["2", ">= 1", "pass"])
    assert found["row_count: songs"] == (*kind("warn"), ["0", ">= 1", "warn"])  # empty
    assert found["unique: users.user_id"] == (*kind("fail"), ["1", "= 0", "fail"])  # the duplicate


def test_a_status_outside_the_known_ones_is_plain_and_values_are_escaped():
    shown = display.Table(pd.DataFrame({"name": ["<b>x</b>"], "status": ["pending"]}), "t", status="status")
    assert statuses(shown) == [("sparkify-row sparkify-row-other", "sparkify-status sparkify-status-other",
                                "pending")]
    assert "<b>x</b>" not in shown.html() and "&lt;b&gt;x&lt;/b&gt;" in shown.html()


def test_jupyter_gets_text_and_html_marked_as_a_table():
    shown = display.Table(pd.DataFrame({"check": ["a"], "result": ["pass"]}), "preflight", status="result")
    data, metadata = shown._repr_mimebundle_()
    assert data == {"text/plain": "check  result\na      pass", "text/html": shown.html()}
    assert metadata == {"sparkify_nb": {"table": "preflight"}}


def test_the_runner_passes_on_the_text_of_each_table_a_cell_displayed():
    lines = []
    printed = stream.Lines(lines.append, "01", clock=lambda: 0)
    cell = {"outputs": [
        {"output_type": "stream", "name": "stdout", "text": "already streamed\n"},
        {"output_type": "display_data", "data": {"text/plain": "check  result\na      pass", "text/html": "<table/>"},
         "metadata": {"sparkify_nb": {"table": "preflight"}}},
        {"output_type": "execute_result", "data": {"text/plain": "a DataFrame"}, "metadata": {}}]}
    printed.cell_tables(cell=cell, cell_index=3, execute_reply={})
    assert [line.split("  ", 2)[-1] for line in lines] == ["check  result", "a      pass"]


def test_what_01_recorded_keeps_an_endpoint_whole_and_lists_comma_separated():
    endpoint = "sparkify-dwh.c1a2b3c4d5e6.us-west-2.redshift.amazonaws.com"
    shown = infra.summary_table({"endpoint": endpoint, "port": 5439, "allowed_cidrs": ["203.0.113.7/32", "10.0.0.0/16"],
                                 "kind": "provisioned", "not_a_summary_key": "x"})
    assert str(shown) == ("item           value\n"
                          "kind           provisioned\n"
                          f"endpoint       {endpoint}\n"
                          "port           5439\n"
                          "allowed_cidrs  203.0.113.7/32, 10.0.0.0/16")


def test_counts_get_thousands_separators_numbers_and_named_columns_align_right_and_a_flag_is_not_a_number():
    """A missing count is blank (not "nan"); True/False are text, left-aligned and never "1"; ``right`` aligns a
    text column of codes to the right in both renderings."""
    frame = pd.DataFrame({"name": ["x", "y"], "n": pd.Series([8000, None], dtype=object), "flag": [True, False],
                          "code": ["7", "12"]})
    shown = display.Table(frame, "t", right=("code",), counts=("n", "flag"))
    assert str(shown) == ("name      n  flag   code\n"
                          "x     8,000  True      7\n"
                          "y            False    12")
    shares = display.Table(pd.DataFrame({"share": [42.9, float("nan"), 0.0]}), "t")
    assert str(shares) == "share\n 42.9\n\n  0.0"  # a missing share is blank, the others as they are
    parsed = Rows(shown.html())
    aligned = ["right" if "text-align:right" in style else "left" for _, style in parsed.styles]
    assert aligned == ["left", "right", "left", "right"] * 3  # the header row, then each body row
    assert [cells for _, _, cells in parsed.rows] == [["x", "8,000", "True", "7"], ["y", "", "False", "12"]]
    assert [cls for cls, _, _ in parsed.rows] == ["sparkify-row", "sparkify-row"]  # no status column: no colour
    assert shown.kinds() == ["other", "other"]


def test_a_token_breaks_only_past_24_characters_and_a_value_is_boxed_from_60():
    """The bounds of the wrapping: a token of 24 characters stays whole, separators and all, the 25th goes after a
    <wbr>; a value of 59 characters sits in its cell as it is, one of 60 in a block of bounded width."""
    def cell_html(value):
        markup = display.Table(pd.DataFrame({"v": [value]}), "w").html()
        return markup.split("<td ", 1)[1].split(">", 1)[1].rsplit("</td>", 1)[0]

    assert cell_html("a" * 24) == "a" * 24
    assert cell_html("ab/" + "c" * 21) == "ab/" + "c" * 21  # 24 with a separator: whole too
    assert cell_html("a" * 25) == "a" * 24 + "<wbr>a"
    assert cell_html("ab/" + "c" * 22) == "ab/<wbr>" + "c" * 22  # past 24: may break after its separator
    assert cell_html("b " * 29 + "b") == "b " * 29 + "b"  # 59 characters of short words
    assert cell_html("b " * 30) == '<div style="max-width:40em">' + "b " * 30 + "</div>"


def test_a_status_column_the_rows_lack_is_refused_naming_the_columns():
    with pytest.raises(KeyError, match=r"controls: no status column 'result' among \['control'\]"):
        display.Table(pd.DataFrame({"control": ["a"]}), "controls", status="result")
