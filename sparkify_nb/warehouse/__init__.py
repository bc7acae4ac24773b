"""02 and 03: the warehouse. ``connect`` (the connection seam and running SQL),
``schema`` (the tables as data, rendered to DDL), ``transform`` (staging ->
star schema) and ``quality`` (the checks); their SQL files sit in ``sql/``."""

from . import quality, schema, transform
from .connect import WarehouseError, connection, dialect, open_connection, query, run, table_counts

__all__ = ["WarehouseError", "connection", "dialect", "open_connection", "query", "quality", "run", "schema",
           "table_counts", "transform"]
