"""Charts a person reads without help: a title that states the question and
the period, axis labels with units, readable ticks, the answer marked. Each
function takes the DataFrame of the matching :mod:`sparkify_nb.analytics`
question and returns a matplotlib :class:`~matplotlib.figure.Figure`;
:func:`save` writes it as PNG with its data as CSV into a reports folder.

Example::

    >>> from sparkify_nb import analytics
    >>> fig = analytics.charts.plays_by_hour(by_hour, period="2018-11-01 to 2018-11-15 (UTC), paid plays")  # doctest: +SKIP
    >>> analytics.charts.save(fig, by_hour, analytics.reports_dir(settings), "peak_play_hours")  # doctest: +SKIP
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

BAR = "#8fb3d9"
EDGE = "#3d6a99"
PEAK = "#d9534f"


def _counts(axis) -> None:
    """An axis of counts: whole-number ticks with thousands separators (``480,000``, as the answers print them)."""
    axis.set_major_locator(MaxNLocator(integer=True))
    axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def _title(question: str, period: str) -> str:
    return question + (f"\n{period}" if period else "")


def _no_data(ax, frame: pd.DataFrame) -> None:
    if frame.empty or (("plays" in frame) and frame["plays"].sum() == 0):
        ax.text(0.5, 0.5, "no plays in this period", transform=ax.transAxes, ha="center", va="center",
                color="grey")


QUESTION_BY_HOUR = "When do people listen? Plays by hour of day ({tz})"


def plays_by_hour(frame: pd.DataFrame, period: str = "", tz: str = "UTC", question: str = QUESTION_BY_HOUR) -> Figure:
    """Bar chart of plays per hour of day (``hour``, ``plays``; hours without
    plays may be missing), 24 ticks, with the peak hour in red and labelled;
    ``tz`` names the clock on the x axis; ``question`` is the title's first
    line (``{tz}`` in it is filled in)."""
    fig, ax = plt.subplots(figsize=(10, 4.5))
    bars = ax.bar(frame["hour"], frame["plays"], color=BAR, edgecolor=EDGE)
    if frame["plays"].sum() > 0:
        row = int(frame["plays"].to_numpy().argmax())
        peak = int(frame["hour"].iloc[row])
        bars[row].set_color(PEAK)
        ax.annotate(f"peak {peak:02d}:00", xy=(peak, frame["plays"].max()), xytext=(0, 6),
                    textcoords="offset points", ha="center", fontweight="bold")
    _no_data(ax, frame)
    ax.set_title(_title(question.format(tz=tz), period))
    ax.set_xlabel(f"Hour of day ({tz}, hour starting)")
    ax.set_ylabel("Plays (count)")
    ax.set_xticks(range(24))
    ax.set_xticklabels([f"{h:02d}" for h in range(24)])
    _counts(ax.yaxis)
    ax.margins(y=0.12)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def weekday_hour_heatmap(matrix: pd.DataFrame, period: str = "", tz: str = "UTC") -> Figure:
    """Heatmap of the weekday x hour matrix of plays, with a colour bar (plays)
    and the busiest cell (the earliest on a tie) framed in red and labelled
    with its plays."""
    from matplotlib.patches import Rectangle

    fig, ax = plt.subplots(figsize=(11, 4))
    values = matrix.to_numpy()
    image = ax.imshow(values, aspect="auto", cmap="Blues", origin="upper")
    if values.size and values.sum() > 0:
        row, column = divmod(int(values.argmax()), values.shape[1])
        ax.add_patch(Rectangle((column - 0.5, row - 0.5), 1, 1, fill=False, edgecolor=PEAK, linewidth=2.5))
        ax.text(column, row, f"{int(values[row, column]):,}", ha="center", va="center", color="white",
                fontweight="bold", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no plays in this period", transform=ax.transAxes, ha="center", va="center", color="grey")
    colorbar = fig.colorbar(image, ax=ax)
    colorbar.set_label("Plays (count)")
    colorbar.ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_title(_title(f"Which hours of which days are busiest? Plays by weekday and hour ({tz})", period))
    ax.set_xlabel(f"Hour of day ({tz}, hour starting)")
    ax.set_ylabel("Weekday")
    ax.set_xticks(range(matrix.shape[1]))
    ax.set_xticklabels([f"{int(h):02d}" for h in matrix.columns])
    ax.set_yticks(range(matrix.shape[0]))
    ax.set_yticklabels(list(matrix.index))
    fig.tight_layout()
    return fig


def daily_plays(frame: pd.DataFrame, period: str = "") -> Figure:
    """Line chart of plays per UTC day (``day``, ``plays``), the busiest day marked."""
    fig, ax = plt.subplots(figsize=(10, 4))
    days = pd.to_datetime(frame["day"])
    ax.plot(days, frame["plays"], marker="o", color=EDGE)
    if len(frame) and frame["plays"].sum() > 0:
        row = int(frame["plays"].to_numpy().argmax())
        ax.plot(days.iloc[row], frame["plays"].iloc[row], marker="o", color=PEAK, markersize=9)
        ax.annotate(f"busiest {days.iloc[row]:%Y-%m-%d}", xy=(days.iloc[row], frame["plays"].iloc[row]),
                    xytext=(0, 8), textcoords="offset points", ha="center", fontweight="bold")
    _no_data(ax, frame)
    # Whole days as ticks, each labelled with its full date, and no tick outside the data: a concise
    # formatter's offset label named the month after the last tick ("2018-Dec" under November's plays).
    locator = mdates.AutoDateLocator(minticks=3, maxticks=10, interval_multiples=False)
    locator.intervald[mdates.DAILY] = [1, 2, 3, 5, 7, 14]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    if len(frame):
        ax.set_xlim(days.iloc[0] - pd.Timedelta(hours=12), days.iloc[-1] + pd.Timedelta(hours=12))
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")
    _counts(ax.yaxis)
    # Room above the highest point for its label, below the title.
    ax.set_ylim(0, max(1, int(frame["plays"].max()) if len(frame) else 0) * 1.2)
    ax.set_title(_title("Is listening growing? Plays per day", period))
    ax.set_xlabel("Day (UTC)")
    ax.set_ylabel("Plays (count per day)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def ranking(frame: pd.DataFrame, label: str, question: str, period: str = "", value: str = "plays",
            xlabel: str = "Plays (count)") -> Figure:
    """Horizontal bars, one per row of ``frame`` (first row on top), labelled
    with ``frame[label]`` and the value at the end of each bar."""
    fig, ax = plt.subplots(figsize=(10, max(2.5, 0.45 * len(frame) + 1.5)))
    # Long labels wrap onto a second line rather than lose their end (a song's artist).
    labels = [textwrap.fill(str(x), 42, max_lines=2, placeholder="…") for x in frame[label]]
    fig.set_figheight(max(2.5, (0.6 if any("\n" in x for x in labels) else 0.45) * len(frame) + 1.5))
    bars = ax.barh(range(len(frame)), frame[value], color=BAR, edgecolor=EDGE)
    ax.bar_label(bars, labels=[f"{int(v):,}" for v in frame[value]], padding=3)
    ax.set_yticks(range(len(frame)))
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    _counts(ax.xaxis)
    ax.margins(x=0.1)
    _no_data(ax, frame)
    ax.set_title(_title(question, period))
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def top_songs(frame: pd.DataFrame, period: str = "") -> Figure:
    """Ranking of :func:`~sparkify_nb.analytics.top_songs`: ``title — artist``."""
    labelled = frame.assign(label=[f"{t} — {a}" if isinstance(a, str) else str(t)
                                   for t, a in zip(frame["title"], frame["artist"])])
    return ranking(labelled, "label", "Which songs are played most? (among plays matched to the catalogue)",
                   period)


def top_artists(frame: pd.DataFrame, period: str = "") -> Figure:
    """Ranking of :func:`~sparkify_nb.analytics.top_artists`."""
    return ranking(frame, "artist", "Whose music is played most? (among plays matched to the catalogue)", period)


def top_locations(frame: pd.DataFrame, period: str = "") -> Figure:
    """Ranking of :func:`~sparkify_nb.analytics.top_locations`."""
    return ranking(frame, "location", "Where do people listen? Plays by user location", period)


def free_vs_paid(frame: pd.DataFrame, period: str = "") -> Figure:
    """Two bar panels per level: plays (with the share in percent) and users."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    colors = ["#9e9e9e", "#f0ad4e"]
    bars = left.bar(frame["level"], frame["plays"], color=colors)
    left.bar_label(bars, labels=[f"{int(p):,} ({s:.1f}%)" for p, s in zip(frame["plays"], frame["play_share_pct"])],
                   padding=3)
    left.set_title("Plays")
    left.set_xlabel("Level at the time of the play")
    left.set_ylabel("Plays (count)")
    bars = right.bar(frame["level"], frame["users"], color=colors)
    right.bar_label(bars, labels=[f"{int(u):,}" for u in frame["users"]], padding=3)
    switched = frame.set_index("level")["users_switched_in"]
    right.set_title(f"Users (upgraded: {int(switched.get('paid', 0))}, downgraded: {int(switched.get('free', 0))})")
    right.set_xlabel("Level at the time of the play")
    right.set_ylabel("Users (count)")
    for ax in (left, right):
        _counts(ax.yaxis)
        ax.margins(y=0.15)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(_title("Free vs paid: who listens on which level?", period))
    fig.tight_layout()
    return fig


def platforms(os_frame: pd.DataFrame, browser_frame: pd.DataFrame, period: str = "") -> Figure:
    """Two horizontal bar panels: plays per operating system and per browser family."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for ax, frame, column, name in ((left, os_frame, "os", "Operating system"),
                                    (right, browser_frame, "browser", "Browser family")):
        bars = ax.barh(range(len(frame)), frame["plays"], color=BAR, edgecolor=EDGE)
        ax.bar_label(bars, labels=[f"{int(v):,}" for v in frame["plays"]], padding=3)
        ax.set_yticks(range(len(frame)))
        ax.set_yticklabels(list(frame[column]))
        ax.invert_yaxis()
        ax.set_title(name)
        ax.set_xlabel("Plays (count)")
        _counts(ax.xaxis)
        ax.margins(x=0.15)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(_title("On which platforms do people listen? (from the user agent)", period))
    fig.tight_layout()
    return fig


def sessions(frame: pd.DataFrame, period: str = "") -> Figure:
    """Two histograms: plays per session and session length (minutes), medians marked."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for ax, column, xlabel, unit in ((left, "plays", "Plays per session (count)", "plays"),
                                     (right, "length_minutes", "Session length (minutes, first to last play)",
                                      "minutes")):
        values = frame[column]
        if len(values):
            # Whole plays get one bar each (up to 60 of them; beyond, 60 even bins); minutes get 20 even bins.
            whole = column == "plays" and values.max() <= 60
            bins = [b - 0.5 for b in range(1, int(values.max()) + 2)] if whole else (60 if column == "plays" else 20)
            ax.hist(values, bins=bins, color=BAR, edgecolor=EDGE)
            median = round(float(values.median()), 1)
            ax.axvline(median, color=PEAK, linestyle="--", label=f"median {median:g} {unit}")
            ax.legend()
        _no_data(ax, frame)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Sessions (count)")
        _counts(ax.yaxis)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(_title("How long do people listen in one go? Sessions", period))
    fig.tight_layout()
    return fig


def save(fig: Figure, frame: pd.DataFrame, folder: Path, name: str, index: bool = False) -> dict[str, Path]:
    """Write ``<name>.png`` (the figure) and ``<name>.csv`` (its data) into
    ``folder`` (created if missing); return both paths. In a notebook the chart
    shown is that PNG file itself (:func:`show_saved`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    png, csv = folder / f"{name}.png", folder / f"{name}.csv"
    fig.savefig(png, dpi=120)
    frame.to_csv(csv, index=index)
    show_saved(fig, png)
    return {"png": png, "csv": csv}


def show_saved(fig: Figure, png: Path) -> bool:
    """In a notebook's kernel, show the saved ``png`` in place of ``fig`` (closed,
    so it is not shown twice): the chart a reader sees is the file in
    ``reports/``, byte for byte, and so is the one the HTML report embeds
    (:mod:`.report`). Elsewhere (a script, the tests) show nothing; return
    whether it was shown."""
    from IPython import get_ipython

    if getattr(get_ipython(), "kernel", None) is None:
        return False
    from IPython.display import Image, display

    titles = [fig.get_suptitle()] + [ax.get_title() for ax in fig.axes]
    alt = " / ".join(t.replace("\n", ", ") for t in titles if t) or Path(png).stem
    plt.close(fig)
    display(Image(data=Path(png).read_bytes(), format="png", alt=alt))
    return True
