"""Bearer tokens mapped to officials by the officials file, which holds only digests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bus.catalogue import load_catalogue
from bus.errors import ConfigurationError
from bus.officials.auth import EXAMPLE, Directory, new_token
from bus.settings import PROJECT_ROOT, Settings


def write(path: Path, *entries: dict[str, str]) -> Path:
    path.write_text(yaml.safe_dump({"officials": list(entries)}))
    return path


def test_a_token_maps_to_its_official_and_a_wrong_one_to_nobody(tmp_path: Path) -> None:
    token, digest = new_token()
    entry = {"id": "anna", "name": "Anna", "authority": "police", "token_sha256": digest}
    directory = Directory.load(write(tmp_path / "o.yaml", entry), {"police"})
    official = directory.authenticate(f"Bearer {token}")
    assert official is not None and (official.id, official.authority) == ("anna", "police")
    assert directory.authenticate("Bearer wrong") is None
    assert directory.authenticate(token) is None
    assert directory.authenticate(None) is None
    assert token not in (tmp_path / "o.yaml").read_text()


def test_an_official_of_an_authority_not_in_the_catalogue_is_a_configuration_error(
    tmp_path: Path,
) -> None:
    _, digest = new_token()
    entry = {"id": "x", "name": "X", "authority": "nowhere", "token_sha256": digest}
    with pytest.raises(ConfigurationError, match="nowhere"):
        Directory.load(write(tmp_path / "o.yaml", entry), {"police"})


def test_a_missing_officials_setting_says_what_to_set() -> None:
    with pytest.raises(ConfigurationError, match="BUS_OFFICIALS"):
        Directory.load(None, {"police"})


def test_a_clear_text_token_in_the_file_is_refused(tmp_path: Path) -> None:
    entry = {"id": "x", "name": "X", "authority": "police", "token_sha256": "secret"}
    with pytest.raises(ConfigurationError, match="token_sha256"):
        Directory.load(write(tmp_path / "o.yaml", entry), {"police"})


def test_the_example_officials_file_loads_with_the_example_catalogue() -> None:
    settings = Settings()
    catalogue = load_catalogue(settings.catalogue)
    directory = Directory.load(PROJECT_ROOT / EXAMPLE, set(catalogue.authorities))
    assert {official.authority for official in directory.officials} <= set(catalogue.authorities)
    assert len(directory.officials) >= 2


def test_a_file_that_is_no_officials_file_is_one_line_naming_the_example(tmp_path: Path) -> None:
    wrong = tmp_path / "o.yaml"
    wrong.write_text(yaml.safe_dump({"people": [{"id": "anna"}]}))
    with pytest.raises(ConfigurationError) as raised:
        Directory.load(wrong, {"police"})
    message = str(raised.value)
    assert "officials: Field required; people: unknown key" in message
    assert EXAMPLE in message and "\n" not in message
