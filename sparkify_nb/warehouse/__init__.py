"""02 and 03: the warehouse. ``connect`` (the connection seam and running SQL),
``data_api`` (the same surface over the Redshift Data API), ``schema`` (the
tables as data, rendered to DDL), ``transform`` (staging -> star schema) and
``quality`` (the checks); their SQL files sit in ``sql/``."""

from . import data_api, quality, schema, transform
from .connect import (WarehouseError, access, connection, dialect, open_connection, probe, query, run,
                      table_counts)

__all__ = ["WarehouseError", "access", "connection", "data_api", "dialect", "open_connection", "probe", "query",
           "quality", "run", "schema", "table_counts", "transform"]
