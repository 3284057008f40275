"""The gateway's clients file: checked against the catalogue, secrets from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bus.catalogue import Catalogue
from bus.errors import ConfigurationError
from connectors.gateway import load_clients
from connectors.gateway.clients import Authenticator
from connectors.gateway.ratelimit import RateLimit

CATALOGUE = Catalogue.model_validate(
    {"authorities": {"police": {"code": "police", "name": "Police"}}}
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "clients.yaml"
    path.write_text(text)
    return path


def test_keys_are_read_from_the_environment_and_find_their_client(tmp_path: Path) -> None:
    path = write(tmp_path, "clients:\n  - {name: bot, authority: police, api_keys: ['${K}']}\n")
    [client] = load_clients(path, CATALOGUE, {"K": "key-1"})
    assert client.source == "assistant:police"
    assert "key-1" not in repr(client)
    auth = Authenticator([client])
    assert auth.authenticate({"Authorization": "Bearer key-1"}, b"") == client
    assert auth.authenticate({"Authorization": "Bearer key-2"}, b"") is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("clients:\n  - {name: bot, authority: nowhere, api_keys: [k]}\n", "not in the catalogue"),
        ("clients:\n  - {name: bot, authority: police}\n", "api_keys or an hmac_secret"),
        ("clients:\n  - {name: bot, authority: police, api_keys: ['${UNSET_K}']}\n", "UNSET_K"),
        ("clients:\n  - {name: bot, authority: police, apikeys: [k]}\n", "apikeys"),
        (
            "clients:\n  - {name: bot, authority: police, api_keys: [k], "
            "rate_limit: {per_second: 0}}\n",
            "per_second",
        ),
    ],
    ids=["unknown-authority", "no-credentials", "unset-variable", "misspelt-field", "zero-rate"],
)
def test_a_wrong_clients_file_is_a_configuration_error_saying_what(
    tmp_path: Path, text: str, problem: str
) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        load_clients(write(tmp_path, text), CATALOGUE, {})


def test_a_rate_limit_is_read_with_a_burst_of_one_second_by_default(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "clients:\n"
        "  - {name: a, authority: police, api_keys: [k1], rate_limit: {per_second: 2.5}}\n"
        "  - {name: b, authority: police, api_keys: [k2], rate_limit: {per_second: 1, burst: 9}}\n"
        "  - {name: c, authority: police, api_keys: [k3]}\n",
    )
    a, b, c = load_clients(path, CATALOGUE, {})
    assert (a.rate_limit, b.rate_limit, c.rate_limit) == (RateLimit(2.5, 3), RateLimit(1, 9), None)


def test_the_example_clients_file_loads() -> None:
    example = Path(__file__).parents[3] / "deploy/connectors/gateway-clients.example.yaml"
    catalogue = Catalogue.model_validate(
        {
            "authorities": {
                "police": {"code": "police", "name": "Police"},
                "tax-board": {"code": "tax-board", "name": "Tax"},
            }
        }
    )
    environ = {"BUS_GATEWAY_KEY_TAX_BOT": "k", "BUS_GATEWAY_HMAC_POLICE_BOT": "s"}
    tax_bot, police_bot = load_clients(example, catalogue, environ)
    assert tax_bot.rate_limit == RateLimit(20, 40)
    assert police_bot.rate_limit is None
