"""The Redshift Data API's round trips: how a connection paces its polls
(:class:`Poll`), and how many calls this process made: per operation
(``ExecuteStatement``, ``BatchExecuteStatement``, ``DescribeStatement``,
``GetStatementResult``, ``CancelStatement``) and the SQL statements the submissions
carried (one per ExecuteStatement, ``len(Sqls)`` per BatchExecuteStatement).

On Redshift every call is an HTTPS round trip whose latency is far above the
work of a small query, so the count is what a notebook's speed on the Data API
depends on. :class:`~sparkify_nb.warehouse.data_api.DataApiConnection` counts
every call it makes here. Inside ``sparkify-nb run`` (the runner names the
notebook in ``SPARKIFY_RUN_NOTEBOOK`` for its kernel) each call also updates
the notebook's part of the run record (:func:`sparkify_nb.runrecord.note`,
key ``data_api``), so ``run.json`` says how many calls each notebook made,
a rehearsal's as a Redshift run's.

Example::

    >>> from sparkify_nb.warehouse import data_api_calls
    >>> data_api_calls.reset(); data_api_calls.count("ExecuteStatement", 1)
    >>> data_api_calls.snapshot()["calls"]
    1
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from .. import runrecord

OPERATIONS = ("ExecuteStatement", "BatchExecuteStatement", "DescribeStatement", "GetStatementResult",
              "CancelStatement")
_lock = threading.Lock()  # a load lock's heartbeat thread calls the Data API beside the notebook's own calls
_counts: Counter = Counter()


def count(operation: str, statements: int = 0) -> None:
    """One call of ``operation`` that carried ``statements`` SQL statements (0 for a
    Describe or a GetStatementResult); noted in the run record inside ``sparkify-nb run``."""
    with _lock:
        _counts[operation] += 1
        _counts["statements"] += statements
        counts = snapshot_locked()
        notebook = os.environ.get(runrecord.NOTEBOOK_ENV)
        if notebook:
            runrecord.note(notebook, data_api=counts)


def snapshot_locked() -> dict[str, Any]:
    calls = {op: _counts[op] for op in OPERATIONS if _counts[op]}
    return {"calls": sum(calls.values()), **calls, "statements": _counts["statements"]}


def snapshot() -> dict[str, Any]:
    """``{"calls": total, "<Operation>": n, ..., "statements": n}`` (operations never called left out)."""
    with _lock:
        return snapshot_locked()


def reset() -> None:
    """Start counting from zero (tests; a notebook's kernel starts at zero anyway)."""
    with _lock:
        _counts.clear()


def line(counts: dict[str, Any]) -> str:
    """``counts`` (a :func:`snapshot`) as one line: ``48 calls (Execute 10, BatchExecute 6, ...), 70 statements``."""
    parts = [f"{op.replace('Statement', '') if op != 'GetStatementResult' else op} {counts[op]}"
             for op in OPERATIONS if counts.get(op)]
    return f"{counts.get('calls', 0)} calls ({', '.join(parts)}), {counts.get('statements', 0)} statements"


@dataclass
class Poll:
    """How :class:`DataApiConnection` waits for a statement: ``first_s`` before the
    first DescribeStatement (a statement submitted a moment ago is not done yet:
    asking at once only adds a round trip), then pauses doubling up to ``max_s``,
    each moved at random by up to ``jitter`` of itself either way, as AWS's guidance
    for calls repeated until something changes says: "Use exponential backoff ...
    Introduce jitter ... Limit the maximum" (Well-Architected REL05-BP03,
    https://docs.aws.amazon.com/wellarchitected/latest/reliability-pillar/rel_mitigate_interaction_failure_limit_retries.html;
    the Builders' Library's "Timeouts, retries, and backoff with jitter",
    https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/).
    Jitter keeps the polls of parallel runs from arriving together; the doubling keeps
    a long COPY from costing a call every few hundred milliseconds; the cap bounds how
    late a finished statement is noticed. The jitter is symmetric, so the mean pause
    stays the base: jitter taken off the pause only ("equal jitter", meant for retries
    after failures) made the rehearsal poll ~a third more often. Measured on rehearsed
    runs of 03 on a loaded 2-core machine: immediate first poll, 0.1 s doubling to 2 s:
    58 DescribeStatement for 45 submissions; 0.25 s, doubling to 2 s, equal jitter:
    35 for 13. ``report_every_s``: how often a status line is shown; the clock, sleep
    and random source are injectable (tests pass fakes)."""

    first_s: float = 0.25
    max_s: float = 4.0
    report_every_s: float = 10.0
    jitter: float = 0.1
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    uniform: Callable[[float, float], float] = random.uniform

    def pause(self, base: float) -> float:
        """``base`` seconds moved at random by up to ``jitter`` of it, either way."""
        return base * (1 + self.uniform(-self.jitter, self.jitter))
