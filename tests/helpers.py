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


# Columns whose values differ between two runs that loaded the same data: generated ids and load times.
RUN_COLUMNS = {"songplay_id", "load_id", "starttime", "loaded_at"}


def fingerprint(conn, tables) -> dict[str, tuple[int, str]]:
    """``{table: (rows, md5 of the sorted rows)}``: equal fingerprints mean equal
    contents, not only equal counts (ids and load times left out)."""
    from sparkify_nb import warehouse
    from sparkify_nb.warehouse import schema

    by_name = {t.name: t for t in schema.tables_for("postgres")}
    out = {}
    for name in tables:
        columns = ", ".join(f'"{c}"' for c in by_name[name].column_names if c not in RUN_COLUMNS)
        row = warehouse.query(conn, f"SELECT COUNT(*) AS n, md5(COALESCE(string_agg(r::text, '|' ORDER BY r::text), "
                                    f"'')) AS digest FROM (SELECT {columns} FROM \"{name}\") r").iloc[0]
        out[name] = (int(row.n), row.digest)
    return out


def stack_settings(tmp_path, prefix: str, **overrides):
    """Settings of a private stack on the session's emulator: a stack name made
    from the test's tmp folder (``prefix`` keeps test files' stacks apart), no
    dwh.cfg, no environment; ``overrides`` as notebook parameters."""
    from sparkify_nb import config

    stack = f"{prefix}{tmp_path.name[-12:].lower().replace('_', '-')}"
    values = {"general.stack_name": stack, "cluster.identifier": f"{stack}-dwh", **overrides}
    return config.load(tmp_path / "absent.cfg", overrides=values, environ={})


def quiet(_line: str) -> None:
    """A progress callback that drops every line."""


def stubbed(service: str, region: str = "us-west-2"):
    """A real boto3 client of ``service`` (throwaway credentials) and its botocore Stubber:
    every request is validated against the service model, every answer is the test's."""
    import boto3
    from botocore.stub import Stubber

    client = boto3.client(service, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
    return client, Stubber(client)


def stubbed_context(settings, clients_by_service: dict):
    """An infra Context whose clients of the named services are the given (stubbed) ones
    (None: left as they are), silent and with no wait between polls."""
    from sparkify_nb import aws, infra

    clients = aws.Clients(settings)
    for service, client in clients_by_service.items():
        if client is not None:
            clients.use(service, client)
    return infra.Context(settings, clients, lambda _: None, delay_s=0)
