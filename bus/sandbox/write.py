"""``bus sandbox report``: read the sandbox's topics, compare, write report.json and report.html."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bus.audit.replay import Replayed, ReplayFilter
from bus.catalogue import Catalogue
from bus.sandbox.collect import collect
from bus.sandbox.html import render
from bus.sandbox.report import Timed, build_report
from bus.settings import Settings


def _timed(items: list[Replayed]) -> list[Timed]:
    return [Timed(item.event, item.timestamp_ms) for item in items]


async def sandbox_report(settings: Settings, catalogue: Catalogue, name: str) -> dict[str, Any]:
    """The report of sandbox ``name`` from what its topics and the assistants' topic hold now."""
    box = catalogue.sandbox(name)
    authority = catalogue.authorities[box.authority]
    fed = _timed(await collect(settings, [box.input]))
    candidate = _timed(await collect(settings, [box.answers]))
    production = _timed(
        await collect(
            settings,
            [catalogue.topics.assistant_events],
            ReplayFilter(authority=box.authority),
        )
    )
    turn_ids = {str(t.event.id) for t in fed}
    originals = {str(t.event.id): t.timestamp_ms for t in production if str(t.event.id) in turn_ids}
    return build_report(
        box.name, box.authority, authority.escalation, fed, candidate, production, originals
    )


def write_report(report: dict[str, Any], out: Path) -> Path:
    """``report.json`` and ``report.html`` in ``out``; returns the HTML's path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    page = out / "report.html"
    page.write_text(render(report), encoding="utf-8")
    return page
