"""Small helpers shared by the tests."""

from __future__ import annotations

import psutil


def processes_mentioning(text: str) -> list[psutil.Process]:
    """Live (non-zombie) processes whose command line mentions ``text``."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if any(text in part for part in proc.info["cmdline"] or []):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found
