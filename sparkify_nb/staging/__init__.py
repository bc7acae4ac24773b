"""03's load: S3 (or a local folder) -> the staging tables.

The COPY contract lives in :mod:`sparkify_nb.staging.emulator` for now.
"""

from .emulator import (LoadError, LoadReport, Reject, RejectedValue, SourceObject, compile_row, converter,
                       copy_statement, list_sources, load_local, load_redshift, load_staging, parse_jsonpath,
                       parse_object, read_jsonpaths, rejects_frame, report_frame)

__all__ = ["LoadError", "LoadReport", "Reject", "RejectedValue", "SourceObject", "compile_row", "converter",
           "copy_statement", "list_sources", "load_local", "load_redshift", "load_staging", "parse_jsonpath",
           "parse_object", "read_jsonpaths", "rejects_frame", "report_frame"]
