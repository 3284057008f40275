"""The bench's table and the JSON it saves under bench/results/."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bench.report import Row, fmt_value, results_document, save, table, unavailable


def _rows() -> list[Row]:
    return [
        Row("pipe throughput", "events/s", "router", "plain pipe", [900, 1100, 1000], [4000.0]),
        Row("latency p99", "ms", "router", "plain pipe", [40.0], [10.0], higher_is_better=False),
        unavailable("audit overhead", "events/s", "router + auditor", "router", "no auditor yet"),
    ]


def test_row_figures_are_medians_and_the_ratio_is_bus_over_baseline() -> None:
    row = _rows()[0]
    assert row.bus == 1000
    assert row.baseline == 4000.0
    assert row.ratio == 0.25


def test_table_has_one_line_per_row_with_values_and_ratio_aligned() -> None:
    lines = table(_rows()).splitlines()
    assert lines[0].split() == ["measurement", "unit", "bus", "value", "baseline", "value", "ratio"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    throughput = lines[2]
    assert "1,000" in throughput and "4,000" in throughput and throughput.endswith("0.25x")
    assert lines[3].endswith("4.00x")
    assert len({len(line) for line in lines[2:4]}) == 1  # the columns line up


def test_a_row_without_figures_says_why_instead_of_a_number() -> None:
    lines = table(_rows()).splitlines()
    audit = lines[4]
    assert audit.split()[-3:] == ["router", "-", "-"]
    assert lines[5].strip() == "not available: no auditor yet"


def test_values_are_formatted_by_size_and_unit() -> None:
    assert fmt_value(12345.6, "events/s") == "12,346"
    assert fmt_value(1.234, "events/s") == "1.23"
    assert fmt_value(12.34, "ms") == "12.3"
    assert fmt_value(0.04567, "ms") == "0.046"
    assert fmt_value(None, "ms") == "-"


def test_results_are_saved_as_json_named_by_the_start_date(tmp_path: Path) -> None:
    started = datetime(2026, 11, 28, 3, 4, 5, tzinfo=UTC)
    finished = datetime(2026, 11, 28, 3, 14, 5, tzinfo=UTC)
    context = {"machine": {"cores": 2}, "kafka": {"version": "4.1.1"}}
    path = save(results_document(_rows(), context, started, finished), started, tmp_path)
    assert path == tmp_path / "2026-11-28T030405.json"
    saved = json.loads(path.read_text())
    assert saved["started"] == "2026-11-28T03:04:05+00:00"
    assert saved["machine"] == {"cores": 2}
    first = saved["rows"][0]
    assert first["bus"] == 1000 and first["baseline"] == 4000.0 and first["ratio"] == 0.25
    assert first["bus_samples"] == [900, 1100, 1000]
    assert saved["rows"][2]["ratio"] is None
    assert saved["rows"][2]["note"] == "not available: no auditor yet"
