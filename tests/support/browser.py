"""The headless browser the end-to-end page tests drive: Debian's
``chromium-headless-shell`` (``SCOUT_BROWSER`` names another binary) through
Playwright. Where it is missing the tests skip with the reason, unless
``SCOUT_REQUIRE_BROWSER=1`` (set by .ci/run): then a missing browser is a failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

BROWSER = Path(os.environ.get("SCOUT_BROWSER", "/usr/bin/chromium-headless-shell"))
REQUIRED = os.environ.get("SCOUT_REQUIRE_BROWSER") == "1"


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if not BROWSER.exists():
        return f"no headless Chromium at {BROWSER} (apt-get install chromium-headless-shell)"
    return None


MISSING = _browser_missing()
if MISSING and REQUIRED:
    raise RuntimeError(f"SCOUT_REQUIRE_BROWSER=1 but {MISSING}")
# module marker for the browser test files: pytestmark = needs_browser
needs_browser = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
