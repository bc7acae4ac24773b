"""The common parameters of the analysts' questions: the period, the level,
the time zone and the length of a ranking, validated once into :class:`Filters`.

04 gets them from the ``[analytics]`` settings (:func:`filters_from`), which
``config.load`` has validated with the rest; :func:`filters` validates them
for callers without settings (tests, a Python shell) and raises
:class:`AnalyticsParameterError` naming the parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import SparkifyError, paths
from ..config import Settings

LEVELS = ("free", "paid", "all")


class AnalyticsParameterError(SparkifyError, ValueError):
    """A question was asked with a wrong parameter; ``parameter`` names it."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


@dataclass(frozen=True)
class Filters:
    """Validated common parameters. ``start``/``end`` are the UTC bounds the
    SQL uses: ``start_time >= start AND start_time < end`` (``None`` = open)."""

    start_date: date | None
    end_date: date | None
    level: str
    tz: str
    top_n: int = 10

    @property
    def start(self) -> datetime | None:
        return datetime.combine(self.start_date, datetime.min.time()) if self.start_date else None

    @property
    def end(self) -> datetime | None:
        return datetime.combine(self.end_date + timedelta(days=1), datetime.min.time()) if self.end_date else None

    @property
    def period(self) -> dict[str, date | None]:
        """``start_date`` and ``end_date``, to pass on to a question: ``plays_by_hour(conn, **f.period)``."""
        return {"start_date": self.start_date, "end_date": self.end_date}

    def all_levels(self) -> "Filters":
        """The same filters for every level (for the question that compares levels)."""
        return replace(self, level="all")

    def params(self, **extra: Any) -> dict[str, Any]:
        """The bound parameters of the SQL files."""
        return {"start": self.start, "end": self.end, "level": self.level, **extra}

    def label(self) -> str:
        """The period and level in words, for chart titles: ``2018-11-01 to 2018-11-15 (UTC), paid plays``."""
        if self.start_date and self.end_date:
            period = f"{self.start_date:%Y-%m-%d} to {self.end_date:%Y-%m-%d} (UTC)"
        elif self.start_date:
            period = f"from {self.start_date:%Y-%m-%d} (UTC)"
        elif self.end_date:
            period = f"up to {self.end_date:%Y-%m-%d} (UTC)"
        else:
            period = "all dates"
        return f"{period}, {'all' if self.level == 'all' else self.level} plays"


def _parse_date(name: str, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise AnalyticsParameterError(name, f"expected a date like 2018-11-01 (UTC day), got {value!r}")


def check_tz(tz: Any) -> ZoneInfo:
    """The :class:`ZoneInfo` for ``tz``; raises :class:`AnalyticsParameterError` if unknown."""
    if not isinstance(tz, str) or not tz.strip():
        raise AnalyticsParameterError("tz", f"expected an IANA time zone like 'UTC' or 'America/New_York', got {tz!r}")
    try:
        return ZoneInfo(tz.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise AnalyticsParameterError(
            "tz", f"unknown time zone {tz!r}; use an IANA name like 'UTC' or 'America/New_York'") from None


def check_top_n(top_n: Any) -> int:
    """``top_n`` as an int >= 1; raises :class:`AnalyticsParameterError` otherwise."""
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1:
        raise AnalyticsParameterError("top_n", f"expected a positive whole number, got {top_n!r}")
    return top_n


def filters(start_date: Any = None, end_date: Any = None, level: str = "all", tz: str = "UTC",
            top_n: int = 10) -> Filters:
    """Validate the common parameters at once (for callers without settings,
    such as tests; 04 uses :func:`filters_from`).

    Raises :class:`AnalyticsParameterError` naming ``start_date`` or ``end_date``
    (not a date; ``end_date`` before ``start_date``), ``level`` (not one of
    free, paid, all), ``tz`` (not a known IANA time zone) or ``top_n``."""
    start, end = _parse_date("start_date", start_date), _parse_date("end_date", end_date)
    if start and end and end < start:
        raise AnalyticsParameterError("end_date", f"{end} is before start_date {start}")
    if level not in LEVELS:
        raise AnalyticsParameterError("level", f"expected one of {', '.join(LEVELS)}, got {level!r}")
    check_tz(tz)
    return Filters(start, end, level, tz.strip(), check_top_n(top_n))


def filters_from(settings: Settings) -> Filters:
    """The filters of the ``[analytics]`` settings, which ``config.load``
    has already validated (04's parameters arrive there as overrides)."""
    get = settings.get
    return Filters(get("analytics", "start_date"), get("analytics", "end_date"), get("analytics", "level"),
                   get("analytics", "tz"), get("analytics", "top_n"))


def reports_dir(settings: Settings) -> Path:
    """Where 04 writes charts and CSVs: ``[analytics] reports_dir`` if set,
    else ``SPARKIFY_REPORTS_DIR``, else ``.sparkify/reports`` (created if missing)."""
    return paths.reports_dir(settings.get("analytics", "reports_dir") or None)
