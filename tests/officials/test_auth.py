"""Bearer tokens mapped to officials by the officials file, which holds only digests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bus.errors import ConfigurationError
from bus.officials.auth import Directory, new_token


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
