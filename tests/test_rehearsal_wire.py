"""The rehearsal's PostgreSQL wire-protocol front door (sparkify_nb/local/rehearsal/wire.py):
psycopg2 with ``sslmode=verify-full`` against the stack's CA, the cluster's endpoint as ``host``
and the door as ``hostaddr``, logging in with what the emulator's GetClusterCredentials issued;
one test per rule of the module's docstring, and COPY through the same executor as the Data
API endpoint's."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import certifi
import psycopg2
import pytest

from sparkify_nb import config, local
from sparkify_nb.local.rehearsal import credentials
from sparkify_nb.staging import redshift as copy_client
from sparkify_nb.staging.errors import LoadError
from sparkify_nb.warehouse import schema
from tests.helpers import quiet
from tests.rehearsal_fixtures import MASTER, REGION, aws
from tests.test_rehearsal_copy import bucket, make_role, reads  # noqa: F401 (bucket: a fixture)


def make_public_cluster(public: bool = True, roles: list[str] | None = None) -> dict:
    identifier = f"rw-{uuid.uuid4().hex[:10]}"
    aws("redshift").create_cluster(
        ClusterIdentifier=identifier, NodeType="ra3.xlplus", ClusterType="single-node", MasterUsername=MASTER,
        MasterUserPassword="Rehearsal1x", DBName="dev", PubliclyAccessible=public, IamRoles=roles or [])
    return aws("redshift").describe_clusters(ClusterIdentifier=identifier)["Clusters"][0]


def issued(cluster: dict, user: str = MASTER, auto_create: bool = False) -> dict:
    return aws("redshift").get_cluster_credentials(DbUser=user, DbName="dev", AutoCreate=auto_create,
                                                   ClusterIdentifier=cluster["ClusterIdentifier"],
                                                   DurationSeconds=900)


def connect(cluster: dict, creds: dict, **overrides):
    """psycopg2 to the door as the suite connects with access = direct (warehouse/connect.py)."""
    _, port = local.wire_address()
    params = {"host": cluster["Endpoint"]["Address"], "hostaddr": "127.0.0.1", "port": port, "dbname": "dev",
              "user": creds["DbUser"], "password": creds["DbPassword"], "sslmode": "verify-full",
              "sslrootcert": str(local.rehearsal_ca_path()), **overrides}
    # 30 s, not the suite's 15: a first login makes the cluster's database on the embedded server, and on a
    # 2-core machine running six test processes two logins timed out at 10 s (a full run under load, twice)
    params.setdefault("connect_timeout", 30)
    return psycopg2.connect(**params)


@pytest.fixture
def cluster():
    made = make_public_cluster()
    yield made
    aws("redshift").delete_cluster(ClusterIdentifier=made["ClusterIdentifier"], SkipFinalClusterSnapshot=True)


def refusal(cluster: dict, creds: dict, **overrides) -> str:
    with pytest.raises(psycopg2.OperationalError) as err:
        connect(cluster, creds, **overrides).close()
    return str(err.value).strip().splitlines()[-1].split(" failed: ", 1)[-1]  # after libpq's "connection to ..."


def test_issued_credentials_log_in_as_the_database_user_and_redshift_sql_runs_translated(cluster):
    creds = issued(cluster)
    assert creds["DbUser"] == f"IAM:{MASTER}"
    with connect(cluster, creds) as conn, conn.cursor() as cur:
        assert conn.server_version == 80002  # Redshift's 8.0.2
        cur.execute("CREATE TABLE t (a INT IDENTITY(1, 1), b VARCHAR(10), c TIMESTAMP, d NUMERIC(10, 2)) "
                    "DISTSTYLE KEY DISTKEY (b) SORTKEY (c)")
        cur.execute("INSERT INTO t (b, c, d) VALUES (%s, %s, %s), (NULL, NULL, 1.5)", ("x'y", dt.datetime(2024, 1, 1), 2))
        assert cur.rowcount == 2
        cur.execute("SELECT a, b, c, d, current_user FROM t ORDER BY a")
        assert cur.fetchall() == [(1, "x'y", dt.datetime(2024, 1, 1), Decimal("2.00"), MASTER),
                                  (2, None, None, Decimal("1.50"), MASTER)]


def test_a_cancel_request_on_a_connection_of_its_own_stops_the_running_query(cluster):
    """A client cancels with PostgreSQL's CancelRequest, sent unencrypted on a new connection with the key the
    door gave at login (postgresql.org/docs/current/protocol-flow.html, "Canceling Requests in Progress"):
    the query ends with "canceling statement due to user request", long before it would have."""
    import threading
    import time

    with connect(cluster, issued(cluster)) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE ten (i INT)")
        cur.execute("INSERT INTO ten VALUES " + ", ".join(f"({n})" for n in range(10)))
        long_count = "SELECT COUNT(*) FROM ten a, ten b, ten c, ten d, ten e, ten f, ten g, ten h"  # 10^8 rows
        threading.Timer(0.5, conn.cancel).start()
        started = time.monotonic()
        with pytest.raises(psycopg2.errors.QueryCanceled, match="canceling statement due to user request"):
            cur.execute(long_count)
        assert time.monotonic() - started < 5


def test_a_new_emulator_starts_with_an_empty_ledger_whether_or_not_an_old_one_was_left(tmp_path, monkeypatch):
    """The ledger of issued credentials starts empty with each emulator, on a first start too (no file yet)."""
    from moto.redshift.models import RedshiftBackend

    from sparkify_nb.local.rehearsal import credentials

    # put moto's method back afterwards: the recording wraps it in this process
    monkeypatch.setattr(RedshiftBackend, "get_cluster_credentials", RedshiftBackend.get_cluster_credentials)
    ledger = tmp_path / "ledger"
    credentials.record_cluster_credentials(ledger)
    assert not ledger.exists()
    ledger.write_text('{"left": "by the emulator before"}\n')
    credentials.record_cluster_credentials(ledger)
    assert not ledger.exists()


def test_a_password_the_stack_did_not_issue_is_refused(cluster):
    creds = {**issued(cluster), "DbPassword": "not-the-issued-one"}
    assert refusal(cluster, creds) == f'FATAL:  password authentication failed for user "IAM:{MASTER}"'


def test_credentials_issued_for_another_cluster_are_refused(cluster):
    other = make_public_cluster()
    assert refusal(cluster, issued(other)) == f'FATAL:  password authentication failed for user "IAM:{MASTER}"'


def test_issued_credentials_stop_counting_once_expired(cluster):
    creds = issued(cluster)
    ledger = credentials.ledger_path()
    args = {"target": cluster["ClusterIdentifier"], "region": REGION, "user": creds["DbUser"],
            "password": creds["DbPassword"]}
    assert credentials.check(ledger, **args)[0] is True
    later = creds["Expiration"] + dt.timedelta(seconds=1)
    ok, why = credentials.check(ledger, now=later, **args)
    assert (ok, why.split(" expired at ")[0]) == (False, f"the credentials of IAM:{MASTER} on "
                                                        f"{cluster['ClusterIdentifier']}")


def test_a_connection_without_tls_is_refused(cluster):
    assert refusal(cluster, issued(cluster), sslmode="disable").startswith(
        'FATAL:  no pg_hba.conf entry for host "127.0.0.1", SSL off')


def test_the_certificate_chains_to_the_stacks_ca_only(cluster):
    assert "certificate verify failed" in refusal(cluster, issued(cluster), sslrootcert=certifi.where())


def test_a_private_clusters_endpoint_cannot_be_reached():
    private = make_public_cluster(public=False)
    assert "is not publicly accessible" in refusal(private, issued(private))


def test_only_the_clusters_database_and_existing_users_log_in(cluster):
    assert refusal(cluster, issued(cluster), dbname="other") == 'FATAL:  database "other" does not exist'
    assert refusal(cluster, issued(cluster, "nobody")) == 'FATAL:  user "nobody" does not exist'


def test_auto_create_makes_the_user_it_logs_in_as(cluster):
    creds = issued(cluster, "newcomer", auto_create=True)
    assert creds["DbUser"] == "IAMA:newcomer"
    with connect(cluster, creds) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_user")
        assert cur.fetchone() == ("newcomer",)


def test_what_redshift_refuses_fails_and_aborts_the_transaction_until_rollback(cluster):
    with connect(cluster, issued(cluster)) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE t (a INT)")
        with pytest.raises(psycopg2.errors.FeatureNotSupported) as err:
            cur.execute("CREATE INDEX i ON t (a)")
        assert str(err.value).startswith("CREATE INDEX is not supported by Amazon Redshift")
        with pytest.raises(psycopg2.errors.InFailedSqlTransaction):
            cur.execute("SELECT 1")
        conn.rollback()
        cur.execute("SELECT 1; SELECT 2")  # one Query message, two statements: the last one's rows
        assert cur.fetchall() == [(2,)]


def test_the_statements_of_one_query_message_after_a_failed_one_do_not_run(cluster):
    """A simple Query holding several statements stops at the first that fails: the rest are not run
    (postgresql.org/docs/current/protocol-flow.html, "Multiple Statements in a Simple Query"), whether
    Redshift refuses it or the database fails it."""
    conn = connect(cluster, issued(cluster))  # not `with conn`: psycopg2 opens a transaction block for it
    conn.autocommit = True
    try:
        cur = conn.cursor()
        cur.execute("CREATE TABLE t (a INT)")
        for failing, error in (("CREATE INDEX i ON t (a)", psycopg2.errors.FeatureNotSupported),
                               ("SELECT * FROM no_such_table", psycopg2.errors.UndefinedTable)):
            with pytest.raises(error):
                cur.execute(f"INSERT INTO t VALUES (1); {failing}; INSERT INTO t VALUES (2)")
            cur.execute("SELECT COUNT(*) FROM t WHERE a = 2")
            assert cur.fetchall() == [(0,)], failing
    finally:
        conn.close()


def test_copy_runs_on_the_same_executor_and_its_rejects_are_read_back_over_the_door(bucket):  # noqa: F811
    """The suite's own load_redshift over psycopg2 to the door: COPY checks the role, loads, and the
    rejected record is read back from stl_load_errors, as through the Data API."""
    role = make_role(reads(bucket, "bad_log/*"))
    cluster = make_public_cluster(roles=[role])
    settings = config.load(overrides={"general.target": "redshift", "general.region": REGION})
    record = {"role_arn": role, "source_region": REGION, "kind": "provisioned"}
    with pytest.MonkeyPatch.context() as patch, connect(cluster, issued(cluster)) as conn:
        patch.setattr(copy_client.state, "load", lambda *_a, **_k: record)
        with conn.cursor() as cur:
            for sql in schema.create_statements("redshift"):
                cur.execute(sql)
        conn.commit()
        report = copy_client.load_redshift(settings, conn, schema.STAGING_EVENTS, f"s3://{bucket}/bad_log", None,
                                           10, progress=quiet)
        assert (report.loaded, report.rejected) == (2, 1)
        assert [r.colname for r in report.rejects] == ["ts"]
        record["role_arn"] = other = make_role(reads(bucket, "bad_log/*"))  # not associated with the cluster
        with pytest.raises(LoadError) as err:
            copy_client.load_redshift(settings, conn, schema.STAGING_EVENTS, f"s3://{bucket}/bad_log", None, 10,
                                      progress=quiet)
        assert f"is not authorized to assume IAM Role {other}" in str(err.value)


def test_run_takes_the_way_to_run_as_parameters_and_refuses_a_wrong_one_naming_it(capsys):
    """`sparkify-nb run --rehearse -p kind ... -p access ...`: no notebook declares them, so they are the
    run's [cluster] settings, checked before anything runs (the whole runs run one way like this)."""
    from sparkify_nb import cli

    assert cli.main(["run", "--rehearse", "-p", "access", "carrier-pigeon", "--only", "02_schema"]) == 1
    assert "parameter access = 'carrier-pigeon'" in capsys.readouterr().err
