"""The rehearsal's certificate authority and the server certificates its front door presents
(sparkify_nb/local/rehearsal/pki.py): pure, in a temporary state folder, no stack."""

import socket
import ssl
import threading

from cryptography import x509

from sparkify_nb.local.rehearsal import pki


def test_the_ca_is_made_once_its_key_private_to_its_owner_and_made_again_when_either_file_is_gone(tmp_path):
    cert = pki.ensure_ca(tmp_path)
    key = cert.parent / "ca.key"
    assert (cert.stat().st_mode & 0o777, key.stat().st_mode & 0o777) == (0o644, 0o600)
    first = cert.read_bytes()
    assert pki.ensure_ca(tmp_path) == cert and cert.read_bytes() == first  # kept: clients trust it
    key.unlink()
    pki.ensure_ca(tmp_path)
    assert key.is_file() and cert.read_bytes() != first  # a certificate without its key is made again, with a key
    second = cert.read_bytes()
    cert.unlink()
    pki.ensure_ca(tmp_path)
    assert cert.is_file() and cert.read_bytes() != second


def _served(issuer: pki.Issuer, host: str, ca: str) -> tuple[dict, x509.Certificate]:
    """The certificate a client verifying against ``ca`` sees when it asks the door for ``host`` (SNI): as the
    ssl module reads it, and whole."""
    ours, theirs = socket.socketpair()
    server = issuer.context(host).wrap_socket(ours, server_side=True, do_handshake_on_connect=False)
    shaking = threading.Thread(target=server.do_handshake, daemon=True)
    shaking.start()
    client = ssl.create_default_context(cafile=ca).wrap_socket(theirs, server_hostname=host)
    try:
        return client.getpeercert(), x509.load_der_x509_certificate(client.getpeercert(binary_form=True))
    finally:
        shaking.join(5)
        client.close()
        server.close()


def test_a_server_certificate_names_its_host_and_a_common_name_only_up_to_x509s_64_characters(tmp_path):
    """The client checks the subjectAltName (RFC 6125), which holds the host whatever its length; X.509 caps a
    common name at 64 characters, so a longer host name gets a generic one."""
    ca = str(pki.ensure_ca(tmp_path))
    issuer = pki.Issuer(tmp_path)
    for length, common in ((64, None), (65, "Sparkify rehearsal endpoint")):
        host = ("h" * (length - len(".example.com"))) + ".example.com"
        assert len(host) == length
        seen, whole = _served(issuer, host, ca)
        assert seen["subjectAltName"] == (("DNS", host),)
        assert seen["subject"] == ((("commonName", common or host),),)
        assert seen["issuer"] == ((("commonName", pki.CA_NAME),),)
        # a server's certificate, not an authority's: it can sign no other certificate
        assert whole.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
        assert list(whole.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
            x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]
