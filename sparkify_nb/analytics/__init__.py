"""04: the questions analysts ask (``queries``, one SQL file each in ``sql/``),
their common parameters (``parameters``), the charts that show them
(``charts``) and their answers in words (``answers``)."""

from ..infra.billing import billing_line  # 04 ends with what still bills: the reader's next step may be 99
from ..warehouse.diagram import show as star_diagram  # 04 opens with the star its questions run on, as 02 draws it
from . import answers, charts
from .answers import (daily_answer, matched_answer, free_vs_paid_answer, peak_hour_answer, platforms_answer, sessions_answer,
                      summary, summary_table, top_artist_answer, top_location_answer, top_song_answer, weekday_hour_answer)
from .parameters import (AnalyticsParameterError, Filters, check_top_n, check_tz, filters, filters_from,
                         reports_dir)
from .reader import analyst, connection, open_connection
from .queries import (by_family, daily_plays, free_vs_paid, platforms, plays_by_hour, plays_by_weekday_hour,
                      session_summary, sessions, top_artists, top_locations, top_songs)

__all__ = ["AnalyticsParameterError", "Filters", "analyst", "answers", "billing_line", "by_family", "charts", "check_top_n", "check_tz",
           "connection", "daily_answer", "daily_plays", "filters", "filters_from", "free_vs_paid",
           "free_vs_paid_answer", "matched_answer", "open_connection", "peak_hour_answer", "platforms", "platforms_answer",
           "plays_by_hour", "plays_by_weekday_hour", "reports_dir", "session_summary", "sessions",
           "sessions_answer", "star_diagram", "summary", "summary_table", "top_artist_answer", "top_artists", "top_location_answer",
           "top_locations", "top_song_answer", "top_songs", "weekday_hour_answer"]
