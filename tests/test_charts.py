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


def test_count_axes_read_as_the_answers_do_with_thousands_separators():
    frame = pd.DataFrame({"hour": range(24), "plays": [60_866 - 1000 * (h % 7) for h in range(24)]})
    fig = charts.plays_by_hour(frame, PERIOD)
    fig.canvas.draw()
    assert ticks(fig.axes[0], "y") == ["0", "8,000", "16,000", "24,000", "32,000", "40,000", "48,000", "56,000",
                                       "64,000", "72,000"]


def test_heatmap_frames_and_labels_its_busiest_cell():
    matrix = pd.DataFrame([[0] * 24 for _ in range(7)], index=pd.Index(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
                          columns=range(24))
    matrix.loc["Thu", 21] = 1234
    ax = charts.weekday_hour_heatmap(matrix, PERIOD).axes[0]
    [frame] = [p for p in ax.patches if p.get_edgecolor() == matplotlib.colors.to_rgba(charts.PEAK)]
    assert (frame.get_x(), frame.get_y(), frame.get_width(), frame.get_height()) == (20.5, 2.5, 1, 1)
    assert [(t.get_text(), t.get_position()) for t in ax.texts] == [("1,234", (21, 3))]


def test_daily_chart_labels_each_tick_with_a_day_of_the_data():
    """November's plays are not labelled "2018-Dec" (a concise formatter's offset did that)."""
    frame = pd.DataFrame({"day": [date(2018, 11, d) for d in range(1, 31)], "plays": [5] * 30, "users": [1] * 30})
    fig = charts.daily_plays(frame, PERIOD)
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = ticks(ax)
    assert labels and all(label.startswith("2018-11-") for label in labels)
    assert ax.xaxis.get_offset_text().get_text() == ""


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


def test_a_long_label_wraps_onto_a_second_line_and_keeps_its_end():
    frame = pd.DataFrame({"rank": [1], "title": ["Highway Of The Rain"], "artist": ["Lily Reeves & The Trains"],
                          "plays": [211]})
    ax = charts.top_songs(frame).axes[0]
    assert ticks(ax, "y") == ["Highway Of The Rain — Lily Reeves & The\nTrains"]


def test_a_label_longer_than_two_lines_is_shortened_at_a_word():
    frame = pd.DataFrame({"location": [" ".join(["word"] * 30)], "plays": [1]})
    ax = charts.top_locations(frame).axes[0]
    assert ticks(ax, "y") == [" ".join(["word"] * 8) + "\n" + " ".join(["word"] * 8) + "…"]


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
    assert left.get_legend().get_texts()[0].get_text() == "median 2 plays"
    assert right.get_legend().get_texts()[0].get_text() == "median 9.5 minutes"
    assert right.get_xlabel() == "Session length (minutes, first to last play)"


def test_save_writes_the_png_and_the_data_as_csv(tmp_path):
    frame = hours()
    saved = charts.save(charts.plays_by_hour(frame), frame, tmp_path / "reports", "peak_play_hours")
    assert saved == {"png": tmp_path / "reports" / "peak_play_hours.png",
                     "csv": tmp_path / "reports" / "peak_play_hours.csv"}
    assert saved["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pd.read_csv(saved["csv"]).equals(frame)


def _every_chart():
    """One figure of each chart function, from small frames, with what marks its answer."""
    weekdays = pd.Index(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], name="weekday")
    matrix = pd.DataFrame([[d + h for h in range(24)] for d in range(7)], index=weekdays, columns=range(24))
    songs = pd.DataFrame({"rank": [1, 2], "title": ["Alpha", "Beta"], "artist": ["One", "Two"], "plays": [3, 2]})
    return {
        "plays_by_hour": charts.plays_by_hour(hours(), PERIOD),
        "own_question": charts.plays_by_hour(pd.DataFrame({"hour": [1, 5], "plays": [2, 7]}), "all dates",
                                             question="At which hours do the paying listeners of B play? ({tz})"),
        "weekday_hour_heatmap": charts.weekday_hour_heatmap(matrix, PERIOD),
        "daily_plays": charts.daily_plays(pd.DataFrame({"day": [date(2018, 11, 1), date(2018, 11, 2)],
                                                        "plays": [3, 9], "users": [1, 2]}), PERIOD),
        "top_songs": charts.top_songs(songs, PERIOD),
        "top_artists": charts.top_artists(pd.DataFrame({"artist": ["One", "Two"], "plays": [4, 1]}), PERIOD),
        "top_locations": charts.top_locations(pd.DataFrame({"location": ["A", "B"], "plays": [4, 1]}), PERIOD),
        "free_vs_paid": charts.free_vs_paid(pd.DataFrame({"level": ["free", "paid"], "plays": [5, 6], "users": [3, 3],
                                                          "play_share_pct": [45.5, 54.5],
                                                          "users_switched_in": [1, 1]}), PERIOD),
        "platforms": charts.platforms(pd.DataFrame({"os": ["Windows"], "plays": [3]}),
                                      pd.DataFrame({"browser": ["Chrome"], "plays": [3]}), PERIOD),
        "sessions": charts.sessions(pd.DataFrame({"plays": [3, 2, 1], "length_minutes": [15.0, 30.0, 0.0]}), PERIOD),
    }


@pytest.mark.parametrize("name", [
    "plays_by_hour", "own_question", "weekday_hour_heatmap", "daily_plays", "top_songs", "top_artists",
    "top_locations", "free_vs_paid", "platforms", "sessions"])
def test_every_chart_has_a_title_axis_labels_with_units_and_its_answer_marked(name):
    fig = _every_chart()[name]
    axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert (fig.get_suptitle() or axes[0].get_title()).strip(), "no title"
    for ax in axes:
        for label in (ax.get_xlabel(), ax.get_ylabel()):
            if label and label not in ("Weekday", "Level at the time of the play", ""):
                assert "(" in label and ")" in label, f"{name}: axis label without its unit: {label!r}"
        assert ax.get_xlabel() or ax.get_ylabel() or not ax.has_data(), f"{name}: unlabelled axes"
    marked = [t.get_text() for ax in axes for t in ax.texts] + [
        t.get_text() for ax in axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert any(marked), f"{name}: the answer is not marked"
