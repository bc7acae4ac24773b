"""02 and 03: the warehouse. ``connect`` (the connection seam and running SQL),
``schema`` (the tables as data, rendered to DDL), ``transform`` (staging ->
star schema), ``quality`` (the checks) and ``lock`` (one load at a time);
their SQL files sit in ``sql/``."""

from . import lock, quality, schema, transform
from .connect import WarehouseError, connection, dialect, open_connection, query, run, table_counts

__all__ = ["WarehouseError", "connection", "dialect", "lock", "open_connection", "query", "quality", "run",
           "schema", "table_counts", "transform"]
