"""Each worker process of a folder takes its own slot, and a restarted one takes it back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bus.errors import ConfigurationError
from bus.settings import Settings
from bus.worker import identity
from bus.worker.identity import claim


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, worker_dir=tmp_path, metrics_port=9200, **values)  # type: ignore[call-arg]


def test_two_workers_of_one_folder_get_their_own_slot_port_and_identity(tmp_path: Path) -> None:
    first, second = claim(_settings(tmp_path)), claim(_settings(tmp_path))
    try:
        assert (first.slot, second.slot) == (0, 1)
        assert (first.metrics_port, second.metrics_port) == (9200, 9201)
        assert first.folder != second.folder and first.instance != second.instance
    finally:
        first.release()
        second.release()


def test_a_restarted_worker_takes_its_slot_and_identity_back(tmp_path: Path) -> None:
    first = claim(_settings(tmp_path))
    first.release()
    again = claim(_settings(tmp_path))
    again.release()
    assert (again.slot, again.instance) == (first.slot, first.instance)


def test_a_killed_worker_frees_its_slot(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from bus.settings import Settings; from bus.worker.identity "
            f"import claim; claim(Settings(worker_dir={str(tmp_path)!r})); print('held', "
            "flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        taken = claim(_settings(tmp_path))
        assert taken.slot == 1
        taken.release()
    finally:
        holder.kill()
        holder.wait()
    back = claim(_settings(tmp_path))
    back.release()
    assert back.slot == 0


def test_worker_id_names_the_worker_whatever_its_slot(tmp_path: Path) -> None:
    named = claim(_settings(tmp_path, worker_id="router-a"))
    named.release()
    assert named.instance == "router-a"


def test_a_full_folder_is_a_configuration_error_that_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(identity, "SLOTS", 1)
    held = claim(_settings(tmp_path))
    try:
        with pytest.raises(ConfigurationError, match="BUS_WORKER_DIR"):
            claim(_settings(tmp_path))
    finally:
        held.release()
