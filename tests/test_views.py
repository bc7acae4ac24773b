"""What 02 and 03 show of the warehouse reads at a glance: counts with
separators, the merge as one table, and the quality checks with pass / warn /
fail (a warning and a failure drawn as a reader sees them)."""

from __future__ import annotations

import pandas as pd

from sparkify_nb import display
from sparkify_nb.warehouse import views


def checks(*rows):
    """A report shaped as quality.run_checks returns it."""
    return pd.DataFrame([dict(zip(("check", "severity", "value", "limit", "status"), r)) for r in rows],
                        dtype=object).set_index("check")


REPORT = checks(
    ("row_count: songplays", "warn", 5905, ">= 1", "ok"),
    ("unique: users.user_id", "error", 0, "= 0", "ok"),
    ("plays_not_merged: staging_events -> songplays", "error", 0, "= 0", "ok"),
    ("share_plays_without_user: staging_events", "error", 0.0, "<= 0.01", "ok"),
    ("share_plays_matched: songplays", "warn", 0.7025, ">= 0", "ok"),
    ("rejected: staging_songs", "warn", 0, "= 0", "ok"),
    ("rejected: staging_events", "warn", 0, "= 0", "ok"),
)


def test_the_quality_table_puts_the_loads_checks_first_and_formats_counts_and_shares():
    assert str(views.quality_table(REPORT)) == (
        "check                                          value  limit     result\n"
        "plays_not_merged: staging_events -> songplays      0  = 0       pass\n"
        "share_plays_without_user: staging_events        0.0%  <= 1.0%   pass\n"
        "rejected: staging_songs                            0  = 0       pass\n"
        "rejected: staging_events                           0  = 0       pass\n"
        "row_count: songplays                           5,905  >= 1      pass\n"
        "unique: users.user_id                              0  = 0       pass\n"
        "share_plays_matched: songplays                 70.2%  none set  info")


def test_a_warning_and_a_failure_are_drawn_amber_and_red_with_what_they_mean():
    report = checks(("row_count: songs", "warn", 0, ">= 1", "warn"),
                    ("unique: users.user_id", "error", 3, "= 0", "error"),
                    ("share_plays_matched: songplays", "warn", 0.02, ">= 0.05", "warn"),
                    ("not_null: users.user_id", "error", 0, "= 0", "ok"))
    shown = views.quality_table(report)
    assert str(shown) == ("check                           value  limit    result\n"
                          "row_count: songs                    0  >= 1     warn\n"
                          "unique: users.user_id               3  = 0      fail\n"
                          "share_plays_matched: songplays   2.0%  >= 5.0%  warn\n"
                          "not_null: users.user_id             0  = 0      pass")
    assert shown.kinds() == ["warn", "fail", "warn", "ok"]
    html = shown.html()
    warn_text, warn_background = display.COLOURS["warn"]
    fail_text, fail_background = display.COLOURS["fail"]
    assert html.count('class="sparkify-row sparkify-row-warn"') == 2
    assert html.count('class="sparkify-row sparkify-row-fail"') == 1
    assert f"color:{warn_text};background-color:{warn_background}\">warn</span>" in html
    assert f"color:{fail_text};background-color:{fail_background}\">fail</span>" in html


def test_row_counts_and_the_merge_show_counts_with_separators_and_no_timings():
    counts = pd.DataFrame({"table_name": ["staging_events", "songplays"], "row_count": [8000, 0]})
    assert str(views.counts_table(counts)) == ("table            rows\n"
                                               "staging_events  8,000\n"
                                               "songplays           0")
    merged = pd.DataFrame({"before": [0, 5905], "after": [300, 6000], "added": [300, 95], "seconds": [0.02, 0.21]},
                          index=pd.Index(["songs", "songplays"], name="table"))
    assert str(views.merge_table(merged)) == ("table      before  after  added\n"
                                              "songs           0    300    300\n"
                                              "songplays   5,905  6,000     95")
