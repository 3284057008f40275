"""The map as Markdown, JSON and HTML, through ``bus datamap`` as a user runs it."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from bus.catalogue import load_catalogue
from bus.datamap import data_map
from bus.datamap.render_html import render_html
from bus.datamap.render_markdown import render_markdown
from bus.schemas.contracts import load_contracts
from bus.settings import Settings
from bus.supervise import run_bus

SETTINGS = Settings()
MAP = data_map(load_catalogue(SETTINGS.catalogue), load_contracts(SETTINGS.schemas_dir), SETTINGS)


def _matrix_row(markdown: str, label: str) -> dict[str, str]:
    """The matrix row of ``label`` as principal -> mark."""
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    header = [cell.strip(" `") for cell in rows[0].strip("|").split("|")]
    for line in rows:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0].startswith(f"`{label}`"):
            return dict(zip(header[1:], cells[1:], strict=True))
    raise AssertionError(f"no matrix row for {label}")


def test_the_markdown_matrix_marks_each_principals_access() -> None:
    text = render_markdown(MAP, "agencies.yaml")
    row = _matrix_row(text, "MessageSent.text")
    assert row["service-police"] == "C" and row["registry"] == "·"
    assert _matrix_row(text, "CaseOpened.summary")["escalator"] == "·"
    assert "`MessageSent.text` *free text*" in text
    assert "| `bus.audit` | pseudonymised | forever | `auditor`, `audit-reader` |" in text
    assert "- `bus replay --scrub` hands it on with the identifiers in free text replaced" in text
    quiet = text.split("## Topics without personal data", 1)[1].split("## Principals", 1)[0]
    assert "| `_schemas` | `registry` | The schema registry's schemas" in quiet
    assert "router-subjects-changelog` | `router` |" in quiet


class _Tables(HTMLParser):
    """Counts what accessibility needs: captions per table, header cells without a scope."""

    def __init__(self) -> None:
        super().__init__()
        self.tables = self.captions = self.unscoped = 0
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tables += tag == "table"
        self.captions += tag == "caption"
        self.unscoped += tag == "th" and found.get("scope") not in ("col", "row")
        self.external += [v for k, v in attrs if k in ("src", "href") and v is not None]


def test_the_html_page_is_self_contained_and_every_table_has_a_caption_and_scoped_headers() -> None:
    page = render_html(MAP, "agencies.yaml")
    tables = _Tables()
    tables.feed(page)
    assert tables.tables > 3 and tables.captions == tables.tables
    assert tables.unscoped == 0
    assert tables.external == []
    assert "<script" not in page and "@import" not in page and "url(" not in page
    assert "<h2>Topics without personal data</h2>" in page and "<code>_schemas</code>" in page


def test_bus_datamap_writes_each_format_chosen_by_option_or_suffix(tmp_path: Path) -> None:
    as_json = run_bus("datamap", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert {f["field"] for f in document["fields"]} == {f.label for f in MAP.fields}
    page = tmp_path / "map.html"
    wrote = run_bus("datamap", "--out", str(page))
    assert wrote.returncode == 0, wrote.stderr
    assert f"wrote {page} (html)" in wrote.stdout
    assert page.read_text().startswith("<!DOCTYPE html>")
    markdown = run_bus("datamap")
    assert markdown.stdout.startswith("# Data map")


def test_bus_datamap_with_a_missing_catalogue_says_what_to_do(tmp_path: Path) -> None:
    missing = run_bus("datamap", "--catalogue", str(tmp_path / "none.yaml"))
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        f"bus: error: {tmp_path / 'none.yaml'}: no catalogue there "
        "(set BUS_CATALOGUE or pass --catalogue)"
    ]
