"""04: the questions analysts ask (``queries``, one SQL file each in ``sql/``)
and the charts that answer them (``charts``)."""

from ..warehouse import open_connection
from . import charts
from .queries import (AnalyticsParameterError, Filters, by_family, check_top_n, check_tz, daily_plays, filters,
                      free_vs_paid, platforms, plays_by_hour, plays_by_weekday_hour, session_summary, sessions,
                      summary, top_artists, top_locations, top_songs)

__all__ = ["AnalyticsParameterError", "Filters", "by_family", "charts", "check_top_n", "check_tz", "daily_plays",
           "filters", "free_vs_paid", "open_connection", "platforms", "plays_by_hour", "plays_by_weekday_hour",
           "session_summary", "sessions", "summary", "top_artists", "top_locations", "top_songs"]
