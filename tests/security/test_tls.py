"""The local CA: a server certificate for loopback that a verifying client accepts."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

from cryptography import x509

from bus.security.tls import ensure_server_files


def test_the_certificate_names_loopback_and_is_signed_by_the_ca(tmp_path: Path) -> None:
    files = ensure_server_files(tmp_path / "tls", "broker")
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    cert.verify_directly_issued_by(ca)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    for secret in (files.key, tmp_path / "tls" / "ca-key.pem"):
        assert secret.stat().st_mode & 0o077 == 0
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(files.cert, files.key)  # the key matches the certificate


def test_a_second_call_keeps_the_ca_and_the_certificate(tmp_path: Path) -> None:
    first = ensure_server_files(tmp_path, "broker")
    texts = [first.ca.read_bytes(), first.cert.read_bytes()]
    again = ensure_server_files(tmp_path, "broker")
    assert [again.ca.read_bytes(), again.cert.read_bytes()] == texts
    other = ensure_server_files(tmp_path, "registry")
    assert other.ca == first.ca and other.cert.read_bytes() != texts[1]
