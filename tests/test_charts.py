"""Chart functions draw what a reader needs: one bar per row, labelled ticks,
a title with the question and the period, the answer marked; and save
writes the PNG and the CSV."""

from __future__ import annotations

from datetime import date

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sparkify_nb.analytics import charts  # noqa: E402

PERIOD = "2018-11-01 to 2018-11-15 (UTC), paid plays"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def hours(peak=17):
    return pd.DataFrame({"hour": range(24), "plays": [10 + (40 if h == peak else h % 3) for h in range(24)]})


def ticks(ax, axis="x"):
    return [t.get_text() for t in (ax.get_xticklabels() if axis == "x" else ax.get_yticklabels())]


def test_hour_chart_has_24_labelled_bars_and_marks_the_peak():
    fig = charts.plays_by_hour(hours(peak=17), PERIOD, tz="America/New_York")
    ax = fig.axes[0]
    assert len(ax.patches) == 24
    assert ticks(ax) == [f"{h:02d}" for h in range(24)]
    assert [t.get_text() for t in ax.texts] == ["peak 17:00"]
    red = [i for i, bar in enumerate(ax.patches) if bar.get_facecolor() == matplotlib.colors.to_rgba(charts.PEAK)]
    assert red == [17]
    assert PERIOD in ax.get_title() and "(America/New_York)" in ax.get_title()
    assert ax.get_xlabel() == "Hour of day (America/New_York, hour starting)"
    assert ax.get_ylabel() == "Plays (count)"


def test_hour_chart_of_an_empty_period_says_so_instead_of_a_peak():
    fig = charts.plays_by_hour(pd.DataFrame({"hour": range(24), "plays": [0] * 24}), PERIOD)
    assert [t.get_text() for t in fig.axes[0].texts] == ["no plays in this period"]


def test_heatmap_has_a_colour_bar_and_weekday_hour_ticks():
    matrix = pd.DataFrame([[d * 24 + h for h in range(24)] for d in range(7)],
                          index=pd.Index(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], name="weekday"),
                          columns=pd.Index(range(24), name="hour"))
    fig = charts.weekday_hour_heatmap(matrix, PERIOD)
    ax, bar = fig.axes
    assert bar.get_ylabel() == "Plays (count)"
    assert ticks(ax, "y") == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert ticks(ax) == [f"{h:02d}" for h in range(24)]
    assert ax.images[0].get_array().shape == (7, 24)
    assert PERIOD in ax.get_title()


def test_daily_chart_draws_one_point_per_day_and_marks_the_busiest():
    frame = pd.DataFrame({"day": [date(2018, 11, d) for d in range(1, 6)], "plays": [3, 9, 4, 0, 2],
                          "users": [1, 2, 1, 0, 1]})
    ax = charts.daily_plays(frame, PERIOD).axes[0]
    assert len(ax.lines[0].get_xdata()) == 5
    assert [t.get_text() for t in ax.texts] == ["busiest 2018-11-02"]
    assert ax.get_xlabel() == "Day (UTC)"


def test_top_songs_chart_has_one_bar_per_song_labelled_title_and_artist_top_first():
    frame = pd.DataFrame({"rank": [1, 2, 3], "title": ["Alpha", "Beta", "Gamma"],
                          "artist": ["Artist One", "Artist Two", None], "plays": [30, 20, 10]})
    ax = charts.top_songs(frame, PERIOD).axes[0]
    assert len(ax.patches) == 3
    assert ticks(ax, "y") == ["Alpha — Artist One", "Beta — Artist Two", "Gamma"]
    assert ax.yaxis_inverted()
    assert [t.get_text() for t in ax.texts] == ["30", "20", "10"]
    assert "matched to the catalogue" in ax.get_title()


def test_long_labels_are_shortened_to_stay_readable():
    frame = pd.DataFrame({"location": ["x" * 80], "plays": [1]})
    ax = charts.top_locations(frame).axes[0]
    assert ticks(ax, "y") == ["x" * 44 + "…"]


def test_free_vs_paid_chart_shows_plays_with_share_and_users():
    frame = pd.DataFrame({"level": ["free", "paid"], "plays": [5, 6], "users": [3, 3],
                          "play_share_pct": [45.5, 54.5], "users_switched_in": [1, 1]})
    fig = charts.free_vs_paid(frame, PERIOD)
    plays_ax, users_ax = fig.axes
    assert [t.get_text() for t in plays_ax.texts] == ["5 (45.5%)", "6 (54.5%)"]
    assert [t.get_text() for t in users_ax.texts] == ["3", "3"]
    assert users_ax.get_title() == "Users (upgraded: 1, downgraded: 1)"
    assert PERIOD in fig._suptitle.get_text()


def test_platform_chart_has_a_bar_per_os_and_per_browser():
    os_frame = pd.DataFrame({"os": ["Windows", "macOS"], "plays": [3, 2]})
    browser_frame = pd.DataFrame({"browser": ["Chrome", "Safari", "Firefox"], "plays": [5, 4, 2]})
    left, right = charts.platforms(os_frame, browser_frame, PERIOD).axes
    assert (len(left.patches), len(right.patches)) == (2, 3)
    assert ticks(left, "y") == ["Windows", "macOS"]
    assert ticks(right, "y") == ["Chrome", "Safari", "Firefox"]


def test_session_chart_marks_the_medians():
    frame = pd.DataFrame({"plays": [3, 2, 1, 1, 2, 2], "length_minutes": [15.0, 30.0, 0.0, 0.0, 35.0, 4.0]})
    left, right = charts.sessions(frame, PERIOD).axes
    assert len(left.patches) == 3  # one bar for each of 1, 2 and 3 plays
    assert left.get_legend().get_texts()[0].get_text() == "median 2"
    assert right.get_legend().get_texts()[0].get_text() == "median 9.5"
    assert right.get_xlabel() == "Session length (minutes, first to last play)"


def test_save_writes_the_png_and_the_data_as_csv(tmp_path):
    frame = hours()
    saved = charts.save(charts.plays_by_hour(frame), frame, tmp_path / "reports", "peak_play_hours")
    assert saved == {"png": tmp_path / "reports" / "peak_play_hours.png",
                     "csv": tmp_path / "reports" / "peak_play_hours.csv"}
    assert saved["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pd.read_csv(saved["csv"]).equals(frame)
