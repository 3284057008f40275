"""``bus acl apply`` refusing an unsecured cluster, and the credentials file it keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from bus.errors import ConfigurationError
from bus.security.credentials import read_passwords, with_new_passwords, write_passwords
from bus.supervise import run_bus


def test_acl_apply_on_a_plaintext_cluster_says_how_to_secure_it() -> None:
    result = run_bus("acl", "apply", "--dry-run", env={"BUS_SECURITY_PROTOCOL": "PLAINTEXT"})
    assert result.returncode == 2
    assert "BUS_SECURITY_PROTOCOL=SASL_PLAINTEXT" in result.stderr and "--sasl" in result.stderr


def test_new_users_get_random_passwords_and_known_ones_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "users.txt"
    write_passwords(path, {"router": "kept=with=equals"})
    passwords = with_new_passwords(read_passwords(path), ["router", "auditor", "gateway"])
    write_passwords(path, passwords)
    again = read_passwords(path)
    assert again["router"] == "kept=with=equals"
    assert len(again["auditor"]) >= 24 and again["auditor"] != again["gateway"]
    assert path.stat().st_mode & 0o077 == 0


def test_a_malformed_credentials_line_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "users.txt"
    path.write_text("# comment\nrouter=pw\nno-password-here\n")
    with pytest.raises(ConfigurationError, match=r"users\.txt:3"):
        read_passwords(path)
