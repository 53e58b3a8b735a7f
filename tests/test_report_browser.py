"""The static report in a real headless browser (Playwright driving Debian's
chromium-headless-shell, as tests/test_web_browser.py does): at phone width (375 px) the
page never scrolls sideways (wide tables scroll inside their wrappers), at desktop width
neither; the Content-Security-Policy reports no violation; folded reasons open.

Skipped with the reason when the browser or Playwright is missing, unless
``SCOUT_REQUIRE_BROWSER=1`` (CI), which turns a missing browser into a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.app.report import build_report
from tests.support.browser import BROWSER, needs_browser
from tests.support.leads import NOW, build_store, make_campaign

pytestmark = needs_browser

# elements sticking out of the viewport that are not inside a scrolling table wrapper
OVERFLOWING = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
               && !e.closest('.scroll'))
  .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    campaign = make_campaign(signatures={"DE": 70_000, "FR": 12_000, "MT": 4_000})
    with build_store() as store:
        return build_report(store, campaign, out, top_n=20, now=NOW)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(BROWSER))
        yield b
        b.close()


def _open(browser: Any, report: Path, width: int) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=width < 700)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(report.as_uri())
    return context, page, problems


@pytest.mark.parametrize("width", [375, 1280])
def test_report_never_scrolls_sideways(browser: Any, report: Path, width: int) -> None:
    context, page, problems = _open(browser, report, width)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate(OVERFLOWING) == []
    # the country picture is the first thing after the header, its chart fits the screen
    first = page.evaluate("document.querySelector('main > section').id")
    assert first == "coverage"
    chart = page.locator("#country-chart svg").bounding_box()
    assert chart is not None and chart["width"] <= width
    assert page.get_by_role("heading", name="Country coverage").is_visible()
    assert problems == [], problems  # a CSP violation is a console error
    context.close()


def test_folded_reasons_open_at_phone_width(browser: Any, report: Path) -> None:
    context, page, problems = _open(browser, report, 375)
    row = page.locator("#contact-first table.leads tbody tr").first
    details = row.locator("details")
    folded = details.locator("li").first
    assert row.locator("td.reasons > ul.why > li").count() == 3
    assert not folded.is_visible()
    details.locator("summary").click()
    assert folded.is_visible()
    # a lead is one block on a phone: its name, handle and reasons within the screen
    box = row.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert problems == [], problems
    context.close()
