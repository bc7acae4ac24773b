"""What a notebook prints, passed on line by line while it runs.

papermill hands every stream output of a running kernel (what a cell prints,
as it prints it) to a file-like object; :class:`Lines` is that object for
``sparkify-nb run``. It cuts the text into lines and passes each, with the
notebook's number and the wall-clock time, to a progress callback::

      03 14:02:11  staging_events: 1/30 files, 250 rows, 0 rejected
      03 14:02:16  staging_events: 8,000 rows from 30 files (8,000 records), 0 rejected, 5.2 s

so a long load or a cluster wait shows up as it happens, one line per event.
Blank lines are dropped; a carriage-return progress bar keeps its last state;
an output of more than :data:`MAX_BLOCK` lines (a big table) is cut, saying how
many lines the executed notebook has on top.

A table a cell displays (:class:`sparkify_nb.display.Table`: rich in the
notebook, not a stream) reaches the terminal as its text when the cell has
run: :meth:`Lines.cell_tables` is nbclient's ``on_cell_executed`` hook.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from . import Progress

MAX_LINE = 400   # characters of one line passed on
MAX_BLOCK = 25   # lines of one output passed on; a longer table is cut (the executed notebook has it whole)
TABLE_KEY = "sparkify_nb"  # the output metadata that marks a display.Table


class Lines:
    """A writable text stream that reports each complete line through
    ``progress`` as ``"  <label> HH:MM:SS  <line>"`` (``stderr`` lines are
    marked ``stderr:``). Call :meth:`close` at the end to pass on a last
    line without a newline."""

    def __init__(self, progress: Progress, label: str, stderr: bool = False,
                 clock: Callable[[], float] | None = None):
        self.progress, self.label, self.stderr = progress, label, stderr
        self.clock = clock or time.time
        self._buffer = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._buffer += text
            *complete, self._buffer = self._buffer.split("\n")
        shown = [line for line in complete if line.strip()]
        for line in shown[:MAX_BLOCK]:
            self._emit(line)
        if len(shown) > MAX_BLOCK:
            self._emit(f"... {len(shown) - MAX_BLOCK} more lines in the executed notebook")
        return len(text)

    def cell_tables(self, cell: dict, **_: object) -> None:
        """Pass on the text of every table ``cell`` displayed (an output whose
        metadata has :data:`TABLE_KEY`); nbclient calls this after each cell,
        failed ones included, with ``cell``, ``cell_index`` and ``execute_reply``."""
        for output in cell.get("outputs", []):
            if "table" in (output.get("metadata") or {}).get(TABLE_KEY, {}) and "text/plain" in output.get("data", {}):
                self.write("".join(output["data"]["text/plain"]) + "\n")

    def flush(self) -> None:
        """Lines go on as they complete; a partial line waits for its end."""

    def close(self) -> None:
        with self._lock:
            rest, self._buffer = self._buffer, ""
        if rest:
            self._emit(rest)

    def _emit(self, line: str) -> None:
        line = line.rsplit("\r", 1)[-1].rstrip()
        if not line.strip():
            return
        if len(line) > MAX_LINE:
            line = line[:MAX_LINE] + " ..."
        stamp = time.strftime("%H:%M:%S", time.localtime(self.clock()))
        self.progress(f"  {self.label} {stamp}  {'stderr: ' if self.stderr else ''}{line}")
