"""``bus officials token`` makes a token and the digest that goes in the officials file."""

from __future__ import annotations

import hashlib

from bus.supervise import run_bus


def test_the_token_command_prints_a_token_and_its_sha256() -> None:
    result = run_bus("officials", "token")
    assert result.returncode == 0, result.stderr
    lines = dict(line.rsplit(": ", 1) for line in result.stdout.splitlines())
    token = lines["token (give it to the official, keep it nowhere else)"]
    assert len(token) >= 40
    assert lines["officials file entry: token_sha256"] == hashlib.sha256(token.encode()).hexdigest()


def test_serving_without_an_officials_file_says_what_to_set() -> None:
    result = run_bus("officials", "serve", env={"BUS_OFFICIALS": ""})
    assert result.returncode == 2
    assert "BUS_OFFICIALS" in result.stderr
