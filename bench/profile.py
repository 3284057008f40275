"""Where the router's time goes: py-spy samples of a worker, summed by what they were doing.

``python -m bench --only throughput --profile`` records the first router run
with ``py-spy record --format raw`` (one line per distinct stack and its
sample count) and sums the samples into the categories below, first match
wins, so the shares add up to 100%.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("router: table get (RocksDB read, JSON)", ("BatchStates.get",)),
    (
        "router: table set (RocksDB write, JSON, changelog record)",
        ("ManagedUserDict.__setitem__", "Table.on_key_set"),
    ),
    ("router: decode (AvroCodec)", ("Runtime.decode",)),
    ("router: route() decision", ("route (bus/routing",)),
    ("router: send of each output", ("_deliver (", "send_dead_letter")),
    ("router: metrics of each event", ("observed (bus/metrics",)),
    ("Faust stream iteration and acks", ("Stream._py_aiter", "Stream.events", "Stream.ack")),
    ("Faust producer buffer (changelog records)", ("ProducerBuffer",)),
    ("aiokafka producer: produce requests", ("Sender.",)),
    (
        "Faust consumer: fetch, drain, dispatch",
        ("Fetcher._fetcher", "_drain_messages", "on_message", "Thread._bootstrap", "MethodQueue"),
    ),
    ("offset commits", ("commit",)),
)
OTHER = "other: event loop, sockets, timers"


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


def summarise(lines: Iterable[str]) -> list[tuple[str, float]]:
    """(category, share of samples) from py-spy raw lines, largest first."""
    counts: Counter[str] = Counter()
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        name = next((n for n, keys in CATEGORIES if any(k in stack for k in keys)), OTHER)
        counts[name] += int(count)
    total = sum(counts.values())
    return [(name, count / total) for name, count in counts.most_common()] if total else []
