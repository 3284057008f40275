"""The sandbox report as one self-contained HTML page: inline SVG charts, no scripts, no fetches.

People read it in a panel meeting, maybe offline or from an archive, so it
carries everything it shows; the JSON next to it has the same figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from bus.sandbox.report import BUCKETS, SIDES, headline

COLOURS = {"candidate": "#1f6fb2", "production": "#c8702a"}
WIDTH, HEIGHT, MARGIN = 640, 240, 40


def bar_chart(title: str, categories: Sequence[str], series: dict[str, Sequence[float]]) -> str:
    """Grouped vertical bars, one group per category, one bar per series, with a legend."""
    top = max([v for values in series.values() for v in values] + [1])
    inner_w, inner_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    group = inner_w / max(1, len(categories))
    bar = group * 0.8 / max(1, len(series))
    parts = [
        f"<figure><figcaption>{escape(title)}</figcaption>",
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} '
        f'{HEIGHT + 30}" width="{WIDTH}" height="{HEIGHT + 30}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" '
        f'y2="{HEIGHT - MARGIN}" stroke="#333"/>',
        f'<text x="{MARGIN - 6}" y="{MARGIN + 4}" text-anchor="end" font-size="10">{top:g}</text>',
    ]
    for i, category in enumerate(categories):
        x0 = MARGIN + i * group + group * 0.1
        for j, (name, values) in enumerate(series.items()):
            value = values[i] if i < len(values) else 0
            h = inner_h * value / top
            parts.append(
                f'<rect class="bar" data-series="{escape(name)}" x="{x0 + j * bar:.1f}" '
                f'y="{HEIGHT - MARGIN - h:.1f}" width="{bar * 0.95:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS.get(name, "#777")}"><title>{escape(name)} '
                f"{escape(category)}: {value:g}</title></rect>"
            )
        parts.append(
            f'<text x="{x0 + group * 0.4:.1f}" y="{HEIGHT - MARGIN + 14}" '
            f'text-anchor="middle" font-size="10">{escape(category)}</text>'
        )
    for j, name in enumerate(series):
        x = MARGIN + j * 140
        parts.append(
            f'<rect x="{x}" y="{HEIGHT + 8}" width="12" height="12" '
            f'fill="{COLOURS.get(name, "#777")}"/><text x="{x + 16}" y="{HEIGHT + 18}" '
            f'font-size="12">{escape(name)}</text>'
        )
    parts.append("</svg></figure>")
    return "".join(parts)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], empty: str) -> str:
    if not rows:
        return f'<p class="none">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(report: dict[str, Any]) -> str:
    sides = {side: report[side] for side in SIDES}
    buckets = [f"{i / BUCKETS:.1f}" for i in range(BUCKETS)]
    policies = sorted({name for side in sides.values() for name in side["escalations"]})
    agreement = report["intent_agreement"]
    figures = "".join(
        f'<div class="figure"><span class="value">{escape(value)}</span>'
        f'<span class="label">{escape(label)}</span></div>'
        for label, value in headline(report)
    )
    charts = [
        bar_chart(
            "Classifier confidence (turns per bucket)",
            buckets,
            {n: s["confidence_histogram"] for n, s in sides.items()},
        ),
        bar_chart(
            "Escalation policies that would have fired",
            policies or ["none fired"],
            {n: [s["escalations"].get(p, 0) for p in policies] for n, s in sides.items()},
        ),
        bar_chart(
            "Answer latency (ms)",
            ["p50", "p95", "max"],
            {n: [s["latency_ms"][k] or 0 for k in ("p50", "p95", "max")] for n, s in sides.items()},
        ),
    ]
    leaks = _table(
        ["turn", "answer", "kinds"],
        [
            (f["turn_id"], f["answer_id"], ", ".join(f["kinds"]))
            for f in sides["candidate"]["personal_data"]
        ],
        "None: no answer of the candidate contains personal data.",
    )
    unattended = _table(
        ["turn"],
        [(turn,) for turn in sides["candidate"]["sensitive_without_human"]],
        "None: every sensitive intent went to a human.",
    )
    disagreements = _table(
        ["candidate / production", "turns"],
        list(agreement["top_disagreements"].items()),
        "None.",
    )
    title = f"Sandbox {report['sandbox']} ({report['authority']})"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 60rem; }}
.figures {{ display: flex; flex-wrap: wrap; gap: 1rem; }}
.figure {{ border: 1px solid #ccc; border-radius: 6px; padding: .6rem 1rem; min-width: 10rem; }}
.figure .value {{ display: block; font-size: 1.5rem; font-weight: 600; }}
.figure .label {{ font-size: .85rem; color: #555; }}
figure {{ margin: 1rem 0; }} figcaption {{ font-weight: 600; margin-bottom: .3rem; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .2rem .5rem; }}
</style></head><body>
<h1>{escape(title)}</h1>
<p>The candidate against the production assistant on the same {report["turns"]} citizen turns,
scrubbed before the candidate saw them. Nothing the candidate wrote reached a citizen.</p>
<section id="headline" class="figures">{figures}</section>
<h2>Charts</h2>
<section id="charts">{"".join(charts)}</section>
<h2>Answers that contain personal data</h2><section id="personal-data">{leaks}</section>
<h2>Sensitive intents answered without a human</h2><section id="sensitive">{unattended}</section>
<h2>Where the intents disagree</h2><section id="disagreements">{disagreements}</section>
</body></html>
"""
