"""The errors of a staging load and the Redshift load error codes the COPY
emulator gives its rejects (the table of codes is in the package docstring,
:mod:`sparkify_nb.staging`)."""

from __future__ import annotations

from typing import Any

from .. import SparkifyError

# Redshift load error codes (Load error reference, stl_load_errors.err_code)
ERR_RANGE = 1204       # input exceeded the acceptable range / string length exceeds DDL length
ERR_TIMESTAMP = 1206   # timestamp format is not valid
ERR_DIGIT = 1207       # value outside of the expected range 0-9
ERR_FLOAT = 1208       # FLOAT data type format error
ERR_UTF8 = 1220        # invalid or unsupported UTF-8 code points
ERR_OVERFLOW = 1222    # integer value overflow
ERR_TYPE = 1223        # invalid data type (an object or array for a scalar column)
ERR_JSON = 1224        # malformed JSON


class LoadError(SparkifyError):
    """A staging load failed or was aborted (too many rejects); nothing was committed.

    ``report`` holds the :class:`~sparkify_nb.staging.report.LoadReport` so far, when there is one."""

    # report: typed Any so that this module, which every staging module imports, imports none of them
    def __init__(self, message: str, report: Any = None):
        super().__init__(message)
        self.report = report


class RejectedValue(ValueError):
    """A value does not convert to its column's type (``code``: Redshift err_code;
    ``column``: the column's index, -1 until known; ``value``: the JSON value)."""

    def __init__(self, reason: str, code: int = ERR_DIGIT, column: int = -1, value: Any = None):
        super().__init__(reason)
        self.reason, self.code, self.column, self.value = reason, code, column, value


def maxerror_reached(rejected: int, max_errors: int) -> bool:
    """True when ``rejected`` records fail a load run with ``MAXERROR max_errors``.

    As documented: "If the load returns the error_count number of errors or
    greater, the load fails. If the load returns fewer errors, it continues ...
    Set this value to 0 or 1 if you want the load to fail as soon as the first
    error occurs." (https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-load.html#copy-maxerror).
    So the boundary fails: MAXERROR 10 tolerates 9 rejects, 10 abort; 0 and 1
    both abort at the first."""
    return rejected >= max(max_errors, 1)
