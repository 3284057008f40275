"""Who a worker process is: a locked slot of its folder, stable across restarts.

Each worker process takes the first free slot ``slot-N`` of ``worker_dir``
(an exclusive ``flock``, released by the kernel even after SIGKILL). The slot
gives it a folder of its own, its metrics port (``metrics_port + N``) and its
identity in the group: a restarted worker takes the same slot back, rejoins
the group as the same static member (``group.instance.id``) and fences its
own earlier transactions (``transactional.id``), so it is back in a second
instead of waiting for the group to notice the old one is gone.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from bus.errors import ConfigurationError
from bus.settings import Settings

SLOTS = 64


@dataclass(frozen=True)
class Identity:
    instance: str
    slot: int
    folder: Path
    metrics_port: int
    lock_fd: int

    def release(self) -> None:
        os.close(self.lock_fd)


def claim(settings: Settings) -> Identity:
    """Take the first free slot of the worker folder; fail clearly if all are taken."""
    base = settings.worker_data_dir
    base.mkdir(parents=True, exist_ok=True)
    for slot in range(SLOTS):
        folder = base / f"slot-{slot}"
        folder.mkdir(exist_ok=True)
        fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return Identity(
            instance=settings.worker_id or default_instance(settings, slot),
            slot=slot,
            folder=folder,
            metrics_port=settings.metrics_port + slot if settings.metrics_port else 0,
            lock_fd=fd,
        )
    raise ConfigurationError(
        f"{SLOTS} workers already run from {base}; give this one its own BUS_WORKER_DIR"
    )


def default_instance(settings: Settings, slot: int) -> str:
    """``<host>-<folder digest>-<slot>``: unique per host, worker folder and slot."""
    where = hashlib.sha256(str(settings.worker_data_dir.resolve()).encode()).hexdigest()[:8]
    return f"{socket.gethostname()}-{where}-{slot}"
