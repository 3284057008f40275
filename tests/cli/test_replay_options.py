"""``bus replay`` options that could match nothing are usage errors, not an empty replay that
exits 0 and reads like a quiet log. Checked before Kafka is reached (here: a closed port)."""

from __future__ import annotations

import pytest

from bus.kafka.local import free_port
from bus.supervise import run_bus


def _replay(*args: str) -> tuple[int, str]:
    result = run_bus("replay", *args, env={"BUS_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"})
    return result.returncode, result.stderr


def test_an_unknown_type_is_a_usage_error_that_suggests_the_type_meant() -> None:
    code, stderr = _replay("--type", "Greting")
    assert code == 2
    assert stderr.startswith("bus: error: --type: unknown event type 'Greting'")
    assert "did you mean Greeting?" in stderr


@pytest.mark.parametrize(
    ("start", "end"),
    [("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"), ("1767225600000", "1767225600000")],
    ids=["after", "the same time"],
)
def test_from_not_before_to_is_a_usage_error(start: str, end: str) -> None:
    code, stderr = _replay("--from", start, "--to", end)
    assert code == 2
    assert stderr.startswith(f"bus: error: --from {start} is not before --to {end}")
