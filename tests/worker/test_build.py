"""BUS_AGENTS picks the processors a worker runs and the topics it creates, without a broker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bus.catalogue import Catalogue, load_catalogue
from bus.catalogue.sandbox import Sandbox
from bus.errors import ConfigurationError
from bus.schemas.runtime import Runtime
from bus.settings import AGENTS, Settings
from bus.worker.build import processors, worker_topics
from bus.worker.outputs import Outputs

CATALOGUE = load_catalogue(Settings().catalogue)


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, home=tmp_path, **values)  # type: ignore[call-arg]


def test_bus_agents_is_comma_separated_and_defaults_to_every_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _settings(tmp_path).agents == AGENTS
    monkeypatch.setenv("BUS_AGENTS", " router, echo ,router")
    assert _settings(tmp_path).agents == ("router", "echo")


def _processors(settings: Settings) -> dict[str, set[str]]:
    """Each chosen processor's name and the changelogs of its stores."""
    outputs = Outputs({"bootstrap.servers": settings.bootstrap_servers}, None)
    found = processors(settings, CATALOGUE, Runtime(settings), outputs)
    return {p.name: {store.changelog for store in p.stores} for p in found}


def test_the_worker_runs_only_the_chosen_processors_and_their_stores(tmp_path: Path) -> None:
    assert _processors(_settings(tmp_path, agents="router,echo", app_id="a")) == {
        "router": {"a-router-subjects-changelog"},
        "echo": set(),
    }
    assert _processors(_settings(tmp_path, agents="auditor")) == {
        "auditor": set(),
        "audit-chain": set(),
    }
    every = _processors(_settings(tmp_path, app_id="b"))
    assert set(every) == {"echo", "router", "auditor", "audit-chain", "escalator"}
    assert every["escalator"] == {"b-escalator-conversations-changelog"}


def test_each_changelog_is_a_compacted_topic_partitioned_like_the_conversations(
    tmp_path: Path,
) -> None:
    specs = {spec.name: spec for spec in worker_topics(_settings(tmp_path, app_id="c"), CATALOGUE)}
    events = specs[CATALOGUE.topics.assistant_events]
    for name in ("c-router-subjects-changelog", "c-escalator-conversations-changelog"):
        assert specs[name].partitions == events.partitions
        assert specs[name].config["cleanup.policy"] == "compact"


def test_worker_topics_are_only_those_of_the_chosen_agents(tmp_path: Path) -> None:
    t = CATALOGUE.topics
    every = {spec.name for spec in worker_topics(_settings(tmp_path), CATALOGUE)}
    router = {spec.name for spec in worker_topics(_settings(tmp_path, agents="router,echo"))}
    auditor = {spec.name for spec in worker_topics(_settings(tmp_path, agents="auditor"))}
    escalator = {spec.name for spec in worker_topics(_settings(tmp_path, agents="escalator"))}
    assert router | auditor | escalator == every
    assert {"bus.heartbeats", "bus.echoes", t.assistant_events, t.dead_letters} <= router
    assert not {t.audit, f"{t.audit}-intake", t.escalations, t.presence} & router
    assert {t.audit, f"{t.audit}-intake", *CATALOGUE.audited_topics()} == auditor
    assert {t.escalations, t.escalation_actions, t.presence} <= escalator
    assert not {t.audit, "bus.heartbeats"} & escalator
    specs = {spec.name: spec for spec in CATALOGUE.topic_specs()}
    for spec in worker_topics(_settings(tmp_path, agents="escalator"), CATALOGUE):
        if not spec.name.endswith("-changelog"):
            assert spec == specs[spec.name]  # partitions and configs as the catalogue says


@pytest.mark.parametrize("agents", ["router,auditer", "router,nope,bogus"])
def test_an_unknown_agent_is_a_configuration_error_naming_it(tmp_path: Path, agents: str) -> None:
    settings = _settings(tmp_path, agents=agents)
    unknown = [name for name in agents.split(",") if name not in AGENTS]
    for build in (_processors, lambda s: worker_topics(s, CATALOGUE)):
        with pytest.raises(ConfigurationError, match="BUS_AGENTS") as raised:
            build(settings)
        assert all(repr(name) in str(raised.value) for name in unknown)
        assert "router, echo, auditor, escalator" in str(raised.value)


def test_no_agent_at_all_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="names no agent"):
        worker_topics(_settings(tmp_path, agents=" , "), CATALOGUE)


def test_the_sandbox_feed_runs_only_when_the_catalogue_declares_a_sandbox(tmp_path: Path) -> None:
    settings = _settings(tmp_path, agents="sandbox")
    outputs = Outputs({"bootstrap.servers": settings.bootstrap_servers}, None)
    assert processors(settings, CATALOGUE, Runtime(settings), outputs) == []
    ends = datetime.now(UTC) + timedelta(days=1)
    box = Sandbox(
        name="b",
        authority="police",
        principal="c",
        live=False,
        ends=ends,
        replay=({"from": ends - timedelta(days=3), "to": ends - timedelta(days=2)},),
    )
    with_box = Catalogue.model_validate({**dict(CATALOGUE), "sandboxes": (box,)})
    [feed] = processors(settings, with_box, Runtime(settings), outputs)
    assert feed.name == "sandbox"
    assert feed.reads == (CATALOGUE.topics.assistant_events, box.answers)
