"""The certificates of the rehearsal's wire-protocol front door (:mod:`.wire`):
a certificate authority the local stack makes once (``<state>/local/ca/``), and
a server certificate for each endpoint host name a client asks for, issued by
that CA on the fly.

Why a CA of our own rather than a self-signed certificate: a client with
``sslmode=verify-full`` checks that the server's certificate chains to a root
in ``sslrootcert`` *and* names the host it connected to
(https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION);
the rehearsal keeps both checks real by pointing ``[cluster] ssl_root_cert``
at ``ca.pem`` (``warehouse.tls.root_cert`` does on a rehearsal) and naming the
cluster's endpoint as ``host`` (``hostaddr`` says where it really is). On
AWS the certificate is an ACM one that chains to Amazon's roots instead
(https://docs.aws.amazon.com/redshift/latest/mgmt/connecting-ssl-support.html).

The CA's key stays in ``ca/`` (mode 0600), read by the front door alone; the
server keys live in memory only. Nothing here is a credential of anything
but the rehearsal's own TLS.
"""

from __future__ import annotations

import datetime as dt
import os
import ssl
import tempfile
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CA_NAME = "Sparkify rehearsal CA"
CA_YEARS = 10
SERVER_DAYS = 30


def ca_dir(state: Path | None = None) -> Path:
    """The CA's folder (its certificate: ``local.rehearsal_ca_path()``)."""
    from .. import stack

    return stack.rehearsal_ca_path(state).parent


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write atomically (a reader never sees half a file) with ``mode``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def ensure_ca(state: Path | None = None) -> Path:
    """Make the stack's CA unless it exists; return its certificate's path."""
    folder = ca_dir(state)
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "ca.pem", folder / "ca.key"
    if cert.is_file() and key.is_file():
        return cert
    private = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    ca = (x509.CertificateBuilder().subject_name(_name(CA_NAME)).issuer_name(_name(CA_NAME))
          .public_key(private.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .sign(private, hashes.SHA256()))
    _write(key, private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()), 0o600)
    _write(cert, ca.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert


class Issuer:
    """Server TLS contexts, one per host name, each with a certificate for that name signed by the CA."""

    def __init__(self, state: Path | None = None):
        ensure_ca(state)
        folder = ca_dir(state)
        self._ca = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
        self._key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), password=None)
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def context(self, host: str) -> ssl.SSLContext:
        """A server context presenting a certificate for ``host`` (DNS name), made on first use."""
        with self._lock:
            if host not in self._contexts:
                self._contexts[host] = self._make(host)
            return self._contexts[host]

    def _make(self, host: str) -> ssl.SSLContext:
        private = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.timezone.utc)
        # X.509 caps a common name at 64 characters, which a workgroup's endpoint name can pass; the name
        # a client checks is the subjectAltName's (RFC 6125), so a long one goes there alone
        common = host if len(host) <= 64 else "Sparkify rehearsal endpoint"
        cert = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(self._ca.subject)
                .public_key(private.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(self._key, hashes.SHA256()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        # the ssl module loads a chain from files only: a private temporary file, gone at once
        with tempfile.NamedTemporaryFile("wb", suffix=".pem") as pem:
            pem.write(cert.public_bytes(serialization.Encoding.PEM) + private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            pem.flush()
            context.load_cert_chain(pem.name)
        return context
