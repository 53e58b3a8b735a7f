"""The workspace in a real headless browser: `scout serve` started as a user starts it,
driven by Playwright through Debian's chromium-headless-shell (Playwright's own browser
download is not used). Filter a list, open a lead, mark it contacted with a note,
reload and see it kept (also from a second browser and after a re-ranking), on a phone-width screen and by
keyboard, with no Content-Security-Policy violation.

Skipped with the reason when the browser or Playwright is missing, unless
``SCOUT_REQUIRE_BROWSER=1`` (CI), which turns a missing browser into a failure.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.app.ranking import rank
from crawler.db.store import Store
from tests.support.browser import BROWSER, needs_browser
from tests.support.cli import ROOT
from tests.support.leads import make_campaign
from tests.support.reaper import Reaper
from tests.support.workspace import JANA, SIGNATURES, build_workspace_db

pytestmark = needs_browser
NOTE = "Called on 3 May; she will share the petition"


def _lines(stream: Any, out: queue.Queue[str]) -> None:
    for line in stream:
        out.put(line)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`scout serve --port 0` on a workspace database; yields its base URL (once it
    answers: polled, with a deadline) and the database."""
    db = build_workspace_db(tmp_path_factory.mktemp("browser") / "scout.duckdb")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    env.pop("SCOUT_SERVE_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "serve", "--db", str(db), "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    reaper = Reaper()  # if this test process is killed, the server dies with it
    reaper.kill_pid(proc.pid)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    try:
        deadline = time.monotonic() + 60
        url = None
        while url is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                assert proc.poll() is None, "scout serve exited early"
                continue
            found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            url = found.group(1) if found else None
        assert url, "scout serve never announced its address"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url + "static/workspace.css", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.05)  # polling for readiness, bounded by the deadline
        yield url, db
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        reaper.release()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(BROWSER))
        yield b
        b.close()


def _watch(page: Any) -> list[str]:
    """Console errors of the page (a CSP violation is one)."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def test_filter_open_mark_reload_kept(server: tuple[str, Path], browser: Any) -> None:
    base, db = server
    context = browser.new_context()
    page = context.new_page()
    problems = _watch(page)
    page.goto(base)
    assert page.locator("h1").first.inner_text() == "Clean Air for All"
    assert page.get_by_role("heading", name="Countries").is_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Volunteers").click()
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("Status").select_option("open")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"country=DE"))
    rows = page.locator("table.leads tbody tr")
    assert rows.count() == 2
    assert page.locator("p.count strong").inner_text() == "2"

    page.get_by_role("link", name="Jana Schröder 🌱").click()
    page.wait_for_url(re.compile(r"/lead\?id="))
    assert page.locator("#current-status").inner_text() == "new"
    page.get_by_label("Status").select_option("contacted")
    page.get_by_label("Owner").fill("Ana")
    page.get_by_label("Note").fill(NOTE)
    page.get_by_label("Your name").fill("Ana")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_selector("p.msg.ok")

    page.reload()
    assert page.locator("#current-status").inner_text() == "contacted"
    assert NOTE in page.locator("#current-note").inner_text()
    assert page.get_by_label("Status").input_value() == "contacted"
    assert "by Ana" in page.locator("ol.history").inner_text()

    # another organizer's browser sees it, and the open list still holds a contacted lead
    other = browser.new_context().new_page()
    other.goto(page.url)
    assert other.locator("#current-status").inner_text() == "contacted"
    other.goto(base + "c/Clean%20Air%20for%20All/leads/volunteer?status=contacted")
    assert other.locator("table.leads tbody tr").count() == 1

    # the ranking rewrites every lead (as each crawl does): the mark stays
    with Store(db) as store:
        assert len(rank(store, make_campaign(signatures=SIGNATURES))) == 48
    page.reload()
    assert page.locator("#current-status").inner_text() == "contacted"
    assert "rank" in page.locator("#why-h + h3").inner_text()
    assert problems == [], problems
    context.close()


def test_phone_width_and_keyboard(server: tuple[str, Path], browser: Any) -> None:
    base, _db = server
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    problems = _watch(page)
    for path in ("", "c/Clean%20Air%20for%20All/leads/volunteer", f"c/Clean%20Air%20for%20All/lead?id={JANA}"):  # fmt: skip
        page.goto(base + path)
        # the page never scrolls sideways: wide tables scroll inside themselves
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (path, width)
    # keyboard: the first Tab reaches the skip link, which moves focus to the content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # every form control has a label a screen reader announces
    unlabeled = page.evaluate(
        """[...document.querySelectorAll('select, textarea, input:not([type=hidden])')]
           .filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"""
    )
    assert unlabeled == []
    assert problems == [], problems
    context.close()
