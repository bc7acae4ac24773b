"""The transform and its two anchors, on the same staged rows (issue 21), as
measurements of ``benchmarks.measure`` (each run in a child process by ``benchmarks.run``):

- ``transform``: ours, ``sparkify_nb.warehouse.transform.run`` into empty star tables.
- ``transform_limit``: **the transform limit**. PostgreSQL producing exactly the same rows of the
  five star tables with the plainest SQL: one ``INSERT ... SELECT`` per table
  (``benchmarks/sql/transform_limit/``) into empty tables with the same indexes, in the schema
  ``bench_limit``, with the same session settings and in one transaction, but none of the machinery
  that makes ours idempotent and incremental (temporary tables, delete-then-insert, ``NOT EXISTS``
  against what is merged already, numbering of repeated keys). Each file keeps our per-row
  expressions; a key's first row in our order is taken with PostgreSQL's ``DISTINCT ON``.
- ``duckdb_transform``: what a user might pick instead. DuckDB (in a file, all cores) running our
  transform's statements as they are (``transform.statements``; they run unchanged) in one
  transaction, over the same staged rows read from the rendered CSV files of the COPY limit
  (``duckdb_stage``, untimed). Same DDL without PostgreSQL's indexes (DuckDB's own guidance is to
  create none for bulk work) and with a sequence for the identity column.
- ``transform_check``: the three outputs compared row for row (every column but the generated
  ``songplay_id``; as multisets, so row order and ``songplay_id`` values may differ).
- ``transform_explain``: ``EXPLAIN (ANALYZE, BUFFERS)`` of every statement of ours and of the limit,
  into a text file; run in a transaction that is rolled back (the timed outputs stay as they are).

Each timed step also reports the PostgreSQL backend's CPU seconds (``/proc/<pid>/stat``; the local
stack's server runs on this machine) and its peak memory (``VmHWM`` and private ``RssAnon`` of
``/proc/<pid>/status``, the latter sampled every 0.1 s): on a shared machine CPU seconds move less
than wall seconds, and the transform's memory is the server's, not the client's.
"""

from __future__ import annotations

import collections
import os
import re
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from sparkify_nb import config, warehouse
from sparkify_nb.warehouse import connect, schema, transform

MEASURES: dict[str, Callable[[dict], dict]] = {}
LIMIT_SQL = Path(__file__).resolve().parent / "sql" / "transform_limit"
LIMIT_SCHEMA = "bench_limit"
QUIET = lambda _: None  # noqa: E731


def measure(fn: Callable[[dict], dict]) -> Callable[[dict], dict]:
    MEASURES[fn.__name__.rstrip("_")] = fn
    return fn


def _settings() -> Any:
    return config.load(overrides={"general.target": "local"})


def limit_statements(table: str) -> list[str]:
    """The statements of ``benchmarks/sql/transform_limit/<table>.sql``."""
    return connect.split_sql(connect.sql_text(LIMIT_SQL, table))


def _star_ddl(prefix: str = "") -> list[str]:
    tables = schema.STAR_TABLES
    return ([f'DROP TABLE IF EXISTS {prefix}"{t.name}"' for t in tables]
            + [s for t in tables for s in schema.create_table(t, "postgres")])


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` of this machine has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")   # utime + stime


class Backend:
    """The PostgreSQL server process of ``conn``: CPU seconds and peak memory, read from /proc."""

    def __init__(self, conn: Any):
        with conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            self.pid = cur.fetchone()[0]
        conn.rollback()
        self.peak_anon_kb, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def cpu_seconds(self) -> float:
        return process_cpu(self.pid)

    def _status_kb(self, key: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return 0

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak_anon_kb = max(self.peak_anon_kb, self._status_kb("RssAnon"))

    def __enter__(self) -> "Backend":
        self.cpu0 = self.cpu_seconds()
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_anon_kb = max(self.peak_anon_kb, self._status_kb("RssAnon"))
        self.cpu = self.cpu_seconds() - self.cpu0
        self.hwm_kb = self._status_kb("VmHWM")

    def facts(self) -> dict:
        return {"backend_cpu_s": round(self.cpu, 2), "backend_peak_mb": round(self.hwm_kb / 1024),
                "backend_private_mb": round(self.peak_anon_kb / 1024)}


@measure
def analyze_staging(spec: dict) -> dict:
    """Untimed preparation: planner statistics of the staging tables, so every run below plans with
    the same ones (autovacuum would otherwise analyze them at a moment of its own during the runs)."""
    with warehouse.connection(_settings()) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            for table in schema.STAGING_TABLES:
                cur.execute(f'ANALYZE "{table.name}"')
    return {"rows": 0, "seconds": 0.0}


@measure
def transform_(spec: dict) -> dict:
    """Ours: ``transform.run`` into empty star tables (the public schema)."""
    with warehouse.connection(_settings()) as conn:
        warehouse.run(conn, _star_ddl())
        with Backend(conn) as backend:
            t0 = time.monotonic()
            merged = transform.run(conn, progress=QUIET)
            seconds = time.monotonic() - t0
    return {"rows": int(merged.loc["songplays", "after"]), "seconds": seconds, **backend.facts(),
            "tables": {t: round(s, 2) for t, s in merged["seconds"].items()}}


def _limit_schema(conn: Any) -> None:
    with conn.cursor() as cur:
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {LIMIT_SCHEMA}")
        cur.execute(f"SET search_path = {LIMIT_SCHEMA}, public")   # star tables here, staging from public
    conn.commit()
    warehouse.run(conn, _star_ddl(f"{LIMIT_SCHEMA}."))


@measure
def transform_limit(spec: dict) -> dict:
    """The transform limit: one plain INSERT ... SELECT per star table, one transaction."""
    with warehouse.connection(_settings()) as conn:
        _limit_schema(conn)
        tables = {}
        with Backend(conn) as backend, conn.cursor() as cur:
            t0 = time.monotonic()
            for sql in transform.session_statements(conn):
                cur.execute(sql)
            for table in transform.ORDER:
                t1 = time.monotonic()
                for sql in limit_statements(table):
                    cur.execute(sql)
                tables[table] = round(time.monotonic() - t1, 2)
            conn.commit()
            seconds = time.monotonic() - t0
            cur.execute(f"SELECT COUNT(*) FROM {LIMIT_SCHEMA}.songplays")
            rows = cur.fetchone()[0]
    return {"rows": rows, "seconds": seconds, **backend.facts(), "tables": tables}


def _duckdb_ddl(table: schema.Table) -> list[str]:
    """``table``'s PostgreSQL DDL for DuckDB: no UNLOGGED, no index, a sequence for the identity."""
    out = []
    for sql in schema.create_table(table, "postgres"):
        if sql.startswith("CREATE INDEX"):
            continue
        sql = sql.replace("CREATE UNLOGGED TABLE", "CREATE TABLE")
        if "GENERATED BY DEFAULT AS IDENTITY" in sql:
            out += [f"DROP SEQUENCE IF EXISTS {table.name}_id", f"CREATE SEQUENCE {table.name}_id"]
            sql = sql.replace("GENERATED BY DEFAULT AS IDENTITY", f"DEFAULT nextval('{table.name}_id')")
        out.append(sql)
    return out


def _duckdb(path: str, read_only: bool = False) -> Any:
    import duckdb

    return duckdb.connect(path, read_only=read_only)


@measure
def duckdb_stage(spec: dict) -> dict:
    """Untimed preparation: DuckDB's staging tables from the rendered CSV files (the rows the loader
    sends PostgreSQL, byte for byte; ``""`` is an empty string, an empty field NULL, as in COPY CSV)."""
    con = _duckdb(spec["duckdb"])
    t0 = time.monotonic()
    for table, name in ((schema.STAGING_EVENTS, "events"), (schema.STAGING_SONGS, "songs")):
        con.execute(f'DROP TABLE IF EXISTS "{table.name}"')
        for sql in _duckdb_ddl(table):
            con.execute(sql)
        columns = ", ".join(f"'{c.name}': '{c.type}'" for c in table.columns)
        con.execute(f"""INSERT INTO "{table.name}" SELECT * FROM read_csv('{spec["csv"][name]}', header = false,
                        columns = {{{columns}}}, quote = '"', escape = '"', allow_quoted_nulls = false)""")
    rows = con.execute("SELECT COUNT(*) FROM staging_events").fetchone()[0]
    con.close()
    return {"rows": rows, "seconds": time.monotonic() - t0}


@measure
def duckdb_transform(spec: dict) -> dict:
    """Our transform's statements, unchanged, on DuckDB, in one transaction."""
    con = _duckdb(spec["duckdb"])
    for table in schema.STAR_TABLES:
        con.execute(f'DROP TABLE IF EXISTS "{table.name}"')
    for table in schema.STAR_TABLES:
        for sql in _duckdb_ddl(table):
            con.execute(sql)
    tables = {}
    t0 = time.monotonic()
    con.execute("BEGIN TRANSACTION")
    for table in transform.ORDER:
        t1 = time.monotonic()
        for sql in transform.statements(table):
            con.execute(sql)
        tables[table] = round(time.monotonic() - t1, 2)
    con.execute("COMMIT")
    seconds = time.monotonic() - t0
    rows = con.execute("SELECT COUNT(*) FROM songplays").fetchone()[0]
    con.close()
    return {"rows": rows, "seconds": seconds, "tables": tables,
            "note": f"DuckDB {__import__('duckdb').__version__}, our transform SQL unchanged, {os.cpu_count()} threads"}


# --- the outputs, row for row ----------------------------------------------------------------

def _columns(table: schema.Table) -> str:
    return ", ".join(f'"{c.name}"' for c in table.columns if not c.identity)


def _postgres_rows(conn: Any, prefix: str, table: schema.Table) -> Iterator[tuple]:
    with conn.cursor(name=f"check_{prefix.strip('.') or 'public'}_{table.name}") as cur:  # server-side: streamed
        cur.itersize = 50_000
        cur.execute(f'SELECT {_columns(table)} FROM {prefix}"{table.name}"')
        yield from cur


def _duckdb_rows(con: Any, table: schema.Table) -> Iterator[tuple]:
    result = con.execute(f'SELECT {_columns(table)} FROM "{table.name}"')
    while batch := result.fetchmany(50_000):
        yield from batch


def _multiset(rows: Iterator[tuple]) -> collections.Counter:
    """Each row's hash and how often it occurs. Python's hash of a tuple of str, int, float and
    datetime is the same for equal rows within one process, which is all this needs."""
    return collections.Counter(hash(tuple(row)) for row in rows)


@measure
def transform_check(spec: dict) -> dict:
    """Ours, the limit and DuckDB: the same rows in every star table? (``same`` and a per-table note)"""
    con = _duckdb(spec["duckdb"], read_only=True)
    notes, same = [], True
    with warehouse.connection(_settings()) as conn:
        for table in schema.STAR_TABLES:
            ours = _multiset(_postgres_rows(conn, "", table))
            for name, theirs in (("limit", _multiset(_postgres_rows(conn, f"{LIMIT_SCHEMA}.", table))),
                                 ("duckdb", _multiset(_duckdb_rows(con, table)))):
                if theirs != ours:
                    same = False
                    notes.append(f"{table.name}: {name} differs ({sum((ours - theirs).values()):,} rows only in "
                                 f"ours, {sum((theirs - ours).values()):,} only in {name})")
            notes.append(f"{table.name} {sum(ours.values()):,}")
        conn.rollback()
    return {"rows": 0, "seconds": 0.0, "same": same, "note": "; ".join(notes)}


# --- the plans ---------------------------------------------------------------------------------

_EXPLAINABLE = re.compile(r"(?:\s*--[^\n]*\n)*\s*(\(|SELECT|INSERT|DELETE|UPDATE|CREATE\s+TEMP)", re.IGNORECASE)


def _explain_all(cur: Any, conn: Any, label: str, statements: list[tuple[str, str]], out: list[str]) -> None:
    for table, sql in statements:
        for text in [sql, *transform.after_statement(conn, sql)]:
            t0 = time.monotonic()
            if _EXPLAINABLE.match(text):
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + text)
                plan = "\n".join(row[0] for row in cur.fetchall())
            else:
                cur.execute(text)
                plan = "(not explainable: run as it is)"
            head = re.sub(r"(?m)^\s*--.*\n", "", text).strip().splitlines()[0]
            out.append(f"=== {label} {table}: {head}  [{time.monotonic() - t0:.2f} s]\n{plan}\n")


@measure
def transform_explain(spec: dict) -> dict:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of each statement of ours and of the limit, on empty star
    tables, each in a transaction rolled back afterwards; written to ``spec["out"]``."""
    out: list[str] = []
    t0 = time.monotonic()
    with warehouse.connection(_settings()) as conn, conn.cursor() as cur:
        for label, ddl, prefix, files in (("ours", _star_ddl(), "", transform.statements),
                                          ("limit", _star_ddl(f"{LIMIT_SCHEMA}."), f"{LIMIT_SCHEMA}, ",
                                           limit_statements)):
            cur.execute(f"SET search_path = {prefix}public")
            for sql in ddl + transform.session_statements(conn):
                cur.execute(sql)
            _explain_all(cur, conn, label, [(t, s) for t in transform.ORDER for s in files(t)], out)
            conn.rollback()
    Path(spec["out"]).write_text("\n".join(out))
    return {"rows": 0, "seconds": time.monotonic() - t0, "note": f"plans in {spec['out']}"}
