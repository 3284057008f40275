"""Where a command that writes a document sends it: standard output, or a file it names."""

from __future__ import annotations

import sys
from pathlib import Path


def write_out(text: str, out: Path | None, what: str = "") -> None:
    """``text`` on standard output (for a pipe), or into ``out`` with a line saying so:
    ``wrote OUT`` and ``what`` (e.g. ``": 18 channels"``)."""
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}{what}")
