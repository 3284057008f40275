"""The data map as Markdown for the panel: the matrix, then each route with its topics."""

from __future__ import annotations

from collections.abc import Callable

from bus.datamap.model import EXPOSURE, DataMap, Form, PersonalField, Topic

MARKS: dict[Form, str] = {
    Form.CLEAR: "C",
    Form.DEAD_LETTER: "D",
    Form.SCRUBBED: "S",
    Form.PSEUDONYMISED: "P",
}
"""One letter per form, so the matrix stays narrow enough to read."""

LEGEND: dict[Form, str] = {
    Form.CLEAR: "reads the value as the event carries it",
    Form.DEAD_LETTER: "reads it only in the original bytes of records that could not be processed",
    Form.SCRUBBED: "reads the text with its identifiers replaced (bus.privacy)",
    Form.PSEUDONYMISED: "reads only the audit log's keyed HMAC of it, never the value",
}

SUPER_USER_NOTE = (
    "The cluster's super user (the operator's `BUS_SASL_USERNAME`) may read every topic; "
    "it is not a principal of the bus and is left out."
)


def render_markdown(data: DataMap, source: str) -> str:
    """The whole map; ``source`` names the catalogue it was computed from."""
    lines = [
        "# Data map: where personal data goes on the bus",
        "",
        f"Computed by `bus datamap` from `{source}`, the contracts' `pii` and `free_text` "
        "marks, the routing of each event family and the ACLs `bus acl apply` sets. "
        f"{len(data.fields)} personal-data fields, {len(data.topics)} topics, "
        f"{len(data.readers)} principals. {SUPER_USER_NOTE}",
        "",
        "## Who may read which field",
        "",
        *(f"- **{MARKS[form]}** ({form.value}): {LEGEND[form]}" for form in EXPOSURE),
        "- **·**: may not read it anywhere",
        "",
        *_matrix(data),
        "",
        "## Routes: the topics each field travels on",
        "",
        "Fields marked *free text* are typed by people, so any identifier may be in them; "
        "`bus.privacy` finds and replaces those.",
    ]
    for number, (fields, passages) in enumerate(data.routes(), 1):
        lines += ["", f"### Route {number}", "", "Fields: " + ", ".join(map(_named, fields))]
        lines += ["", "| topic | form | retention | readers |", "| --- | --- | --- | --- |"]
        for passage in passages:
            topic = data.topic(passage.topic)
            readers = ", ".join(f"`{r}`" for r in topic.readers) or "nobody"
            lines.append(
                f"| `{topic.name}` | {passage.form.value} | {_retention(topic)} | {readers} |"
            )
        lines += ["", *(f"- {t}" for t in treatments(fields, _code))]
    lines += ["", "## Topics", "", "| topic | retention | readers | what it carries |"]
    lines.append("| --- | --- | --- | --- |")
    for topic in data.topics:
        readers = ", ".join(f"`{r}`" for r in topic.readers) or "nobody"
        lines.append(f"| `{topic.name}` | {_retention(topic)} | {readers} | {topic.summary} |")
    lines += ["", "## Topics without personal data", "", "| topic | readers | what it holds |"]
    lines.append("| --- | --- | --- |")
    for topic in data.quiet:
        readers = ", ".join(f"`{r}`" for r in topic.readers) or "nobody"
        lines.append(f"| `{topic.name}` | {readers} | {topic.summary} |")
    lines += ["", "## Principals", "", "| principal | what it is |", "| --- | --- |"]
    lines += [f"| `{reader.name}` | {reader.role} |" for reader in data.readers]
    if data.unplaced:
        lines += [
            "",
            "Personal-data fields of contracts no topic carries as events (they travel "
            "only inside another record): " + ", ".join(f"`{f}`" for f in data.unplaced) + ".",
        ]
    return "\n".join(lines) + "\n"


def _matrix(data: DataMap) -> list[str]:
    header = "| field | " + " | ".join(f"`{r.name}`" for r in data.readers) + " |"
    rows = [header, "| --- |" + " :-: |" * len(data.readers)]
    for field in data.fields:
        cells = [
            MARKS[form] if (form := data.access(field, r.name)) is not None else "·"
            for r in data.readers
        ]
        rows.append(f"| {_named(field)} | " + " | ".join(cells) + " |")
    return rows


def _code(text: str) -> str:
    return f"`{text}`"


def _named(field: PersonalField) -> str:
    return f"`{field.label}`" + (" *free text*" if field.free_text else "")


def _retention(topic: Topic) -> str:
    if topic.cleanup_policy == "delete":
        return topic.retention
    return f"{topic.retention} ({topic.cleanup_policy})"


def treatments(fields: tuple[PersonalField, ...], code: Callable[[str], str]) -> list[str]:
    """Where a route's fields are pseudonymised or scrubbed (the same for all of them), as
    sentences; ``code`` formats a topic's or command's name."""
    pseudonymised = fields[0].topics(Form.PSEUDONYMISED)
    scrubbed = fields[0].topics(Form.SCRUBBED)
    free = any(field.free_text for field in fields)
    found = []
    if pseudonymised:
        found.append(
            "Pseudonymised (HMAC-SHA256 under the audit key) by the auditor on "
            + ", ".join(map(code, pseudonymised))
            + (
                "; for free text the audit record also keeps a pseudonym of each identifier "
                "found in it."
                if free
                else "."
            )
        )
    else:
        found.append("Not pseudonymised anywhere: no audited topic carries it.")
    if scrubbed:
        found.append("Scrubbed on " + ", ".join(map(code, scrubbed)) + ".")
    found.append(
        code("bus replay --scrub")
        + " hands it on "
        + ("with the identifiers in free text replaced" if free else "pseudonymised")
        + (", but no topic carries it scrubbed." if free and not scrubbed else ".")
    )
    return found
