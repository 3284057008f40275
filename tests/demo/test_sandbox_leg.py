"""The demo's sandbox leg on the real broker: it prints the report's headline and path."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from bus.catalogue import load_catalogue
from bus.demo.sandbox import CONVERSATIONS, run_sandbox_leg
from bus.kafka.topics import apply_topics
from bus.settings import Settings

pytestmark = [pytest.mark.broker, pytest.mark.slow]


async def test_the_sandbox_leg_reports_the_candidate_on_this_runs_police_turns(
    settings_with_registry: Settings,
    catalogue_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_with_registry.model_copy(
        update={"audit_pseudonym_key": None, "home": tmp_path / "home"}
    )
    catalogue = load_catalogue(catalogue_path)
    await apply_topics(settings.bootstrap_servers, catalogue.topic_specs())
    code = await asyncio.to_thread(run_sandbox_leg, settings, catalogue, tmp_path / "out")
    printed = capsys.readouterr().out
    assert code == 0, printed
    [page] = (tmp_path / "out").glob("demo-police-*/report.html")
    assert f"report: {page}" in printed
    assert re.search(rf"turns fed +{len(CONVERSATIONS)}\n", printed), printed
    assert re.search(r"answers with personal data +0\n", printed), printed
    report = json.loads(page.with_name("report.json").read_text())
    assert report["turns"] == len(CONVERSATIONS)
    assert report["intent_agreement"]["compared"] == len(CONVERSATIONS)
    assert report["candidate"]["personal_data"] == []
    assert report["production"]["escalations"]
