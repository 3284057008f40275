"""Where a worker's time goes: py-spy samples of its process, summed by what they were doing.

``python -m bench --only throughput --profile`` records the first router run
with ``py-spy record --format raw`` (one line per distinct stack and its
sample count). Each sample goes to the category of its innermost frame that
belongs to one, so time spent inside fastavro under the router counts as Avro
decoding, not as routing, and the shares add up to 100%.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Avro decode and encode (fastavro, bus.schemas)", ("fastavro/", "bus/schemas/")),
    ("routing decision (bus.routing)", ("bus/routing/",)),
    ("metrics (prometheus_client, bus.metrics)", ("prometheus_client/", "bus/metrics/")),
    ("state stores (bus.worker.state)", ("bus/worker/state.py",)),
    (
        "librdkafka produce, flush, transactions (confluent_kafka, bus.worker.outputs)",
        ("bus/worker/outputs.py",),
    ),
    (
        "librdkafka consume and offset commits (confluent_kafka, bus.worker.loop)",
        (
            "_fetch (bus/worker/loop.py",
            "_commit (bus/worker/loop.py",
            "_commit_offsets (bus/worker/loop.py",
            "_commit_transaction (bus/worker/loop.py",
            "bus/worker/record.py",
        ),
    ),
    ("logging", ("logging/",)),
    (
        "processors and the worker loop (bus.worker)",
        ("bus/worker/", "bus/audit/", "bus/escalation/"),
    ),
    ("asyncio event loop", ("asyncio/",)),
)
OTHER = "other: threads, json, the interpreter"


def py_spy() -> str | None:
    found = Path(sys.executable).with_name("py-spy")
    return str(found) if found.exists() else shutil.which("py-spy")


def record(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """Sample ``pid`` for ``seconds`` in the background, only while it holds the GIL."""
    binary = py_spy()
    if binary is None:
        raise FileNotFoundError("py-spy is not installed: pip install -e '.[dev]'")
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [binary, "record", "--pid", str(pid), "--duration", str(int(seconds))]
    command += ["--format", "raw", "--output", str(out), "--nonblocking", "--gil"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def category(stack: str) -> str:
    """The category of a py-spy stack (frames root first, ``;``-separated)."""
    for frame in reversed(stack.split(";")):
        for name, keys in CATEGORIES:
            if any(key in frame for key in keys):
                return name
    return OTHER


def summarise(lines: Iterable[str]) -> list[tuple[str, float]]:
    """(category, share of samples) from py-spy raw lines, largest first."""
    counts: Counter[str] = Counter()
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        counts[category(stack)] += int(count)
    total = sum(counts.values())
    return [(name, count / total) for name, count in counts.most_common()] if total else []
