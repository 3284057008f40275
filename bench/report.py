"""The bench's result rows, the printed table and the JSON saved under bench/results/."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.stats import median, ratio

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Aim:
    """What the issue asks of a row, so the table shows at once whether it is met.

    Most aims are on the ratio (at least ``target`` times the baseline); a
    latency aim is on the bus's own value (``of_value``, at most ``target``).
    """

    target: float
    at_most: bool = False
    of_value: bool = False

    def met(self, row: Row) -> bool | None:
        figure = row.bus if self.of_value else row.ratio
        if figure is None:
            return None
        return figure <= self.target if self.at_most else figure >= self.target

    def text(self, unit: str) -> str:
        sign = "<=" if self.at_most else ">="
        if self.of_value:
            return f"{sign} {fmt_value(self.target, unit)} {unit}"
        return f"{sign} {fmt_ratio(self.target)}"


@dataclass
class Row:
    """One measurement: the bus and its baseline, each a median of several runs."""

    measure: str
    unit: str
    bus_label: str
    baseline_label: str
    bus_samples: list[float] = field(default_factory=list)
    baseline_samples: list[float] = field(default_factory=list)
    higher_is_better: bool = True
    note: str = ""
    aim: Aim | None = None

    @property
    def bus(self) -> float | None:
        return median(self.bus_samples)

    @property
    def baseline(self) -> float | None:
        return median(self.baseline_samples)

    @property
    def ratio(self) -> float | None:
        return ratio(self.bus, self.baseline)

    @property
    def aim_text(self) -> str:
        return self.aim.text(self.unit) if self.aim else ""

    @property
    def met(self) -> bool | None:
        return self.aim.met(self) if self.aim else None

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "bus": self.bus,
            "baseline": self.baseline,
            "ratio": self.ratio,
            "aim": self.aim_text or None,
            "met": self.met,
        }


def unavailable(measure: str, unit: str, bus_label: str, baseline_label: str, why: str) -> Row:
    """A row that says why it has no figures instead of inventing one."""
    return Row(measure, unit, bus_label, baseline_label, note=f"not available: {why}")


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:,.1f}" if value >= 10 else f"{value:.3f}"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def fmt_met(row: Row) -> str:
    if row.aim is None:
        return ""
    return {True: "met", False: "missed", None: "-"}[row.met]


HEADINGS = ("measurement", "unit", "bus", "value", "baseline", "value", "ratio", "aim", "")


def table(rows: list[Row]) -> str:
    """A fixed-width table with each row's aim, if any, and whether it is met; notes (e.g.
    why a row has no figures) under their row."""
    cells = [
        (
            r.measure,
            r.unit,
            r.bus_label,
            fmt_value(r.bus, r.unit),
            r.baseline_label,
            fmt_value(r.baseline, r.unit),
            fmt_ratio(r.ratio),
            r.aim_text,
            fmt_met(r),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(HEADINGS)]
    numeric = {3, 5, 6, 7}

    def line(values: tuple[str, ...]) -> str:
        parts = [
            v.rjust(widths[i]) if i in numeric else v.ljust(widths[i]) for i, v in enumerate(values)
        ]
        return "  ".join(parts).rstrip()

    out = [line(HEADINGS), line(tuple("-" * w for w in widths))]
    for row, cell in zip(rows, cells, strict=True):
        out.append(line(cell))
        if row.note:
            out.append(f"    {row.note}")
    return "\n".join(out)


def results_document(
    rows: list[Row], context: dict[str, Any], started: datetime, finished: datetime
) -> dict[str, Any]:
    return {
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        **context,
        "rows": [row.as_dict() for row in rows],
    }


def save(document: dict[str, Any], started: datetime, directory: Path = RESULTS_DIR) -> Path:
    """Write the results as ``<directory>/<date>T<time>.json`` and return the path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{started.strftime('%Y-%m-%dT%H%M%S')}.json"
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path
