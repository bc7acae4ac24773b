"""Verified TLS with ``[cluster] access = direct`` (sparkify_nb/warehouse/tls.py).

The refusal is shown against a TLS server of our own on loopback that speaks
the start of PostgreSQL's protocol (SSLRequest, then the TLS handshake;
https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SSL),
with certificates made here by a throwaway CA: one for another name, one for
127.0.0.1. libpq does the verifying, exactly as it would against Redshift.
"""

import datetime as dt
import ipaddress
import socket
import ssl
import struct
import threading
import warnings

import certifi
import psycopg2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sparkify_nb import config, warehouse
from sparkify_nb.infra import state
from sparkify_nb.warehouse import tls

SSL_REQUEST = struct.pack("!ii", 8, 80877103)


def _name(common):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _cert(subject, issuer, key, signer, *, ca=False, san=None):
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA (its PEM is the trust store) and two server certificates it signed."""
    root = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("Sparkify test CA", "Sparkify test CA", ca_key, ca_key, ca=True)
    (root / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for label, san in (("wrong", [x509.DNSName("wrong.example")]), ("right", [x509.IPAddress(
            ipaddress.ip_address("127.0.0.1"))])):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert(label, "Sparkify test CA", key, ca_key, san=san)
        (root / f"{label}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return root


@pytest.fixture
def tls_server(pki):
    """``start(label)``: a loopback server presenting ``<label>.pem``; returns its port."""
    sockets = []

    def serve(listener, context):
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            if conn.recv(8) == SSL_REQUEST:
                conn.sendall(b"S")
                try:
                    with context.wrap_socket(conn, server_side=True) as wrapped:
                        wrapped.recv(1024)  # the startup message; then hang up (no database here)
                except (ssl.SSLError, OSError):
                    pass  # the client refused our certificate

    def start(label):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pki / f"{label}.pem")
        listener = socket.create_server(("127.0.0.1", 0))
        sockets.append(listener)
        threading.Thread(target=serve, args=(listener, context), daemon=True).start()
        return listener.getsockname()[1]

    yield start
    for listener in sockets:
        listener.close()


def connect(port, **ssl):
    return psycopg2.connect(host="127.0.0.1", port=port, user="nobody", dbname="nothing", connect_timeout=5, **ssl)


def direct_settings(tmp_path, **extra):
    return config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "general.stack_name": "tls", "cluster.access": "direct", **extra})


def test_direct_access_connects_with_verify_full_against_the_ca_bundle(tmp_path, monkeypatch):
    settings = direct_settings(tmp_path)
    monkeypatch.setenv("SPARKIFY_DB_PASSWORD", "from-the-environment")
    state.save(settings, {"endpoint": "tls-dwh.abc.us-west-2.redshift.amazonaws.com", "port": 5439,
                          "cluster_identifier": "tls-dwh"})
    try:
        params = warehouse.connect._redshift_params(settings, clients=lambda service: pytest.fail("no AWS call"))
    finally:
        state.clear(settings)
    assert (params["sslmode"], params["sslrootcert"]) == ("verify-full", certifi.where())
    assert "system" not in params["sslrootcert"]


def test_ssl_root_cert_names_the_bundle_and_a_missing_file_is_named(tmp_path, pki):
    assert tls.ssl_params(direct_settings(tmp_path, **{"cluster.ssl_root_cert": str(pki / "ca.pem")})) == {
        "sslmode": "verify-full", "sslrootcert": str(pki / "ca.pem")}
    with pytest.raises(warehouse.WarehouseError, match=r"\[cluster\] ssl_root_cert = /no/such\.pem: no such file\. "
                       r"Download https://s3\.amazonaws\.com/redshift-downloads/amazon-trust-ca-bundle\.crt"):
        tls.ssl_params(direct_settings(tmp_path, **{"cluster.ssl_root_cert": "/no/such.pem"}))


def test_the_default_bundle_holds_the_roots_acm_certificates_chain_to():
    with warnings.catch_warnings():  # a root of Mozilla's list has a serial number RFC 5280 disallows
        warnings.simplefilter("ignore")
        certs = x509.load_pem_x509_certificates(open(certifi.where(), "rb").read())
    subjects = {c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
                for c in certs if c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)}
    assert set(tls.AMAZON_ROOTS) <= subjects


def test_verify_full_refuses_a_server_whose_certificate_names_another_host(tls_server, pki):
    port = tls_server("wrong")
    with pytest.raises(psycopg2.OperationalError, match=r'server certificate for "wrong\.example".* does not '
                                                        r'match host name "127\.0\.0\.1"'):
        connect(port, sslmode="verify-full", sslrootcert=str(pki / "ca.pem"))


def test_sslmode_require_would_have_sent_the_password_to_that_server(tls_server):
    """What the suite did before: require encrypts but checks nothing, so the handshake with the wrong
    server succeeds and only the missing database ends the connection."""
    port = tls_server("wrong")
    with pytest.raises(psycopg2.OperationalError) as refused:
        connect(port, sslmode="require")
    assert "certificate" not in str(refused.value)


def test_verify_full_accepts_the_right_certificate_and_refuses_an_unknown_ca(tls_server, pki):
    with pytest.raises(psycopg2.OperationalError) as past_tls:
        connect(tls_server("right"), sslmode="verify-full", sslrootcert=str(pki / "ca.pem"))
    assert "certificate" not in str(past_tls.value)
    with pytest.raises(psycopg2.OperationalError, match="certificate verify failed"):
        connect(tls_server("right"), sslmode="verify-full", sslrootcert=certifi.where())


def test_the_suites_direct_connection_is_refused_by_a_server_with_the_wrong_name(tls_server, pki, tmp_path,
                                                                                 monkeypatch):
    settings = direct_settings(tmp_path, **{"cluster.ssl_root_cert": str(pki / "ca.pem")})
    monkeypatch.setenv("SPARKIFY_DB_PASSWORD", "from-the-environment")
    state.save(settings, {"endpoint": "127.0.0.1", "port": tls_server("wrong"), "cluster_identifier": "tls-dwh"})
    try:
        with pytest.raises(warehouse.WarehouseError, match=r'cannot connect to the redshift warehouse: .*server '
                           r'certificate for "wrong\.example".* does not match host name "127\.0\.0\.1"'):
            warehouse.open_connection(settings)
    finally:
        state.clear(settings)
