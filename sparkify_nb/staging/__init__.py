"""03's load: S3 (or a local folder) -> the staging tables.

``load_staging(settings, conn)`` reloads ``staging_songs`` and
``staging_events`` from the sources the settings name (``[s3] song_data``,
``log_data``, ``log_jsonpath``; ``[etl] max_errors``). On ``redshift`` it runs
one ``COPY ... FORMAT AS JSON`` per table (:mod:`.redshift`) and reads that
load's rejected records (``stl_load_errors``; ``sys_load_error_detail`` on
Serverless); on ``local`` the COPY emulator (:mod:`.emulator`) does the same
job under the contract below.

The modules: :mod:`.sources` (what to read; ``parse_s3_uri``), :mod:`.jsonpaths`
(the mapping), :mod:`.records` (bytes -> records -> rows or rejects),
:mod:`.fastpath` (the same, a block of lines at a time, for the event load),
:mod:`.convert` (value -> CSV field, per column type), :mod:`.emulator` (the
local COPY), :mod:`.compaction` (many small files -> a few gzip parts + manifest), :mod:`.redshift` (the real COPY), :mod:`.report` (what a load
did), :mod:`.load` (``load_staging``), :mod:`.errors`.

The COPY contract
=================

This is the one place that states it; the README, notebook 03 and the other
modules of this package refer here. The emulator gives the ``local`` target
Redshift's ``COPY ... FORMAT AS JSON`` behaviour, so that a load that works
locally works on Redshift and a load that fails on Redshift fails locally:

- **Sources**: every object under ``s3://bucket/prefix`` (key prefix match, as
  Redshift; folder markers skipped) or every file under a local folder (hidden
  files skipped), or one file; plain or ``.gz``. A source ending in
  ``.manifest`` is a manifest (``COPY ... MANIFEST``): the objects its entries
  name; a missing ``mandatory`` entry, or none found at all, fails the load. No objects at all fails the
  load, as on Redshift. Objects are read streaming, a block at a time, by a few
  worker threads, and handed to PostgreSQL through a bounded queue, so memory
  stays flat whatever the size of the input.
- **Records**: newline-delimited JSON objects. Blank lines and CRLF line ends
  are fine; an object may span several lines (a pretty-printed song file). A
  record that is not a JSON object (an array, a number) is rejected; the reason
  of a record that is not JSON names the line of the file and the column
  where parsing stopped (``Invalid JSON: unterminated string at line 1,
  column 31``).
- **Mapping**: a jsonpaths file (positional: the n-th path fills the n-th
  column, so the counts must match; ``$['key']``, ``$.key``, nested
  ``$['a']['b']`` and ``[0]``; no wildcards or filters, as on Redshift) or
  ``'auto'`` (top-level key = column name, case-sensitive). A missing field is
  NULL, an unknown field is ignored.
- **Conversion**: a value that does not convert to its column's type, or is
  longer than its column (VARCHAR lengths are bytes of UTF-8, as on Redshift),
  rejects its record. An empty string in a numeric or timestamp column is
  NULL. Timestamps are epoch milliseconds, UTC (``TIMEFORMAT
  'epochmillisecs'``). Objects and arrays in a VARCHAR column are loaded as
  their JSON text.
- **Trailing blanks** are removed from every VARCHAR value as it is loaded
  (``TRIMBLANKS`` in the Redshift COPY; the emulator does the same, before the
  length check). Redshift ignores trailing blanks when it compares VARCHARs and
  PostgreSQL does not (https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html):
  trimmed at load, ``'Paris '`` and ``'Paris'`` are one location, one match key
  and one group on both targets. Leading blanks and other white space are kept.
  Redshift takes TRIMBLANKS with JSON: the JSON section of
  https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-format.html#copy-json
  lists the options "not supported with JSON" (CSV, DELIMITER, ESCAPE, FILLRECORD,
  FIXEDWIDTH, IGNOREBLANKLINES, NULL AS, READRATIO, REMOVEQUOTES) and no data conversion
  parameter is among them. The other data conversion parameters (TRUNCATECOLUMNS,
  ACCEPTINVCHARS, BLANKSASNULL, EMPTYASNULL) and ``'auto ignorecase'`` are
  :class:`.convert.Conversion`'s; the suite's own COPY uses none of them, the
  rehearsal's COPY runs them.
- **Rejects**: every rejected record is a row of ``load_errors``, shaped like
  ``stl_load_errors`` (load id, start time, table, file, line, column, type,
  column length, raw line, raw value, err_code, reason). ``raw_line`` and
  ``raw_field_value`` are cut at 1024 bytes of UTF-8 (never inside a
  character): they are ``char(1024)`` in ``stl_load_errors``, and Redshift's
  CHAR(n) counts bytes
  (https://docs.aws.amazon.com/redshift/latest/dg/r_STL_LOAD_ERRORS.html).
- **MAXERROR**, as documented: "If the load returns the error_count number of
  errors or greater, the load fails ... Set this value to 0 or 1 if you want
  the load to fail as soon as the first error occurs"
  (https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-load.html#copy-maxerror).
  So the boundary fails: with ``[etl] max_errors = 10``, 9 rejects load and
  the 10th aborts; 0 and 1 both abort at the first (``errors.maxerror_reached``).
  An aborted load is rolled back, staging is as it was, and the rejects seen
  so far stay in ``load_errors``. Otherwise TRUNCATE, the good rows and the
  rejects commit together. Nothing is lost: ``loaded + rejected == records``.
- **Failures of the whole load** (``LoadError`` naming the file; rolled back,
  staging unchanged), where Redshift fails the whole COPY too: a source or
  jsonpaths file that cannot be read, an object that cannot be fetched, a JSON
  object over 4 MB ("The maximum size of a JSON object in Amazon Redshift is
  4 MB, which applies before any shredding or parsing",
  https://docs.aws.amazon.com/redshift/latest/dg/copy_json.html; the emulator
  never holds such a line in memory to find out), and a damaged ``.gz`` stream
  (COPY is one transaction: "If the COPY command fails, the entire transaction
  is canceled and all changes are rolled back",
  https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-multiple-files.html).
- **Into PostgreSQL**: rows go through ``COPY ... FROM STDIN`` (CSV), never
  row-by-row INSERT.

A deliberate difference from Redshift, on input it accepts:

- two JSON objects on one line are one invalid record (Redshift reads both).

Redshift err_codes the emulator gives (``errors.ERR_*``):

====  ==================================================================
1204  string longer than its column; a FLOAT out of range
1206  timestamp not valid (not a number, not finite, outside years 1-9999)
1207  invalid digit in an integer (a fraction, a boolean, text)
1208  FLOAT format error (a boolean, text that is not a number)
1220  invalid UTF-8 (bytes, a lone surrogate, a NUL in a string)
1222  integer overflow (outside 32 or 64 bits)
1223  invalid data type (an object or array for a number column)
1224  malformed JSON (incl. a record that is not an object)
====  ==================================================================

Example::

    >>> from sparkify_nb import config, staging, warehouse   # doctest: +SKIP
    >>> settings = config.load()
    >>> with warehouse.connection(settings) as conn:
    ...     reports = staging.load_staging(settings, conn)
    >>> staging.report_table(reports)    # files, records, loaded, rejected, seconds, status
"""

from .compaction import CompactError, CompactReport, compact, compact_sample
from .convert import RowFunctions, compile_row, compile_rows, converter
from .emulator import load_local
from .errors import LoadError, RejectedValue
from .jsonpaths import parse_jsonpath, read_jsonpaths
from .load import load_staging, record_loaded, selected_days
from .records import Reject, parse_object
from .redshift import copy_statement, load_redshift
from .sample import seed_sample_data
from .report import LoadReport, display_name, rejects_frame, rejects_table, report_frame, report_table
from .sources import SourceObject, list_sources, parse_s3_uri

__all__ = ["CompactError", "CompactReport", "compact", "compact_sample", "LoadError", "LoadReport", "Reject", "RejectedValue", "RowFunctions", "SourceObject", "compile_row",
           "compile_rows", "converter", "copy_statement", "display_name", "list_sources", "load_local",
           "load_redshift", "load_staging", "parse_jsonpath", "parse_object", "parse_s3_uri", "read_jsonpaths",
           "record_loaded", "rejects_frame", "rejects_table", "report_frame", "report_table", "seed_sample_data", "selected_days"]
