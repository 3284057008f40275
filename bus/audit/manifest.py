"""The signed manifest of an archive folder: what the archive holds, up to where.

Each chain in the files links to the one before, so a missing or altered file
is found; but the end of an archive is just its last file, and a last file cut
short and renamed to match still verifies. ``bus audit archive`` therefore
signs, with the checkpoints' key, a manifest naming every file with its
SHA-256 and where each chain ends (offset and head). ``verify --archive``
checks the folder against it. The manifest is deterministic like the files.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from bus.audit.archive import archive_files, archived_heads
from bus.audit.checkpoint import CheckpointSigner, CheckpointVerifier
from bus.audit.verify import Failure, Report

MANIFEST = "audit-manifest.json"
DOMAIN = b"agencybus-audit-manifest-v1\x00"


def _signed_part(manifest: dict[str, Any]) -> bytes:
    body = {key: value for key, value in manifest.items() if key != "signature"}
    return DOMAIN + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _sha256(path: Path) -> str:
    with path.open("rb") as file:  # archive files can be large: hashed as they are read
        return hashlib.file_digest(file, "sha256").hexdigest()


def write_manifest(directory: Path, topic: str, signer: CheckpointSigner) -> Path:
    """Sign what ``directory`` holds now; written after the files, replacing the last one."""
    ends = archived_heads(directory)
    manifest: dict[str, Any] = {
        "format": "agencybus-audit-manifest-v1",
        "topic": topic,
        "files": {f.path.name: _sha256(f.path) for f in archive_files(directory)},
        "ends": {str(p): {"offset": last, "head": head.hex()} for p, (last, head) in ends.items()},
        "key_id": signer.key_id,
    }
    manifest["signature"] = base64.b64encode(signer.signature(_signed_part(manifest))).decode()
    path = directory / MANIFEST
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(manifest, sort_keys=True, indent=1) + "\n")
    temporary.replace(path)
    return path


def check_manifest(directory: Path, signatures: CheckpointVerifier, report: Report) -> None:
    """Set ``report.failure`` when the folder is not what its manifest signs."""

    def fail(reason: str, partition: int = -1, offset: int = -1, where: str = MANIFEST) -> None:
        report.failure = Failure(partition, offset, -1, reason, where)

    path = directory / MANIFEST
    if not path.is_file():
        return fail(
            f"no signed manifest ({MANIFEST}), so a cut at the archive's end would go unseen; "
            "run `bus audit archive` into the folder again to sign it"
        )
    try:
        manifest = json.loads(path.read_text())
        signature = base64.b64decode(manifest["signature"])
        problem = signatures.signature_problem(
            "manifest", manifest["key_id"], signature, _signed_part(manifest)
        )
        files: dict[str, str] = manifest["files"]
        ends: dict[str, dict[str, Any]] = manifest["ends"]
    except (ValueError, KeyError, TypeError) as exc:
        return fail(f"the manifest does not read: {exc!r}")
    if problem is not None:
        return fail(problem)
    present = {f.path.name: f for f in archive_files(directory)}
    for name, digest in sorted(files.items()):
        archive = present.get(name)
        if archive is None:
            return fail("a file the manifest signs is missing", where=name)
        if _sha256(archive.path) != digest:
            return fail(
                "the file is not the one the manifest signs (cut, altered or replaced)",
                archive.partition,
                archive.first_offset,
                name,
            )
    for name, archive in sorted(present.items()):
        if name not in files:
            return fail("the manifest does not sign this file", archive.partition, -1, name)
    for partition, end in sorted(ends.items()):
        head = report.heads.get(int(partition), b"").hex()
        if head != end["head"]:
            return fail(
                f"the chain ends at head {head[:16]}, but the manifest signs its end at offset "
                f"{end['offset']} with head {str(end['head'])[:16]}",
                int(partition),
                int(end["offset"]),
            )
    return None
