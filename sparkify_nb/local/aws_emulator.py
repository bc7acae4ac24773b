"""Entry point of the AWS API emulator process (moto in server mode).

Run by :mod:`sparkify_nb.local.stack` as ``python -m sparkify_nb.local.aws_emulator
--port-file FILE``: binds a free loopback port, writes it to FILE once it
serves, and runs until SIGTERM or SIGINT. ``GetClusterCredentials`` records
what it issues beside the port file (:mod:`.rehearsal.credentials`), so the
rehearsal's wire-protocol front door accepts those credentials and no others.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port-file", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    args = parser.parse_args()

    from moto.server import ThreadedMotoServer

    from .processes import serve_until_stopped
    from .rehearsal.credentials import LEDGER, record_cluster_credentials

    record_cluster_credentials(args.port_file.parent / LEDGER)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    serve_until_stopped(port, args.port_file, server.stop)


if __name__ == "__main__":
    main()
