"""Entry point of the Redshift Data API endpoint of a rehearsal.

Run by :mod:`sparkify_nb.local.stack` as ``python -m sparkify_nb.local.rehearsal
--port-file FILE [--state DIR]``: binds a free loopback port, writes it to FILE
once it serves, and runs until SIGTERM or SIGINT. The same process serves the
PostgreSQL wire-protocol front door (:mod:`.wire`) on a second free port,
written to ``wire.port`` beside FILE before FILE (so it is there once FILE is),
and makes the stack's CA (:mod:`.pki`) before either. Heavy modules (boto3,
sqlglot, psycopg2) are imported on the first request, so ``local up`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import threading
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port-file", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--state", type=Path, default=None, help="the stack's state folder (default: the project's)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from ..processes import serve_until_stopped
    from .lazy import LazyEndpoint
    from .server import serve

    from . import wire

    endpoint = LazyEndpoint(args.state)
    door = wire.serve(args.state, endpoint)
    threading.Thread(target=door.serve_forever, name="wire", daemon=True).start()
    (args.port_file.parent / "wire.port").write_text(str(door.server_address[1]))
    server = serve(endpoint, args.port)
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()

    def shutdown() -> None:
        door.shutdown()
        server.shutdown()

    serve_until_stopped(server.server_address[1], args.port_file, shutdown)


if __name__ == "__main__":
    main()
