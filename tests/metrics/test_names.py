"""The dashboard and the alert rules only query metrics the code really exports."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

import bus.metrics.definitions  # noqa: F401  (defines every metric of the bus)
import connectors.base.metrics  # noqa: F401  (and of its connectors)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
# Series Prometheus makes itself for every target.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right",
    "and", "or", "unless", "bool", "offset", "inf", "nan",
}  # fmt: skip
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "info": ("_info",),
}


def exported_names() -> set[str]:
    """Every series name the process can expose, as Prometheus stores them."""
    names: set[str] = set()
    for family in REGISTRY.collect():
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (not functions, labels or keywords)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values and strings
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?", text):
        name, call = match.group(1), match.group(2)
        if call is None and name.lower() not in KEYWORDS:
            names.add(name)
    return names


def dashboard_panels(path: Path) -> Iterator[tuple[str, list[str]]]:
    def walk(panels: list[dict[str, object]]) -> Iterator[dict[str, object]]:
        for panel in panels:
            yield panel
            yield from walk(panel.get("panels", []))  # type: ignore[arg-type]

    for panel in walk(json.loads(path.read_text())["panels"]):
        if panel.get("type") != "row":
            targets = panel.get("targets", [])
            yield str(panel["title"]), [t["expr"] for t in targets]  # type: ignore[attr-defined]


def alert_rules() -> Iterator[tuple[str, str]]:
    for group in yaml.safe_load(ALERTS.read_text())["groups"]:
        for rule in group["rules"]:
            yield rule.get("alert") or rule["record"], rule["expr"]


def test_the_name_parser_finds_metrics_not_functions_labels_or_keywords() -> None:
    expr = (
        'histogram_quantile(0.9, sum by (agent, le) (rate(a_bucket{x="y(z)"}[$__rate_interval])))'
        " / on (agent) group_left b_total offset 5m and time() - c > 1e3"
    )
    assert metric_names(expr) == {"a_bucket", "b_total", "c"}


def test_every_dashboard_panel_queries_only_exported_metrics() -> None:
    assert DASHBOARDS, "no dashboard in deploy/grafana/dashboards"
    exported = exported_names() | PROMETHEUS_SERIES
    for path in DASHBOARDS:
        for title, exprs in dashboard_panels(path):
            assert exprs, f"{path.name}: panel {title!r} has no query"
            for expr in exprs:
                names = metric_names(expr)
                assert names, f"{path.name}: panel {title!r} queries no metric: {expr}"
                assert names <= exported, f"{path.name}: {title!r} queries {names - exported}"


def test_every_metric_of_the_bus_has_a_dashboard_panel() -> None:
    exprs = [e for path in DASHBOARDS for _, panel in dashboard_panels(path) for e in panel]
    queried = {name for expr in exprs for name in metric_names(expr)}
    missing = [
        family.name
        for family in REGISTRY.collect()
        if family.name.startswith("bus_")
        and not queried & {family.name + suffix for suffix in SUFFIXES[family.type]}
    ]
    assert not missing, f"metrics without a panel: {missing}"


def test_every_alert_rule_queries_only_exported_metrics() -> None:
    exported = exported_names() | PROMETHEUS_SERIES
    for alert, expr in alert_rules():
        names = metric_names(expr)
        assert names, f"alert {alert} queries no metric"
        assert names <= exported, f"alert {alert} queries {names - exported}"
