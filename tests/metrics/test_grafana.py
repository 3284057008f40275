"""The provisioned dashboard is consistent with its datasource and grouped for operations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "agency-bus.json"


def _panels() -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = json.loads(DASHBOARD.read_text())["panels"]
    return panels


def test_every_panel_uses_the_provisioned_datasource() -> None:
    provisioned = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    uids = {source["uid"] for source in provisioned["datasources"]}
    for panel in _panels():
        if panel["type"] != "row":
            used = {panel["datasource"]["uid"]} | {t["datasource"]["uid"] for t in panel["targets"]}
            assert used <= uids, f"panel {panel['title']!r} uses {used - uids}"


def test_rows_group_the_panels_for_an_operations_team() -> None:
    rows = [panel["title"] for panel in _panels() if panel["type"] == "row"]
    assert rows == ["Traffic", "Errors", "Latency", "Escalations", "Audit", "Connectors"]


def test_panel_ids_are_unique_and_panels_do_not_overlap() -> None:
    panels = _panels()
    assert len({panel["id"] for panel in panels}) == len(panels)
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridPos"]
        area = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        assert not area & cells, f"panel {panel['title']!r} overlaps another"
        cells |= area


def test_the_dashboard_provider_loads_the_dashboards_folder() -> None:
    providers = yaml.safe_load((GRAFANA / "provisioning/dashboards/agency-bus.yml").read_text())
    [provider] = providers["providers"]
    assert provider["type"] == "file"
    assert Path(provider["options"]["path"]).is_absolute()
