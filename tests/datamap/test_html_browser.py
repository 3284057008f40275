"""The data map's HTML page in Debian's headless chromium: the matrix renders and reads right."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Request, expect

from bus.catalogue import load_catalogue
from bus.datamap import data_map
from bus.datamap.render_html import render_html
from bus.schemas.contracts import load_contracts
from bus.settings import Settings
from tests.browser import chromium

pytestmark = [pytest.mark.slow]

SETTINGS = Settings()
MAP = data_map(load_catalogue(SETTINGS.catalogue), load_contracts(SETTINGS.schemas_dir), SETTINGS)


async def test_the_matrix_shows_who_may_read_each_field_and_loads_nothing_else(
    tmp_path: Path,
) -> None:
    page_file = tmp_path / "datamap.html"
    page_file.write_text(render_html(MAP, "agencies.yaml"), encoding="utf-8")
    requested: list[str] = []
    async with chromium() as browser:
        page = await browser.new_page()

        def record(request: Request) -> None:
            requested.append(request.url)

        page.on("request", record)
        await page.goto(page_file.as_uri())
        matrix = page.get_by_role("table", name="Personal-data fields (rows) by principal")
        await expect(matrix).to_be_visible()
        headers = await matrix.locator("thead th").all_inner_texts()
        assert headers[0] == "field" and headers[1:] == [r.name for r in MAP.readers]
        row = matrix.locator("tr[data-field='MessageSent.text']")
        assert await row.locator("th").inner_text() == "MessageSent.text free text"
        cells = row.locator("td")
        police = headers.index("service-police") - 1
        registry = headers.index("registry") - 1
        await expect(cells.nth(police)).to_have_text("C")
        await expect(cells.nth(police)).to_have_attribute("title", "service-police: clear")
        await expect(cells.nth(registry)).to_have_text("·")
        colour = await cells.nth(police).evaluate("c => getComputedStyle(c).backgroundColor")
        none = await cells.nth(registry).evaluate("c => getComputedStyle(c).backgroundColor")
        assert colour != none  # clear access stands out, not only by its letter
        rows = await matrix.locator("tbody tr").count()
        assert rows == len(MAP.fields)
        await expect(page.get_by_role("heading", name="Route 1")).to_be_visible()
    assert requested == [page_file.as_uri()]
