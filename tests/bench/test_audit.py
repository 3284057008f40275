"""The audit row runs the router with and without the auditor, chosen with BUS_AGENTS."""

from __future__ import annotations

from pathlib import Path

from bench.audit import ROUTER_AGENTS, agents, has_auditor, why_unavailable, worker_env
from bus.catalogue.agent_topics import selected_agents
from bus.settings import AGENTS, Settings


def test_the_two_runs_differ_only_by_the_auditor() -> None:
    assert agents(False) == "router,echo"
    assert agents(True) == "router,echo,auditor"
    assert worker_env(True) == {"agents": "router,echo,auditor"}


def test_both_selections_are_valid_worker_settings(tmp_path: Path) -> None:
    for audited in (False, True):
        settings = Settings(_env_file=None, home=tmp_path, agents=agents(audited))  # type: ignore[call-arg]
        assert set(selected_agents(settings)) == set(ROUTER_AGENTS) | (
            {"auditor"} if audited else set()
        )


def test_this_build_has_an_auditor_to_measure_and_says_why_when_not() -> None:
    assert has_auditor() == ("auditor" in AGENTS)
    assert has_auditor()
    assert "BUS_AGENTS" in why_unavailable()
