"""Settings turned into client options: nothing on PLAINTEXT, SASL and TLS sets otherwise."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from pydantic import SecretStr

from bus.errors import ConfigurationError
from bus.kafka.connection import client_kwargs, librdkafka_config, security_kwargs
from bus.security.tls import ensure_server_files
from bus.settings import Settings


def test_plaintext_adds_no_security_options() -> None:
    settings = Settings(bootstrap_servers="k1:9092,k2:9092")
    assert security_kwargs(settings) == {}
    assert client_kwargs(settings) == {"bootstrap_servers": "k1:9092,k2:9092"}
    config = librdkafka_config(settings)
    assert config.pop("logger").name == "librdkafka"
    assert config == {"bootstrap.servers": "k1:9092,k2:9092"}


def test_sasl_options_carry_the_principal_for_aiokafka_and_librdkafka() -> None:
    settings = Settings(
        security_protocol="SASL_PLAINTEXT",
        sasl_username="router",
        sasl_password=SecretStr("s3cret"),
    )
    assert security_kwargs(settings) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "router",
        "sasl_plain_password": "s3cret",
    }
    assert "s3cret" not in repr(settings)
    config = librdkafka_config(settings)
    assert config.pop("logger").name == "librdkafka"
    assert config == {
        "bootstrap.servers": settings.bootstrap_servers,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "router",
        "sasl.password": "s3cret",
    }


def test_sasl_without_a_principal_says_which_variables_to_set() -> None:
    with pytest.raises(ConfigurationError, match="BUS_SASL_USERNAME and BUS_SASL_PASSWORD"):
        security_kwargs(Settings(security_protocol="SASL_PLAINTEXT"))


def test_ssl_verifies_the_brokers_with_the_ca_file_for_aiokafka_and_librdkafka(
    tmp_path: Path,
) -> None:
    files = ensure_server_files(tmp_path, "client")
    settings = Settings(
        security_protocol="SSL",
        ssl_cafile=files.ca,
        ssl_certfile=files.cert,
        ssl_keyfile=files.key,
    )
    kwargs = security_kwargs(settings)
    context = kwargs.pop("ssl_context")
    assert kwargs == {"security_protocol": "SSL"}
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [ca["subject"] for ca in context.get_ca_certs()] == [
        ((("commonName", "agency-bus local CA"),),)
    ]
    config = librdkafka_config(settings)
    config.pop("logger")
    assert config == {
        "bootstrap.servers": settings.bootstrap_servers,
        "security.protocol": "SSL",
        "ssl.ca.location": str(files.ca),
        "ssl.certificate.location": str(files.cert),
        "ssl.key.location": str(files.key),
    }


def test_sasl_ssl_carries_both_the_principal_and_the_tls_files(tmp_path: Path) -> None:
    files = ensure_server_files(tmp_path)
    settings = Settings(
        security_protocol="SASL_SSL",
        sasl_username="router",
        sasl_password=SecretStr("s3cret"),
        ssl_cafile=files.ca,
    )
    assert isinstance(security_kwargs(settings)["ssl_context"], ssl.SSLContext)
    config = librdkafka_config(settings)
    assert config["security.protocol"] == "SASL_SSL" and config["sasl.username"] == "router"
    assert config["ssl.ca.location"] == str(files.ca)


def test_a_missing_ca_file_names_the_setting(tmp_path: Path) -> None:
    settings = Settings(security_protocol="SSL", ssl_cafile=tmp_path / "nowhere.pem")
    with pytest.raises(ConfigurationError, match=r"BUS_SSL_CAFILE=.*nowhere\.pem"):
        librdkafka_config(settings)
