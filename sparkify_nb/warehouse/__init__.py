"""02 and 03: the warehouse. ``connect`` (the connection seam and running SQL),
``data_api`` (the same surface over the Redshift Data API), ``schema`` (the
tables as data, rendered to DDL; ``diagram`` draws them), ``transform`` (staging -> star schema),
``quality`` (the checks), ``lock`` (one load at a time) and ``analysts`` (the
read-only group 04 runs in); ``views`` shows counts, merge and checks as
tables; their SQL files sit in ``sql/``."""

from . import analysts, data_api, diagram, lock, quality, schema, transform, views
from .connect import (WarehouseError, access, connection, dialect, open_connection, probe, query, run,
                      table_counts)

__all__ = ["WarehouseError", "access", "analysts", "connection", "data_api", "diagram", "dialect", "lock", "open_connection", "probe",
           "query", "quality", "run", "schema", "table_counts", "transform", "views"]
