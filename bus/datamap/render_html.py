"""The data map as one self-contained HTML page: a fields x readers matrix to scan, then routes.

No scripts, fonts or images from anywhere: the page is mailed to a panel and
opened offline. Every cell says its form in words as well as in colour, and
every table has a caption and scoped headers for screen readers.
"""

from __future__ import annotations

from html import escape

from bus.datamap.model import EXPOSURE, DataMap, Form, PersonalField, Topic
from bus.datamap.render_markdown import LEGEND, MARKS, SUPER_USER_NOTE, treatments

CSS = """
body { font: 15px/1.45 system-ui, sans-serif; color: #1b1b1b; margin: 1.5rem; max-width: 100rem; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2rem; } h3 { margin-top: 1.5rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid #b8b8b8; padding: .25rem .45rem; vertical-align: top; }
thead th { background: #eef0f3; position: sticky; top: 0; }
.matrix thead th { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; }
.matrix thead th:first-child {
  writing-mode: horizontal-tb; transform: none; vertical-align: bottom;
}
.matrix tbody th { text-align: left; white-space: nowrap; font-weight: normal; }
.matrix td { text-align: center; min-width: 1.6rem; font-weight: 600; }
.clear { background: #f7c6c0; } .dead-letter { background: #fbe2b6; }
.scrubbed { background: #d9ecf7; } .pseudonymised { background: #d6efd5; }
td.none { color: #8a8a8a; } abbr { text-decoration: none; }
code { font-size: .92em; } .free { font-style: italic; color: #5a3d8a; }
dl.legend { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .8rem; }
dl.legend dt { font-weight: 600; text-align: center; padding: 0 .4rem; }
"""

_CLASSES = {
    Form.CLEAR: "clear",
    Form.DEAD_LETTER: "dead-letter",
    Form.SCRUBBED: "scrubbed",
    Form.PSEUDONYMISED: "pseudonymised",
}


def render_html(data: DataMap, source: str) -> str:
    """The whole page; ``source`` names the catalogue the map was computed from."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Data map of the agency assistant bus</title>",
        f"<style>{CSS}</style></head>",
        "<body><main>",
        "<h1>Data map: where personal data goes on the bus</h1>",
        f"<p>Computed by <code>bus datamap</code> from <code>{escape(source)}</code>, the "
        "contracts' <code>pii</code> and <code>free_text</code> marks, the routing of each "
        "event family and the ACLs <code>bus acl apply</code> sets: "
        f"{len(data.fields)} personal-data fields, {len(data.topics)} topics, "
        f"{len(data.readers)} principals. {_md_code(SUPER_USER_NOTE)}</p>",
        "<h2>Who may read which field</h2>",
        _legend(),
        _matrix(data),
        "<h2>Routes: the topics each field travels on</h2>",
        '<p>Fields marked <span class="free">free text</span> are typed by people, so any '
        "identifier may be in them; <code>bus.privacy</code> finds and replaces those.</p>",
    ]
    for number, (fields, passages) in enumerate(data.routes(), 1):
        parts.append(f'<section aria-labelledby="route-{number}">')
        parts.append(f'<h3 id="route-{number}">Route {number}</h3>')
        parts.append("<p>Fields: " + ", ".join(_named(f) for f in fields) + "</p>")
        rows = [(data.topic(p.topic), p.form.value) for p in passages]
        parts.append(
            _table(
                f"The topics of route {number}",
                ("topic", "form", "retention", "readers"),
                [
                    (_code(topic.name), escape(form), _retention(topic), _readers(topic))
                    for topic, form in rows
                ],
            )
        )
        parts.append("<ul>" + "".join(f"<li>{t}</li>" for t in treatments(fields, _code)) + "</ul>")
        parts.append("</section>")
    parts += [
        "<h2>Topics</h2>",
        _table(
            "Every topic with personal data",
            ("topic", "retention", "readers", "what it carries"),
            [(_code(t.name), _retention(t), _readers(t), escape(t.summary)) for t in data.topics],
        ),
        "<h2>Topics without personal data</h2>",
        _table(
            "The other topics of the bus, the workers' state and the registry's included",
            ("topic", "readers", "what it holds"),
            [(_code(t.name), _readers(t), escape(t.summary)) for t in data.quiet],
        ),
        "<h2>Principals</h2>",
        _table(
            "The principals of the bus",
            ("principal", "what it is"),
            [(_code(r.name), escape(r.role)) for r in data.readers],
        ),
    ]
    if data.unplaced:
        parts.append(
            "<p>Personal-data fields of contracts no topic carries as events (they travel only "
            "inside another record): " + ", ".join(_code(f) for f in data.unplaced) + ".</p>"
        )
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _legend() -> str:
    items = "".join(
        f'<dt class="{_CLASSES[form]}">{MARKS[form]}</dt>'
        f"<dd><strong>{escape(form.value)}</strong>: {escape(LEGEND[form])}</dd>"
        for form in EXPOSURE
    )
    return f'<dl class="legend">{items}<dt>·</dt><dd>may not read it anywhere</dd></dl>'


def _matrix(data: DataMap) -> str:
    head = "".join(f'<th scope="col">{escape(r.name)}</th>' for r in data.readers)
    rows = []
    for field in data.fields:
        cells = []
        for reader in data.readers:
            form = data.access(field, reader.name)
            if form is None:
                cells.append(f'<td class="none" title="{escape(reader.name)}: no access">·</td>')
            else:
                cells.append(
                    f'<td class="{_CLASSES[form]}" title="{escape(reader.name)}: '
                    f'{escape(form.value)}"><abbr title="{escape(form.value)}">'
                    f"{MARKS[form]}</abbr></td>"
                )
        rows.append(
            f'<tr data-field="{escape(field.label)}"><th scope="row">{_named(field)}</th>'
            + "".join(cells)
            + "</tr>"
        )
    return (
        '<table class="matrix" id="matrix">'
        "<caption>Personal-data fields (rows) by principal (columns): the most exposed form "
        "in which each principal may read each field</caption>"
        f'<thead><tr><th scope="col">field</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _table(caption: str, headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + f'<th scope="row">{row[0]}</th>' + "".join(f"<td>{c}</td>" for c in row[1:])
        for row in rows
    )
    return (
        f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _named(field: PersonalField) -> str:
    free = ' <span class="free">free text</span>' if field.free_text else ""
    return _code(field.label) + free


def _readers(topic: Topic) -> str:
    return ", ".join(map(_code, topic.readers)) or "nobody"


def _retention(topic: Topic) -> str:
    if topic.cleanup_policy == "delete":
        return escape(topic.retention)
    return escape(f"{topic.retention} ({topic.cleanup_policy})")


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def _md_code(text: str) -> str:
    """A sentence with Markdown back-ticks as HTML ``code``."""
    pieces = escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(pieces))
