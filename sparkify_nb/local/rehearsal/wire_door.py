"""Which cluster (or Serverless workgroup) a connection to the front door (:mod:`.wire`) names by its
endpoint's host name, and the TLS certificate presented for that name (rules 1 and 2 of :mod:`.wire`)."""

from __future__ import annotations

import re
import ssl
import threading
from pathlib import Path
from typing import Any

ENDPOINT = re.compile(r"^(?P<cluster>[a-z][a-z0-9-]*)\.[a-z0-9]+\.(?P<region>[a-z]{2}(-[a-z]+)+-\d)"
                      r"\.(?P<service>redshift|redshift-serverless)\.amazonaws\.com$")


class Door:
    """The front door's state: the control plane, the certificate issuer, the cancel keys."""

    def __init__(self, state: Path | None, endpoint: Any):
        from . import pki

        self.state, self.endpoint = state, endpoint  # the Data API endpoint: its control plane, its Serverless
        pki.ensure_ca(state)
        self._issuer: Any = None
        self.cancel_keys: dict[tuple[int, int], Any] = {}
        self._lock = threading.Lock()

    @property
    def issuer(self) -> Any:
        with self._lock:
            if self._issuer is None:
                from .pki import Issuer

                self._issuer = Issuer(self.state)
            return self._issuer

    @property
    def control(self) -> Any:
        return self.endpoint.control

    def target(self, host: str) -> dict[str, Any]:
        """The cluster, or the Serverless workgroup in a cluster's shape, whose endpoint is ``host``."""
        from .errors import ApiError

        match = ENDPOINT.match(host)
        if not match:
            return {}
        try:
            if match.group("service") == "redshift-serverless":
                # <workgroup>.<account>.<region>.redshift-serverless.amazonaws.com: the account is in the name
                return self.endpoint.serverless_of(self._serverless_account(host)).as_cluster(
                    match.group("cluster"), match.group("region"))
            return self.control.cluster(match.group("cluster"), match.group("region"))
        except ApiError:
            return {}

    @staticmethod
    def _serverless_account(host: str) -> str:
        return host.split(".")[1]

    def tls_context(self, seen: dict[str, str]) -> ssl.SSLContext:
        """A server context that presents, for the host name the client sends (SNI), a certificate
        for that name; ``seen["host"]`` is the name."""
        base = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)

        def pick(sock: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> int | None:
            if not name or not ENDPOINT.match(name):
                return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
            seen["host"] = name
            sock.context = self.issuer.context(name)
            return None

        base.sni_callback = pick
        return base
