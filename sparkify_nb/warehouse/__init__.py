"""02 and 03: the warehouse. ``connect`` (the connection seam and running SQL),
``data_api`` (the same surface over the Redshift Data API), ``schema`` (the
tables as data, rendered to DDL), ``transform`` (staging -> star schema),
``quality`` (the checks), ``lock`` (one load at a time) and ``analysts`` (the
read-only group 04 runs in); their SQL files sit in ``sql/``."""

from . import analysts, data_api, lock, quality, schema, transform
from .connect import (WarehouseError, access, connection, dialect, open_connection, probe, query, run,
                      table_counts)

__all__ = ["WarehouseError", "access", "analysts", "connection", "data_api", "dialect", "lock", "open_connection", "probe",
           "query", "quality", "run", "schema", "table_counts", "transform"]
