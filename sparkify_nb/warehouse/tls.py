"""Verified TLS for ``[cluster] access = direct``: psycopg2 connects with
``sslmode=verify-full`` and a trust store of certificate authorities, so the
IAM temporary credentials go only to a server that proves it is the cluster.

``sslmode=require`` (what the suite used before) encrypts but verifies nothing:
whoever sits in the middle can present any certificate and read the password.
``verify-full`` checks the chain against ``sslrootcert`` and that the name in
the certificate is the host connected to
(https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION).

Which trust store:

- Redshift presents an ACM certificate, and "ACM certificates are publicly
  trusted by most operating systems, web browsers, and clients"
  (https://docs.aws.amazon.com/redshift/latest/mgmt/connecting-ssl-support.html).
  They chain to the Amazon Root CAs 1-4 (and the Starfield Services Root CA -
  G2 that cross-signs them).
- ``sslrootcert=system`` (libpq 16 and newer) would use the system's store.
  psycopg2-binary bundles libpq 17 (``psycopg2.__libpq_version__`` is 170011 in
  2.9.13), but also its own OpenSSL, whose default store is the path it was built
  under (``X509_get_default_cert_file()`` of the bundled libcrypto answers
  ``/host/tmp/libpq.build/cert.pem``; re-check with ``ctypes`` on
  ``psycopg2_binary.libs/libcrypto-*.so.3``), which exists on no user's machine:
  ``system`` would trust nothing unless ``SSL_CERT_FILE`` is set. So not that.
- AWS publishes a bundle for Redshift clients,
  https://s3.amazonaws.com/redshift-downloads/amazon-trust-ca-bundle.crt
  (sha256 ``36dba8e4b8041cd14b9d60158893963301bcbb92e1c456847784de2acb5bd550``,
  as the page above gives it, read 2026-12-01). It could not be downloaded on
  the machine this module was written on (no route to s3.amazonaws.com), so it
  is not shipped. Download it, check the sha256, and point ``[cluster]
  ssl_root_cert`` at it to trust Amazon's roots only.
- The default, :func:`root_cert`: certifi's copy of Mozilla's CA list (a
  declared dependency of the package), which holds the Amazon Root CAs 1-4 and the
  Starfield Services Root CA - G2 (a test checks), i.e. what "publicly trusted"
  means above, with the same hostname check.
"""

from __future__ import annotations

from pathlib import Path

import certifi

from ..config import Settings
from .errors import WarehouseError

AWS_BUNDLE_URL = "https://s3.amazonaws.com/redshift-downloads/amazon-trust-ca-bundle.crt"
AWS_BUNDLE_SHA256 = "36dba8e4b8041cd14b9d60158893963301bcbb92e1c456847784de2acb5bd550"
# The roots ACM certificates chain to; the default store must hold them (tests/test_tls.py).
AMAZON_ROOTS = ("Amazon Root CA 1", "Amazon Root CA 2", "Amazon Root CA 3", "Amazon Root CA 4",
                "Starfield Services Root Certificate Authority - G2")


def root_cert(settings: Settings) -> str:
    """The PEM file of the CAs that verify the warehouse: ``[cluster]
    ssl_root_cert``, else certifi's bundle. On a rehearsal, the CA the local
    stack made (the front door that stands in for the cluster's endpoint
    presents a certificate it issued, not an ACM one; :mod:`sparkify_nb.local.rehearsal.pki`),
    whatever the key says. Raises :class:`WarehouseError` naming the key when
    the file it names does not exist."""
    if settings.rehearsal:
        from .. import local

        return str(local.rehearsal_ca_path())
    path = settings.get("cluster", "ssl_root_cert")
    if not path:
        return certifi.where()
    if not Path(path).expanduser().is_file():
        raise WarehouseError(f"[cluster] ssl_root_cert = {path}: no such file. Download {AWS_BUNDLE_URL}, check "
                             f"its sha256 ({AWS_BUNDLE_SHA256}), and name it here, or leave the key empty")
    return str(Path(path).expanduser())


def ssl_params(settings: Settings) -> dict[str, str]:
    """libpq's TLS keywords for ``access = direct``: ``verify-full`` against :func:`root_cert`."""
    return {"sslmode": "verify-full", "sslrootcert": root_cert(settings)}
