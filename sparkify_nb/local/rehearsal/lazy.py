"""The endpoint, built on its first request: the process answers the stack's
liveness probe at once, and imports boto3, sqlglot and psycopg2 only when a
Data API call needs them."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any


class LazyEndpoint:
    def __init__(self, state: Path | None):
        self.state = state
        self._endpoint: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._endpoint is None:
                from .api import Endpoint

                self._endpoint = Endpoint(self.state)
        return getattr(self._endpoint, name)
