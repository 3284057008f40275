"""The gateway's clients file: checked against the catalogue, secrets from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bus.catalogue import Catalogue
from bus.errors import ConfigurationError
from connectors.gateway import load_clients
from connectors.gateway.clients import Authenticator

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
    ],
    ids=["unknown-authority", "no-credentials", "unset-variable", "misspelt-field"],
)
def test_a_wrong_clients_file_is_a_configuration_error_saying_what(
    tmp_path: Path, text: str, problem: str
) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        load_clients(write(tmp_path, text), CATALOGUE, {})
