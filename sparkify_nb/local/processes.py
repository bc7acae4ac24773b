"""Background processes of the local stack (the AWS emulator, the Data API
endpoint): start one that writes its port to a file and answers a probe, tell
whether a recorded process is still the very one, stop it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import psutil

from .. import SparkifyError, paths


class ProcessError(SparkifyError):
    """A background process did not start or answer (the stack raises it as LocalStackError)."""


def alive(pid: int | None, create_time: float | None) -> bool:
    """True if ``pid`` is the very process we recorded (not a reused pid)."""
    if not pid:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return create_time is None or abs(proc.create_time() - create_time) < 1.0
    except psutil.NoSuchProcess:
        return False


def start(folder: Path, name: str, module: str, label: str, answers: Callable[[int], bool],
          timeout_s: float, args: tuple[str, ...] = ()) -> dict[str, Any]:
    """Start ``python -m module --port-file ...`` in the background (its log: ``name.log``);
    return its pid, port and create time once ``answers(port)`` says it serves."""
    port_file = folder / f"{name}.port"
    port_file.unlink(missing_ok=True)
    logfile = open(folder / f"{name}.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--port-file", str(port_file), *args],
        stdout=logfile, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,  # not killed with the kernel or terminal that started it
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    logfile.close()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ProcessError(
                f"the {label} exited with code {proc.returncode}; see {paths.display_path(folder / (name + '.log'))}")
        if port_file.is_file():
            port = int(port_file.read_text())
            if answers(port):
                return {"pid": proc.pid, "port": port, "create_time": psutil.Process(proc.pid).create_time()}
        time.sleep(0.05)
    proc.kill()
    raise ProcessError(f"the {label} did not answer within {timeout_s:g} s")


def stop(pid: int | None, create_time: float | None) -> None:
    """Stop the recorded process (SIGTERM, then SIGKILL after 10 s); nothing when it is gone."""
    if not alive(pid, create_time):
        return
    proc = psutil.Process(pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except psutil.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def serve_until_stopped(port: int, port_file: Path, shutdown: Callable[[], None]) -> None:
    """The child's side of :func:`start`: write ``port`` to ``port_file``
    (atomically: the parent polls for the file), then wait for SIGTERM or
    SIGINT and call ``shutdown``."""
    paths.write_atomically(port_file, str(port))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    shutdown()
