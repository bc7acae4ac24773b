"""The rehearsal's PostgreSQL wire-protocol front door (sparkify_nb/local/rehearsal/wire.py):
psycopg2 with ``sslmode=verify-full`` against the stack's CA, the cluster's endpoint as ``host``
and the door as ``hostaddr``, logging in with what the emulator's GetClusterCredentials issued;
one test per rule of the module's docstring, and COPY through the same executor as the Data
API endpoint's."""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import ssl
import struct
import uuid
from decimal import Decimal

import certifi
import psycopg2
import pytest
from psycopg2 import extensions

from sparkify_nb import config, local
from sparkify_nb.local.rehearsal import credentials
from sparkify_nb.staging import redshift as copy_client
from sparkify_nb.staging.errors import LoadError
from sparkify_nb.warehouse import schema
from tests.helpers import quiet
from tests.rehearsal_fixtures import MASTER, REGION, aws, policy
from tests.test_rehearsal_copy import TRUST, bucket, make_role, reads  # noqa: F401 (bucket: a fixture)


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


class Raw:
    """A frontend that speaks the protocol's bytes to the door itself, what psycopg2 hides
    (postgresql.org/docs/current/protocol-message-formats.html)."""

    SSL_REQUEST, GSS_REQUEST, PROTOCOL_3 = 80877103, 80877104, 196608

    def __init__(self):
        self.sock = socket.create_connection(local.wire_address(), timeout=30)

    def __enter__(self) -> "Raw":
        return self

    def __exit__(self, *_exc) -> None:
        self.sock.close()

    def packet(self, code: int, body: bytes = b"", length: int | None = None) -> None:
        """A startup-phase packet: its length (by default the true one), the code, the body."""
        self.sock.sendall(struct.pack("!ii", 8 + len(body) if length is None else length, code) + body)

    def send(self, kind: bytes, body: bytes = b"") -> None:
        self.sock.sendall(kind + struct.pack("!i", len(body) + 4) + body)

    def read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError(f"the door hung up after {data!r}")
            data += chunk
        return data

    def hung_up(self) -> bool:
        """True when the door closed the connection without sending a byte more."""
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def message(self) -> tuple[bytes, bytes]:
        kind = self.read(1)
        return kind, self.read(struct.unpack("!i", self.read(4))[0] - 4)

    def until_ready(self) -> list[tuple[bytes, bytes]]:
        """Every message up to ReadyForQuery (or a FATAL error, after which nothing comes)."""
        out: list[tuple[bytes, bytes]] = []
        while True:
            out.append(self.message())
            kind, body = out[-1]
            if kind == b"Z" or (kind == b"E" and fields(body)["S"] == "FATAL"):
                return out

    def tls(self, host: str) -> None:
        self.packet(self.SSL_REQUEST)
        assert self.read(1) == b"S"
        context = ssl.create_default_context(cafile=str(local.rehearsal_ca_path()))
        self.sock = context.wrap_socket(self.sock, server_hostname=host)

    @staticmethod
    def params(**values: str) -> bytes:
        return b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in values.items()) + b"\0"

    def login(self, cluster: dict, creds: dict) -> list[tuple[bytes, bytes]]:
        """TLS, the StartupMessage, the password: what the door answers up to ReadyForQuery.
        A parameter's value that is another parameter's name (application_name "user") is a value only."""
        self.tls(cluster["Endpoint"]["Address"])
        self.packet(self.PROTOCOL_3, self.params(database="dev", application_name="database",
                                                 user=creds["DbUser"]))
        assert self.message() == (b"R", struct.pack("!i", 3))  # AuthenticationCleartextPassword
        self.send(b"p", creds["DbPassword"].encode() + b"\0")
        return self.until_ready()

    def query(self, sql: str) -> list[tuple[bytes, bytes]]:
        self.send(b"Q", sql.encode() + b"\0")
        return self.until_ready()


def fields(body: bytes) -> dict[str, str]:
    """An ErrorResponse's fields by their one-letter codes."""
    return {f[:1].decode(): f[1:].decode() for f in body.split(b"\0") if f}


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

    connect(cluster, issued(cluster)).close()  # another connection, ended: its key goes, this one's stays
    with connect(cluster, issued(cluster)) as conn, conn.cursor() as cur:
        connect(cluster, issued(cluster)).close()
        cur.execute("CREATE TABLE ten (i INT)")
        cur.execute("INSERT INTO ten VALUES " + ", ".join(f"({n})" for n in range(10)))
        long_count = "SELECT COUNT(*) FROM ten a, ten b, ten c, ten d, ten e, ten f, ten g, ten h"  # 10^8 rows
        threading.Timer(0.5, conn.cancel).start()
        started = time.monotonic()
        with pytest.raises(psycopg2.errors.QueryCanceled, match="canceling statement due to user request"):
            cur.execute(long_count)
        assert time.monotonic() - started < 5


def test_a_cancel_request_of_any_length_but_16_bytes_is_ignored(cluster):
    """CancelRequest is 16 bytes: its length, the code, the process id and the secret key, four Int32
    (protocol-message-formats.html); PostgreSQL's postmaster drops one of another length without acting on it
    ("invalid length of startup packet", ProcessStartupPacket). A query waiting for a lock is not cancelled
    by a request that carries the right key with four bytes more, nor by one cut short; it is by the same key
    in 16 bytes."""
    import time

    CANCEL_REQUEST = 80877102
    creds = issued(cluster)
    holder = connect(cluster, creds)
    try:
        with holder.cursor() as cur:
            cur.execute("CREATE TABLE t (a INT)")
        holder.commit()
        with Raw() as waiter:
            (key,) = [b for k, b in waiter.login(cluster, creds) if k == b"K"]
            for cancel in (key + b"\0\0\0\0", key[:4], key):
                with holder.cursor() as cur:
                    cur.execute("LOCK t")
                waiter.send(b"Q", b"SELECT COUNT(*) FROM t\0")  # waits for the holder's lock
                time.sleep(0.3)
                with Raw() as canceller:
                    canceller.packet(CANCEL_REQUEST, cancel)
                    assert canceller.hung_up()  # the door answers a cancel request with nothing
                if cancel == key:
                    answer = waiter.until_ready()
                    assert fields(answer[0][1])["C"] == "57014"  # canceled by the 16-byte request
                    holder.rollback()
                    continue
                time.sleep(0.5)
                holder.rollback()  # the lock goes: the query ends, not cancelled
                assert [k for k, _ in waiter.until_ready()] == [b"T", b"D", b"C", b"Z"], len(cancel)
    finally:
        holder.close()


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


def test_the_door_finds_a_clusters_endpoint_in_whichever_account_of_the_stack_holds_it(cluster):
    """An endpoint's host name names no account: the door looks in each account the stack knows, the
    rehearsals' own and the emulator's default one, and logs in to the cluster where it is found."""
    from sparkify_nb.local.iam import account

    made = account.create(local.aws_endpoint())  # known to the stack now: looked in before the default account
    with connect(cluster, issued(cluster)) as conn, conn.cursor() as cur:  # the default account's cluster
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    def theirs(service):
        return account.admin_client(local.aws_endpoint(), made, service, REGION)

    name = f"rw-{uuid.uuid4().hex[:10]}"  # the account's bucket, role and cluster
    theirs("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    theirs("s3").put_object(Bucket=name, Key="rows.json", Body=b'{"a": 7}\n')
    role = theirs("iam").create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    theirs("iam").put_role_policy(RoleName=name, PolicyName="copy", PolicyDocument=policy(*reads(name, "rows.json")))
    theirs("redshift").create_cluster(ClusterIdentifier=name, NodeType="ra3.xlplus", ClusterType="single-node",
                                      MasterUsername=MASTER, MasterUserPassword="Rehearsal1x", DBName="dev",
                                      PubliclyAccessible=True, IamRoles=[role])
    found = theirs("redshift").describe_clusters(ClusterIdentifier=name)["Clusters"][0]
    creds = theirs("redshift").get_cluster_credentials(DbUser=MASTER, DbName="dev", ClusterIdentifier=name,
                                                       DurationSeconds=900)
    with connect(found, creds) as conn, conn.cursor() as cur:  # its COPY reads its bucket through its role
        cur.execute("CREATE TABLE t (a INT)")
        cur.execute(f"COPY t FROM 's3://{name}/rows.json' IAM_ROLE '{role}' FORMAT AS JSON 'auto' REGION '{REGION}'")
        cur.execute("SELECT a FROM t")
        assert cur.fetchall() == [(7,)]
    theirs("redshift").delete_cluster(ClusterIdentifier=name, SkipFinalClusterSnapshot=True)


def test_a_password_the_stack_did_not_issue_is_refused(cluster):
    creds = {**issued(cluster), "DbPassword": "not-the-issued-one"}
    assert refusal(cluster, creds) == f'FATAL:  password authentication failed for user "IAM:{MASTER}"'


def test_credentials_issued_for_another_cluster_are_refused(cluster):
    other = make_public_cluster()
    assert refusal(cluster, issued(other)) == f'FATAL:  password authentication failed for user "IAM:{MASTER}"'


def test_the_ledger_of_issued_credentials_is_its_owners_alone_and_holds_no_password(cluster):
    creds = issued(cluster)
    ledger = credentials.ledger_path()
    assert ledger.stat().st_mode & 0o777 == 0o600
    text = ledger.read_text()
    assert creds["DbPassword"] not in text and hashlib.sha256(creds["DbPassword"].encode()).hexdigest() in text


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


def test_the_door_reads_a_startup_packet_of_8_to_10004_bytes_and_hangs_up_on_any_other_length():
    """A startup packet's length counts its own four bytes; PostgreSQL takes 4 to 10,000 bytes after them
    (MAX_STARTUP_PACKET_LENGTH) and closes the connection on any other length without a word."""
    with Raw() as raw:
        raw.packet(Raw.PROTOCOL_3, b"\0" * (10004 - 8))  # the longest: read, then refused for want of TLS
        kind, body = raw.message()
        assert (kind, fields(body)["S"], fields(body)["C"]) == (b"E", "FATAL", "28000")
    for length in (10005, 7):
        with Raw() as raw:
            raw.sock.sendall(struct.pack("!ii", length, Raw.PROTOCOL_3) + b"\0" * max(0, length - 8))
            assert raw.hung_up(), length


def test_a_gss_encryption_request_is_declined_and_the_client_goes_on_with_tls(cluster):
    """GSSENCRequest is answered "N" (no GSSAPI encryption here) and the client may then ask for SSL on the
    same connection (protocol-flow.html, "GSSAPI Session Encryption")."""
    with Raw() as raw:
        raw.packet(Raw.GSS_REQUEST)
        assert raw.read(1) == b"N"
        assert raw.login(cluster, issued(cluster))[-1] == (b"Z", b"I")


def test_a_startup_in_a_protocol_version_other_than_3_0_is_refused_naming_it(cluster):
    with Raw() as raw:
        raw.tls(cluster["Endpoint"]["Address"])
        raw.packet(4 << 16 | 1, Raw.params(user="IAM:" + MASTER, database="dev"))
        kind, body = raw.message()
        assert (kind, fields(body)["S"], fields(body)["C"], fields(body)["M"]) == (
            b"E", "FATAL", "08P01", "unsupported frontend protocol 4.1")


def test_a_startup_message_without_its_terminating_zero_byte_is_refused(cluster):
    """A StartupMessage's name/value pairs end with a zero byte (protocol-message-formats.html); PostgreSQL
    refuses one without it, "invalid startup packet layout: expected terminator as last byte"."""
    for body in (Raw.params(user=f"IAM:{MASTER}", database="dev")[:-1],
                 f"user\0IAM:{MASTER}\0database".encode()):  # and a name without its value nor its zero byte
        with Raw() as raw:
            raw.tls(cluster["Endpoint"]["Address"])
            raw.packet(Raw.PROTOCOL_3, body)
            kind, answer = raw.message()
            assert (kind, fields(answer)["S"], fields(answer)["C"], fields(answer)["M"]) == (
                b"E", "FATAL", "08P01", "invalid startup packet layout: expected terminator as last byte"), body


def test_a_reply_to_the_password_request_that_is_no_password_message_ends_the_connection(cluster):
    with Raw() as raw:
        raw.tls(cluster["Endpoint"]["Address"])
        raw.packet(Raw.PROTOCOL_3, Raw.params(user=f"IAM:{MASTER}", database="dev"))
        assert raw.message() == (b"R", struct.pack("!i", 3))
        raw.send(b"Q", issued(cluster)["DbPassword"].encode() + b"\0")
        kind, body = raw.message()
        assert (kind, fields(body)["S"], fields(body)["C"], fields(body)["M"]) == (
            b"E", "FATAL", "08P01", "expected a password message")


def test_a_login_reports_redshifts_parameters_a_cancel_key_and_ready_for_query_idle(cluster):
    """AuthenticationOk, a ParameterStatus per parameter (server_version 8.0.2, Redshift's), BackendKeyData
    (process id and secret, two Int32), ReadyForQuery "I" (protocol-flow.html, "Start-up")."""
    creds = issued(cluster)
    for _ in range(8):  # each login draws a new secret key: each must fit a signed Int32
        with Raw() as raw:
            answer = raw.login(cluster, creds)
            assert answer[0] == (b"R", struct.pack("!i", 0))
            assert dict(tuple(b.decode().split("\0")[:2]) for k, b in answer if k == b"S") == {
                "server_version": "8.0.2", "server_encoding": "UTF8", "client_encoding": "UTF8",
                "DateStyle": "ISO, MDY", "TimeZone": "UTC", "integer_datetimes": "on",
                "standard_conforming_strings": "on", "session_authorization": MASTER, "is_superuser": "off"}
            (key,) = [b for k, b in answer if k == b"K"]
            assert len(key) == 8 and min(struct.unpack("!ii", key)) > 0
            assert answer[-1] == (b"Z", b"I")


def test_ready_for_query_says_idle_in_a_transaction_block_or_in_a_failed_one(cluster):
    """ReadyForQuery's status: "I" idle, "T" in a transaction block, "E" in a failed one, whether PostgreSQL
    failed the statement or the door refused it as Redshift would; a COMMIT of a failed block rolls it back."""
    with Raw() as raw:
        raw.login(cluster, issued(cluster))
        assert raw.query("SELECT 1")[-1] == (b"Z", b"I")
        assert raw.query("BEGIN")[-1] == (b"Z", b"T")
        assert raw.query("SELECT 1")[-1] == (b"Z", b"T")
        failed = raw.query("SELECT * FROM no_such_table")
        assert [k for k, _ in failed] == [b"E", b"Z"] and failed[-1] == (b"Z", b"E")
        begin = raw.query("BEGIN")  # in a failed block only its end is taken
        assert (fields(begin[0][1])["C"], begin[-1]) == ("25P02", (b"Z", b"E"))
        assert raw.query("ROLLBACK WORK") == [(b"C", b"ROLLBACK\0"), (b"Z", b"I")]
        raw.query("BEGIN")
        refused = raw.query("CREATE INDEX i ON no_such_table (a)")  # Redshift's refusal: PostgreSQL never saw it
        assert fields(refused[0][1])["C"] == "0A000" and refused[-1] == (b"Z", b"E")
        assert raw.query("COMMIT") == [(b"C", b"ROLLBACK\0"), (b"Z", b"I")]


def test_an_empty_query_is_answered_with_empty_query_response(cluster):
    """A query string of white space (or comments) alone: EmptyQueryResponse, then ReadyForQuery
    (protocol-flow.html, "Simple Query")."""
    with Raw() as raw:
        raw.login(cluster, issued(cluster))
        for text in ("", "  ", "-- nothing\n"):
            assert raw.query(text) == [(b"I", b""), (b"Z", b"I")], text


def test_rows_come_in_text_described_as_postgresql_describes_an_expressions_columns(cluster):
    """RowDescription: per field its name, table oid 0 and column 0 (an expression), the type's oid and
    size, type modifier -1, format 0 (text); a DataRow per row, NULL as length -1; CommandComplete
    (protocol-message-formats.html)."""
    with Raw() as raw:
        raw.login(cluster, issued(cluster))
        answer = raw.query("SELECT 7 AS n, NULL::varchar AS v UNION ALL SELECT -12, 'é'")
        assert answer[0] == (b"T", struct.pack("!h", 2) + b"n\0" + struct.pack("!ihihih", 0, 0, 23, 4, -1, 0)
                             + b"v\0" + struct.pack("!ihihih", 0, 0, 1043, -1, -1, 0))
        assert answer[1:] == [
            (b"D", struct.pack("!hi", 2, 1) + b"7" + struct.pack("!i", -1)),
            (b"D", struct.pack("!hi", 2, 3) + b"-12" + struct.pack("!i", 2) + "é".encode()),
            (b"C", b"SELECT 2\0"), (b"Z", b"I")]


def test_a_fields_description_gives_its_types_pg_type_length_and_its_modifier_as_postgresql_does(cluster):
    """RowDescription: "The data type size (see pg_type.typlen). Note that negative values denote variable-width
    types" and "The type modifier (see pg_attribute.atttypmod)" (protocol-message-formats.html): a CHAR(3) is
    variable-width (-1) with modifier 3 + 4, a DECIMAL(10, 2) -1 with (10 << 16 | 2) + 4, a fixed type its own
    length and no modifier (-1); a type made after login (a table's row type) -1."""
    expected = {"CAST('x' AS CHAR(3))": (1042, -1, 7), "CAST('x' AS CHAR(1))": (1042, -1, 5),
                "CAST('x' AS VARCHAR(5))": (1043, -1, 9),
                "CAST(2 AS DECIMAL(10, 2))": (1700, -1, 10 << 16 | 2 | 4), "CAST(2 AS DECIMAL)": (1700, -1, -1),
                "CAST('x' AS VARCHAR)": (1043, -1, 260), "TRUE": (16, 1, -1), "CAST(1 AS SMALLINT)": (21, 2, -1),
                "CAST(1 AS BIGINT)": (20, 8, -1), "CAST('2020-01-01' AS DATE)": (1082, 4, -1),
                "CAST('2020-01-01' AS TIMESTAMP)": (1114, 8, -1)}
    with Raw() as raw:
        raw.login(cluster, issued(cluster))
        answer = raw.query("SELECT " + ", ".join(f"{sql} AS c{n}" for n, sql in enumerate(expected)))
        body, at, seen = answer[0][1], 2, []
        for _ in range(struct.unpack("!h", body[:2])[0]):
            at = body.index(b"\0", at) + 1
            _, _, oid, size, modifier, _ = struct.unpack("!ihihih", body[at:at + 18])
            seen.append((oid, size, modifier))
            at += 18
        assert dict(zip(expected, seen)) == expected
        raw.query("CREATE TABLE t (a INT)")  # its row type is made now, after login (PostgreSQL lets it be
        body = raw.query("SELECT t FROM t")[0][1]  # selected; Redshift would not: see the rows of wire.md)
        assert struct.unpack("!hi", body[:6])[0] == 1 and struct.unpack("!ihihih", body[4:22])[3:5] == (-1, -1)


def test_each_value_comes_as_postgresqls_own_text_of_it_booleans_as_t_and_f(cluster):
    """In text format a value is what the type's output function writes (protocol-overview.html, "Formats and
    Format Codes"): a boolean is t or f, a float PostgreSQL's shortest text (Infinity, 1e-07), a DECIMAL its
    scale's digits, a TIMESTAMP without trailing zeros, a TIMESTAMPTZ with its offset, a CHAR padded; NULL has
    no text (length -1). Never a Python rendering (True, inf, 03:04:05.500000)."""
    values = {"TRUE": b"t", "FALSE": b"f", "CAST(1.5 AS DOUBLE PRECISION)": b"1.5", "CAST(0.1 AS REAL)": b"0.1",
              "CAST(1e-7 AS DOUBLE PRECISION)": b"1e-07", "CAST('-infinity' AS DOUBLE PRECISION)": b"-Infinity",
              "CAST(2 AS DECIMAL(10, 2))": b"2.00", "CAST(9223372036854775807 AS BIGINT)": b"9223372036854775807",
              "CAST(-3 AS SMALLINT)": b"-3", "CAST('2024-01-02' AS DATE)": b"2024-01-02",
              "CAST('2024-01-02 03:04:05.5' AS TIMESTAMP)": b"2024-01-02 03:04:05.5",
              "CAST('2024-01-02 03:04:05' AS TIMESTAMPTZ)": b"2024-01-02 03:04:05+00",
              "CAST('x' AS CHAR(3))": b"x  ", "NULL": None}
    with Raw() as raw:
        raw.login(cluster, issued(cluster))
        answer = raw.query("SELECT " + ", ".join(values))
        kinds = [k for k, _ in answer]
        assert kinds == [b"T", b"D", b"C", b"Z"], answer
        row, cells, at = answer[1][1], [], 2
        for _ in range(struct.unpack("!h", row[:2])[0]):
            (size,) = struct.unpack("!i", row[at:at + 4])
            cells.append(None if size == -1 else row[at + 4:at + 4 + size])
            at += 4 + max(size, 0)
        assert dict(zip(values, cells)) == values


def test_the_extended_query_protocol_is_refused_once_and_its_messages_skipped_until_sync(cluster):
    """After an error in the extended protocol the backend discards messages until Sync
    (protocol-flow.html, "Extended Query"): one ErrorResponse, then ReadyForQuery at Sync."""
    with Raw() as raw:
        raw.login(cluster, issued(cluster))
        for _ in range(2):  # Sync ends the skipping: the next extended query is refused again
            raw.send(b"P", b"\0SELECT 1\0" + struct.pack("!h", 0))
            raw.send(b"B", b"\0\0" + struct.pack("!hhh", 0, 0, 0))
            raw.send(b"E", b"\0" + struct.pack("!i", 0))
            raw.send(b"S")
            answer = raw.until_ready()
            assert [k for k, _ in answer] == [b"E", b"Z"]
            assert (fields(answer[0][1])["C"], answer[-1]) == ("0A000", (b"Z", b"I"))
        assert raw.query("SELECT 1")[-2:] == [(b"C", b"SELECT 1\0"), (b"Z", b"I")]


def test_terminate_ends_the_session_and_the_door_closes_the_connection(cluster):
    """Terminate ("X"): the backend closes the connection, answering nothing (protocol-flow.html, "Termination")."""
    with Raw() as raw:
        raw.login(cluster, issued(cluster))
        raw.send(b"X")
        assert raw.hung_up()


def test_after_a_fatal_error_the_door_closes_the_connection_inside_tls_or_outside(cluster):
    """"ErrorResponse: The connection attempt has been rejected. The server then immediately closes the
    connection" (protocol-flow.html, "Start-up"): after the FATAL error, whether it came before TLS (no SSLRequest)
    or inside it (a wrong password, a protocol version, a database the cluster lacks), the door hangs up."""
    creds = issued(cluster)
    with Raw() as raw:
        raw.packet(Raw.PROTOCOL_3, Raw.params(user=creds["DbUser"], database="dev"))
        kind, body = raw.message()
        assert (kind, fields(body)["S"], fields(body)["C"]) == (b"E", "FATAL", "28000")
        assert raw.hung_up()
    for startup, password, sqlstate in (
            ((Raw.PROTOCOL_3, Raw.params(user=creds["DbUser"], database="dev")), "not-the-issued-one", "28P01"),
            ((Raw.PROTOCOL_3, Raw.params(user=creds["DbUser"], database="other")), creds["DbPassword"], "3D000"),
            ((4 << 16, Raw.params(user=creds["DbUser"], database="dev")), None, "08P01")):
        with Raw() as raw:
            raw.tls(cluster["Endpoint"]["Address"])
            raw.packet(*startup)
            if password is not None:
                assert raw.message() == (b"R", struct.pack("!i", 3))
                raw.send(b"p", password.encode() + b"\0")
            kind, body = raw.message()
            assert (kind, fields(body)["S"], fields(body)["C"]) == (b"E", "FATAL", sqlstate)
            assert raw.hung_up(), sqlstate


def test_a_new_stacks_ca_signs_certificates_only_for_ten_years_its_key_readable_by_its_owner_alone(tmp_path):
    """The CA a stack makes: a CA certificate with no intermediate below it (path length 0), whose key signs
    certificates and CRLs and nothing else, both extensions critical (RFC 5280, 4.2.1.9 and 4.2.1.3), valid from
    five minutes before it was made (a client's clock that lags) for 3650 days; the key file mode 0600, the
    certificate 0644."""
    from cryptography import x509

    from sparkify_nb.local.rehearsal import pki

    made = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    path = pki.ensure_ca(tmp_path)
    ca = x509.load_pem_x509_certificate(path.read_bytes())
    basic = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert (basic.critical, basic.value.ca, basic.value.path_length) == (True, True, 0)
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and {n for n in ("digital_signature", "content_commitment", "key_encipherment",
                                           "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign")
                               if getattr(usage.value, n)} == {"key_cert_sign", "crl_sign"}
    assert abs(ca.not_valid_before_utc - (made - dt.timedelta(minutes=5))) <= dt.timedelta(seconds=2)
    assert ca.not_valid_after_utc - ca.not_valid_before_utc == dt.timedelta(days=3650, minutes=5)
    assert ((path.stat().st_mode & 0o777), (path.with_name("ca.key").stat().st_mode & 0o777)) == (0o644, 0o600)
    assert pki.ensure_ca(tmp_path) == path and x509.load_pem_x509_certificate(path.read_bytes()) == ca  # made once


def test_a_host_name_that_is_no_redshift_endpoint_gets_no_certificate(cluster):
    """The door answers the TLS handshake for a Redshift endpoint's name only: for another it sends the alert
    unrecognized_name (RFC 6066, 3) rather than a certificate."""
    assert "unrecognized name" in refusal(cluster, issued(cluster), host="db.example.com")


def test_an_endpoint_no_cluster_has_is_refused_naming_it(cluster):
    gone = dict(cluster, Endpoint={**cluster["Endpoint"], "Address": cluster["Endpoint"]["Address"].replace(
        cluster["ClusterIdentifier"], "rw-no-such-cluster")})
    assert refusal(gone, issued(cluster)) == (
        f'FATAL:  no available Redshift cluster has the endpoint {gone["Endpoint"]["Address"]}')


def test_a_startup_without_a_database_names_the_users_own(cluster):
    """"database: The database to connect to. Defaults to the user name" (protocol-message-formats.html,
    StartupMessage): here a database no cluster has."""
    creds = issued(cluster)
    with Raw() as raw:
        raw.tls(cluster["Endpoint"]["Address"])
        raw.packet(Raw.PROTOCOL_3, Raw.params(user=creds["DbUser"]))
        raw.message()
        raw.send(b"p", creds["DbPassword"].encode() + b"\0")
        kind, body = raw.message()
        assert (kind, fields(body)["C"], fields(body)["M"]) == (b"E", "3D000", f'database "IAM:{MASTER}" does not exist')


def test_a_query_stops_at_its_first_failing_statement_whether_redshift_or_postgresql_fails_it(cluster):
    """"If an error occurs, ErrorResponse is issued followed by ReadyForQuery. All further processing of the
    query string is aborted" (protocol-flow.html, "Simple Query")."""
    with Raw() as raw:
        raw.login(cluster, issued(cluster))
        raw.query("CREATE TABLE t (a INT)")
        for failing in ("CREATE INDEX i ON t (a)", "SELECT 1 / 0"):
            answer = raw.query(f"SELECT 1; {failing}; SELECT 2; SELECT 3")
            assert [k for k, _ in answer] == [b"T", b"D", b"C", b"E", b"Z"], failing


def test_a_placeholder_the_door_cannot_bind_is_refused_as_a_syntax_error(cluster):
    """The simple query protocol carries no parameter values: a positional ($1) or named (:x) placeholder
    is refused (42601) and the session goes on."""
    with Raw() as raw:
        raw.login(cluster, issued(cluster))
        for text in ("SELECT $1", "SELECT :x"):
            answer = raw.query(text)
            assert ([k for k, _ in answer], fields(answer[0][1])["C"]) == ([b"E", b"Z"], "42601"), text
        assert raw.query("SELECT 1")[-1] == (b"Z", b"I")


def test_two_doors_started_without_a_port_each_listen_on_a_free_one_of_their_own(tmp_path):
    from sparkify_nb.local.rehearsal import wire

    first = wire.serve(tmp_path, None)
    second = wire.serve(tmp_path, None)
    try:
        assert first.server_address[0] == second.server_address[0] == "127.0.0.1"
        assert first.server_address[1] != second.server_address[1]
    finally:
        first.server_close()
        second.server_close()


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


def test_several_statements_in_one_query_are_one_transaction_unless_they_say_otherwise(cluster):
    """Outside a transaction block the statements of one Query run as one transaction: committed after the
    last, rolled back when one fails; a COMMIT among them commits what came before it, and a BEGIN turns the
    statements before it into a regular block's (protocol-flow.html, "Multiple Statements in a Simple Query")."""
    conn, other = connect(cluster, issued(cluster)), connect(cluster, issued(cluster))
    conn.autocommit = other.autocommit = True
    try:
        cur, seen = conn.cursor(), other.cursor()

        def rows_seen() -> list[int]:  # from another session: what was committed
            seen.execute("SELECT a FROM t ORDER BY a")
            return [r[0] for r in seen.fetchall()]

        cur.execute("CREATE TABLE t (a INT)")
        for failing, error in (("CREATE INDEX i ON t (a)", psycopg2.errors.FeatureNotSupported),
                               ("SELECT 1 / 0", psycopg2.errors.DivisionByZero)):
            with pytest.raises(error):
                cur.execute(f"INSERT INTO t VALUES (1); {failing}; INSERT INTO t VALUES (2)")
            assert (rows_seen(), conn.info.transaction_status) == ([], extensions.TRANSACTION_STATUS_IDLE), failing
        with pytest.raises(psycopg2.errors.DivisionByZero):  # two statements are one transaction too
            cur.execute("INSERT INTO t VALUES (1); SELECT 1 / 0")
        assert (rows_seen(), conn.info.transaction_status) == ([], extensions.TRANSACTION_STATUS_IDLE)
        cur.execute("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)")
        assert (rows_seen(), conn.info.transaction_status) == ([1, 2], extensions.TRANSACTION_STATUS_IDLE)
        with pytest.raises(psycopg2.errors.DivisionByZero):
            cur.execute("BEGIN; INSERT INTO t VALUES (3); COMMIT; INSERT INTO t VALUES (4); SELECT 1 / 0")
        assert (rows_seen(), conn.info.transaction_status) == ([1, 2, 3], extensions.TRANSACTION_STATUS_IDLE)
        cur.execute("INSERT INTO t VALUES (5); BEGIN; INSERT INTO t VALUES (6)")
        assert (rows_seen(), conn.info.transaction_status) == ([1, 2, 3], extensions.TRANSACTION_STATUS_INTRANS)
        cur.execute("SELECT a FROM t ORDER BY a")  # the statements after the BEGIN ran, in the block
        assert [r[0] for r in cur.fetchall()] == [1, 2, 3, 5, 6]
        cur.execute("ROLLBACK")
        assert rows_seen() == [1, 2, 3]
        with pytest.raises(psycopg2.errors.DivisionByZero):  # a statement is known by its first word: COMMIT WORK
            cur.execute("INSERT INTO t VALUES (7); COMMIT WORK; INSERT INTO t VALUES (8); SELECT 1 / 0")
        assert rows_seen() == [1, 2, 3, 7]
        cur.execute("VACUUM t")  # a statement alone runs in no block (VACUUM cannot run inside one)
    finally:
        conn.close()
        other.close()


def test_the_databases_error_reaches_the_client_with_its_sqlstate_message_and_detail(cluster):
    """An error PostgreSQL raises comes through the door as its ErrorResponse: SQLSTATE, primary message and
    detail, each in its own field (protocol-error-fields.html)."""
    with connect(cluster, issued(cluster)) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE t (a INT NOT NULL)")
        with pytest.raises(psycopg2.errors.NotNullViolation) as err:
            cur.execute("INSERT INTO t VALUES (NULL)")
    diag = err.value.diag
    assert (err.value.pgcode, diag.message_primary, diag.message_detail) == (
        "23502", 'null value in column "a" of relation "t" violates not-null constraint', "Failing row contains (null).")


def test_a_query_that_does_not_tokenize_is_run_and_refused_not_taken_for_an_empty_one(cluster):
    """A string left open has no end to split at: the text goes whole to the parser, which refuses it."""
    with Raw() as raw:
        raw.login(cluster, issued(cluster))
        answer = raw.query("SELECT 'never closed")
        assert [k for k, _ in answer] == [b"E", b"Z"] and fields(answer[0][1])["C"] == "42601"


def test_a_copy_that_fails_outside_a_block_keeps_its_id_when_its_data_failed_it_and_leaves_no_block_open(
        bucket):  # noqa: F811
    """Through the door in autocommit a COPY opens its own transaction. Failing on its data (MAXERROR reached)
    it rolls back and yet "the COPY ID is updated" (PG_LAST_COPY_ID.html), so stl_load_errors is read by it;
    failing before it reads a record (a jsonpaths file of the wrong length) it rolls back its transaction,
    the COPY ID unchanged, and the session takes the next statement."""
    role = make_role(reads(bucket, "*"))
    cluster = make_public_cluster(roles=[role])
    settings = config.load(overrides={"general.target": "redshift", "general.region": REGION})
    conn = connect(cluster, issued(cluster))
    conn.autocommit = True
    try:
        cur = conn.cursor()
        for sql in schema.create_statements("redshift"):
            cur.execute(sql)
        cur.execute(copy_client.copy_statement(settings, schema.STAGING_SONGS, f"s3://{bucket}/song_data", None,
                                               role, 10, region=REGION))
        cur.execute("SELECT pg_last_copy_id(), pg_last_copy_count()")
        [(loaded, count)] = cur.fetchall()
        assert count == 20
        jsonpaths = f"s3://{bucket}/log_json_path.json"
        with pytest.raises(psycopg2.Error, match="Load into table 'staging_events' failed"):
            cur.execute(copy_client.copy_statement(settings, schema.STAGING_EVENTS, f"s3://{bucket}/bad_log",
                                                   jsonpaths, role, 1, region=REGION))
        cur.execute("SELECT pg_last_copy_id(), pg_last_copy_count(), "
                    "(SELECT COUNT(*) FROM stl_load_errors WHERE query = pg_last_copy_id())")
        [(failed, count, rejects)] = cur.fetchall()
        assert (failed > loaded, count, rejects) == (True, 0, 1)
        with pytest.raises(psycopg2.Error, match="jsonpaths for the"):
            cur.execute(copy_client.copy_statement(settings, schema.STAGING_SONGS, f"s3://{bucket}/song_data",
                                                   jsonpaths, role, 10, region=REGION))
        assert conn.info.transaction_status == extensions.TRANSACTION_STATUS_IDLE
        cur.execute("SELECT pg_last_copy_id(), pg_last_copy_count()")
        assert cur.fetchall() == [(failed, 0)]
    finally:
        conn.close()


def test_a_copy_that_fails_on_its_data_in_a_block_keeps_its_id_after_the_rollback(bucket):  # noqa: F811
    """"If the COPY fails because of invalid load data, the COPY ID is updated, so you can use PG_LAST_COPY_ID
    when you query STL_LOAD_ERRORS table. If the COPY transaction is rolled back, the COPY ID is not updated"
    (PG_LAST_COPY_ID.html). In a client's transaction block (psycopg2 opens one) a COPY failing on its data
    leaves the block failed; the client's ROLLBACK ends it, and the failed COPY's id stays, its rejects found by
    it. A COPY that loaded in a block rolled back leaves the id as it was."""
    role = make_role(reads(bucket, "*"))
    cluster = make_public_cluster(roles=[role])
    settings = config.load(overrides={"general.target": "redshift", "general.region": REGION})
    jsonpaths = f"s3://{bucket}/log_json_path.json"
    conn = connect(cluster, issued(cluster))
    try:
        cur = conn.cursor()
        for sql in schema.create_statements("redshift"):
            cur.execute(sql)
        conn.commit()
        with pytest.raises(psycopg2.Error, match="Load into table 'staging_events' failed"):
            cur.execute(copy_client.copy_statement(settings, schema.STAGING_EVENTS, f"s3://{bucket}/bad_log",
                                                   jsonpaths, role, 1, region=REGION))
        assert conn.info.transaction_status == extensions.TRANSACTION_STATUS_INERROR
        conn.rollback()
        cur.execute("SELECT pg_last_copy_id(), pg_last_copy_count(), "
                    "(SELECT COUNT(*) FROM stl_load_errors WHERE query = pg_last_copy_id())")
        [(failed, count, rejects)] = cur.fetchall()
        assert (failed > 0, count, rejects) == (True, 0, 1)
        conn.commit()
        cur.execute(copy_client.copy_statement(settings, schema.STAGING_SONGS, f"s3://{bucket}/song_data", None,
                                               role, 10, region=REGION))
        assert cur.rowcount == 20
        conn.rollback()
        cur.execute("SELECT pg_last_copy_id(), pg_last_copy_count()")
        assert cur.fetchall() == [(failed, 0)]
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
