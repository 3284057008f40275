"""Settings turned into client options: nothing on PLAINTEXT, a full SASL set otherwise."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bus.errors import ConfigurationError
from bus.kafka.connection import client_kwargs, librdkafka_config, security_kwargs
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
