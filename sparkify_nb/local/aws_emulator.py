"""Entry point of the AWS API emulator process (moto in server mode).

Run by :mod:`sparkify_nb.local.stack` as ``python -m sparkify_nb.local.aws_emulator
--port-file FILE``: binds a free loopback port, writes it to FILE once it
serves, and runs until SIGTERM or SIGINT. ``GetClusterCredentials`` records
what it issues beside the port file (:mod:`.rehearsal.credentials`), so the
rehearsal's wire-protocol front door accepts those credentials and no others.
"""

from __future__ import annotations

import argparse
import functools
import os
from pathlib import Path
from typing import Any


def gated_server(port: int, notes: Path | None) -> Any:
    """moto's threaded server with the IAM gate (:mod:`.iam.gate`) around its app: what a rehearsal's
    operator signs is authorised before moto serves it."""
    from moto import backends
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from .iam.gate import Gate

    # moto's dispatcher asks, for each request and under its one lock, whether the request's host names one of
    # moto's services, by listing moto's package folder and testing each entry with isdir
    # (moto/moto_server/werkzeug_app.py, get_backend_for_host; moto/backends.py, list_of_moto_modules). The folder
    # does not change while this process runs: listed once, that was ~14 % less CPU for this process over
    # tests/test_whole_runs.py's five runs (31.0 vs 36.1 s, /proc stat of the process, same machine, back to back).
    backends.list_of_moto_modules = functools.cache(lambda listed=backends.list_of_moto_modules: tuple(listed()))

    class Quiet(MotoRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            """werkzeug logs every request to the log; only a refusal or a failure is worth a line there (a
            run makes thousands of requests, and formatting their lines under the log's lock was ~7 % of this
            process's CPU in a profile of make test). The line is plain: werkzeug's own wraps the request in
            terminal colour codes, which a log file shows as noise."""
            if str(code).isdigit() and int(code) >= 400:
                self.log("info", '"%s" %s %s', self.requestline, code, size)

    class Gated(ThreadedMotoServer):
        def _server_entry(self) -> None:
            if notes is not None:
                notes.mkdir(parents=True, exist_ok=True)
            app = Gate(DomainDispatcherApplication(create_backend_app), notes)
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=Quiet)
            self._server_ready_event.set()
            self._server.serve_forever()

    return Gated(ip_address="127.0.0.1", port=port, verbose=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port-file", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    args = parser.parse_args()
    # moto gives every account and Region its EC2 backend a catalogue of AMIs, built when the backend is made
    # (moto/ec2/models/amis.py, AmiBackend._load_amis; moto's settings.ec2_load_default_amis reads this variable):
    # nothing here launches an instance, and those catalogues were the largest single cost of this process in a
    # profile of make test (each Redshift backend makes an EC2 one). Whoever sets the variable keeps their choice.
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

    from .processes import serve_until_stopped
    from .rehearsal.credentials import LEDGER, record_cluster_credentials

    record_cluster_credentials(args.port_file.parent / LEDGER)

    server = gated_server(args.port, args.port_file.parent / "accounts")
    server.start()
    _, port = server.get_host_and_port()
    serve_until_stopped(port, args.port_file, server.stop)


if __name__ == "__main__":
    main()
