"""The bench's table and the JSON it saves under bench/results/."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bench.report import Aim, Row, fmt_value, results_document, save, table, unavailable


def _rows() -> list[Row]:
    return [
        Row(
            "pipe throughput",
            "events/s",
            "router",
            "plain pipe",
            [900, 1100, 1000],
            [4000.0],
            aim=Aim(0.5),
        ),
        Row(
            "latency p99",
            "ms",
            "router",
            "plain pipe",
            [40.0],
            [10.0],
            higher_is_better=False,
            aim=Aim(50.0, at_most=True, of_value=True),
        ),
        unavailable("audit overhead", "events/s", "router + auditor", "router", "no auditor yet"),
    ]


def test_row_figures_are_medians_and_the_ratio_is_bus_over_baseline() -> None:
    row = _rows()[0]
    assert row.bus == 1000
    assert row.baseline == 4000.0
    assert row.ratio == 0.25


def test_table_has_one_line_per_row_with_values_ratio_and_aim_aligned() -> None:
    lines = table(_rows()).splitlines()
    headings = ["measurement", "unit", "bus", "value", "baseline", "value", "ratio", "aim"]
    assert lines[0].split() == headings
    assert set(lines[1].replace(" ", "")) == {"-"}
    throughput = lines[2]
    assert "1,000" in throughput and "4,000" in throughput
    assert throughput.split()[-4:] == ["0.25x", ">=", "0.50x", "missed"]
    assert lines[3].split()[-5:] == ["4.00x", "<=", "50.0", "ms", "met"]
    # the columns line up, up to the last word (met or missed)
    assert len({len(line.rsplit(maxsplit=1)[0]) for line in lines[2:4]}) == 1


def test_an_aim_is_on_the_ratio_unless_it_is_on_the_value() -> None:
    at_least = Aim(0.8)
    assert at_least.met(Row("m", "events/s", "a", "b", [80.0], [100.0]))
    assert not at_least.met(Row("m", "events/s", "a", "b", [79.0], [100.0]))
    assert at_least.met(Row("m", "events/s", "a", "b", [], [100.0])) is None
    soak = Aim(1.1, at_most=True)
    assert soak.met(Row("m", "MiB", "a", "b", [110.0], [100.0], higher_is_better=False))
    assert soak.text("MiB") == "<= 1.10x"
    p99 = Aim(130.0, at_most=True, of_value=True)
    assert p99.met(Row("m", "ms", "a", "b", [129.0], [1.0]))
    assert not p99.met(Row("m", "ms", "a", "b", [131.0], [500.0]))
    assert p99.text("ms") == "<= 130.0 ms"


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
    assert first["aim"] == ">= 0.50x" and first["met"] is False
    assert saved["rows"][1]["met"] is True
    assert saved["rows"][2]["ratio"] is None and saved["rows"][2]["aim"] is None
    assert saved["rows"][2]["note"] == "not available: no auditor yet"
