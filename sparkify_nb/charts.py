"""Charts a person reads without help: a title that states the question,
labelled axes with units, the answer marked. Each chart is saved as PNG with
its data as CSV into a reports folder.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure


def plays_by_hour(frame: pd.DataFrame, period: str = "") -> Figure:
    """Bar chart of plays per hour of day (UTC) with the peak hour marked."""
    fig, ax = plt.subplots(figsize=(10, 4.5))
    bars = ax.bar(frame["hour"], frame["plays"], color="#8fb3d9", edgecolor="#3d6a99")
    if frame["plays"].sum() > 0:
        peak = int(frame.loc[frame["plays"].idxmax(), "hour"])
        bars[peak].set_color("#d9534f")
        ax.annotate(f"peak {peak:02d}:00", xy=(peak, frame["plays"].max()), xytext=(0, 6),
                    textcoords="offset points", ha="center", fontweight="bold")
    ax.set_title("When do people listen? Plays by hour of day" + (f", {period}" if period else ""))
    ax.set_xlabel("Hour of day (UTC)")
    ax.set_ylabel("Plays (count)")
    ax.set_xticks(range(24))
    ax.set_xticklabels([f"{h:02d}" for h in range(24)])
    ax.margins(y=0.12)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def save(fig: Figure, frame: pd.DataFrame, folder: Path, name: str) -> dict[str, Path]:
    """Write ``<name>.png`` and ``<name>.csv`` into ``folder``; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    png, csv = folder / f"{name}.png", folder / f"{name}.csv"
    fig.savefig(png, dpi=120)
    frame.to_csv(csv, index=False)
    return {"png": png, "csv": csv}
