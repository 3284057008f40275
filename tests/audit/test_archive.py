"""Archive files: deterministic names, plain Avro, verified on their own, tampering found."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import fastavro
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bus.audit.archive import archive_files, read_files, write_file
from bus.audit.checkpoint import CheckpointSigner
from bus.audit.manifest import MANIFEST, write_manifest
from bus.audit.verify import LogEntry, verify_partitions
from bus.supervise import run_bus

from .chains import CONTRACTS, HASHER, KEY, SIGNATURES, SIGNER, chain

PUBLIC = KEY.public_key().public_bytes_raw().hex()


def _write(directory: Path, entries: list[LogEntry] | None = None, per_file: int = 5) -> list[Path]:
    entries = entries or chain(12)
    paths = []
    head = bytes(32)
    for start in range(0, len(entries), per_file):
        run = entries[start : start + per_file]
        for entry in run:
            if entry.record is not None:
                head = entry.record["record_hash"]
        paths.append(write_file(directory, run, head, CONTRACTS))
    write_manifest(directory, "bus.audit", SIGNER)
    return paths


def _verify_cli(directory: Path) -> tuple[int, str]:
    result = run_bus("audit", "verify", "--archive", str(directory), "--public-key", PUBLIC)
    return result.returncode, result.stdout + result.stderr


def test_files_are_named_by_partition_offsets_and_head_and_read_by_plain_fastavro(
    tmp_path: Path,
) -> None:
    paths = _write(tmp_path)
    assert [p.name[:32] for p in paths][:2] == [
        "audit-p0000-000000000000-0000000",
        "audit-p0000-000000000005-0000000",
    ]
    with paths[0].open("rb") as file:
        rows = list(fastavro.reader(file))
    assert [row["offset"] for row in rows] == [0, 1, 2, 3, 4]  # type: ignore[index]
    assert rows[4]["checkpoint"] is not None and rows[0]["record"] is not None  # type: ignore[index]


def test_archiving_the_same_log_twice_gives_byte_identical_files(tmp_path: Path) -> None:
    entries = chain(12)
    first = _write(tmp_path / "a", entries)
    second = _write(tmp_path / "b", entries)
    assert [p.name for p in first] == [p.name for p in second]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(first, second, strict=True))
    assert (tmp_path / "a" / MANIFEST).read_bytes() == (tmp_path / "b" / MANIFEST).read_bytes()


ARCHIVE_IN_A_FRESH_PROCESS = """
import pickle, sys
from pathlib import Path
from bus.audit.archive import write_file
from bus.schemas.contracts import load_contracts
from bus.settings import Settings
entries, head = pickle.loads(Path(sys.argv[1]).read_bytes())
write_file(Path(sys.argv[2]), entries, head, load_contracts(Settings().schemas_dir))
"""


def test_the_same_entries_give_the_same_bytes_under_any_python_hash_seed(tmp_path: Path) -> None:
    entries = chain(6)
    head = [e.record["record_hash"] for e in entries if e.record is not None][-1]
    given = tmp_path / "entries.pickle"
    given.write_bytes(pickle.dumps((entries, head)))
    archives = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed-{seed}"
        subprocess.run(
            [sys.executable, "-c", ARCHIVE_IN_A_FRESH_PROCESS, str(given), str(out)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
            timeout=120,
        )
        [path] = out.iterdir()
        archives.append((path.name, path.read_bytes()))
    assert archives[0] == archives[1]


def test_archives_verify_on_their_own_across_files(tmp_path: Path) -> None:
    _write(tmp_path)
    report = verify_partitions(read_files(archive_files(tmp_path)), HASHER, SIGNATURES)
    assert report.ok, report.failure
    assert (report.records, report.checkpoints) == (12, 3)


def test_a_missing_archive_file_fails_at_the_first_record_after_the_gap(tmp_path: Path) -> None:
    paths = _write(tmp_path)
    paths[1].unlink()
    report = verify_partitions(read_files(archive_files(tmp_path)), HASHER, SIGNATURES)
    assert report.failure is not None
    assert report.failure.where == paths[2].name and report.failure.offset == 10


def test_verify_cli_on_a_tampered_archive_exits_1_naming_the_file_and_offset(
    tmp_path: Path,
) -> None:
    entries = chain(12)
    paths = _write(tmp_path, entries)
    public = KEY.public_key().public_bytes_raw().hex()
    good = run_bus("audit", "verify", "--archive", str(tmp_path), "--public-key", public)
    assert good.returncode == 0, good.stderr
    assert "OK: 12 records and 3 signed checkpoints in 1 chains" in good.stdout

    data = paths[1].read_bytes()
    source = b"assistant:tax-board"
    position = data.index(source)
    paths[1].write_bytes(data[:position] + b"A" + data[position + 1 :])
    bad = run_bus("audit", "verify", "--archive", str(tmp_path), "--public-key", public)
    assert bad.returncode == 1
    assert f"offset 5 (entry #5 of the chain in {paths[1].name})" in bad.stdout
    assert "the record was altered" in bad.stdout


def test_verify_cli_on_a_missing_or_empty_folder_fails_instead_of_saying_ok(
    tmp_path: Path,
) -> None:
    for folder, why in ((tmp_path / "missing", "is not a folder"), (tmp_path, "no audit archive")):
        result = run_bus("audit", "verify", "--archive", str(folder), "--public-key", "11" * 32)
        assert result.returncode == 1, result.stdout
        assert "OK" not in result.stdout
        assert result.stderr.startswith(f"bus: error: {folder} ") and why in result.stderr


def test_an_archive_whose_last_file_lost_its_tail_and_was_renamed_to_match_fails(
    tmp_path: Path,
) -> None:
    entries = chain(12)
    paths = _write(tmp_path, entries)
    assert _verify_cli(tmp_path)[0] == 0
    last = paths[-1]
    kept = [e for e in read_files(archive_files(tmp_path)) if e.where == last.name][:-2]
    head = [e.record for e in entries if e.record is not None and e.offset <= kept[-1].offset]
    last.unlink()
    write_file(tmp_path, kept, head[-1]["record_hash"], CONTRACTS)  # consistent name and chain
    assert verify_partitions(read_files(archive_files(tmp_path)), HASHER, SIGNATURES).ok
    code, output = _verify_cli(tmp_path)
    assert code == 1, output
    assert f"in {last.name}" in output and "a file the manifest signs is missing" in output


def test_a_last_file_cut_in_place_or_a_manifest_signed_by_another_key_fails(
    tmp_path: Path,
) -> None:
    paths = _write(tmp_path)
    last = paths[-1]
    data = last.read_bytes()
    last.write_bytes(data[: len(data) - 40])
    code, output = _verify_cli(tmp_path)
    assert code == 1 and f"in {last.name}" in output, output
    last.write_bytes(data)
    write_manifest(tmp_path, "bus.audit", CheckpointSigner(Ed25519PrivateKey.generate()))
    code, output = _verify_cli(tmp_path)
    assert code == 1 and "manifest signed with key" in output, output


def test_an_archive_without_its_signed_manifest_fails_saying_how_to_sign_it(
    tmp_path: Path,
) -> None:
    _write(tmp_path)
    (tmp_path / MANIFEST).unlink()
    code, output = _verify_cli(tmp_path)
    assert code == 1 and "run `bus audit archive` into the folder again" in output, output
