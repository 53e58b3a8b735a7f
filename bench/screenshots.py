"""Screenshots of the workspace's main pages for the README (docs/screenshots/).

    python -m bench.screenshots [--db demo-output/demo.duckdb] [--out docs/screenshots]

Serves a copy of the database (``make demo`` writes it) on 127.0.0.1 at a free port
with werkzeug in a thread, then takes full-page screenshots with Playwright driving
Debian's chromium-headless-shell (``--browser``), after marking a few leads on the
copy: the dashboard, a lead list, a lead
page (desktop width) and the lead list at phone width.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import quote

import duckdb

from crawler.db.store import Store
from crawler.web.serve import make_workspace_server

ROOT = Path(__file__).resolve().parents[1]
MARKS = [
    ("to_contact", "Ana", "Ask for a joint post in the week of the launch"),
    ("contacted", "Ana", "Wrote to their press office on 3 May"),
    ("replied", "Ben", "Interested; call on Friday"),
    ("joined", "Ben", "Will collect signatures at their events"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=ROOT / "demo-output" / "demo.duckdb")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    ap.add_argument("--browser", type=Path, default=Path("/usr/bin/chromium-headless-shell"))
    args = ap.parse_args()
    if not args.db.exists():
        raise SystemExit(f"{args.db}: no database; run `make demo` first")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        shutil.copyfile(args.db, db)
        with duckdb.connect(str(db), read_only=True) as con:
            picked = con.execute(
                "SELECT campaign, account_id FROM leads WHERE lead_type = 'intermediary'"
                " AND campaign = (SELECT min(campaign) FROM leads) ORDER BY rank LIMIT 4"
            ).fetchall()
        campaign, top = picked[0]
        # a team at work on the copy: a few leads marked, so the lists show statuses
        with Store(db) as store:
            for (_c, account_id), (status, owner, note) in zip(picked, MARKS, strict=False):
                store.set_lead_status(
                    campaign, account_id, status=status, owner=owner, note=note, changed_by=owner
                )
        server = make_workspace_server(db, "127.0.0.1", 0)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}/c/{quote(campaign)}"
        shots = [
            ("dashboard.png", f"{base}/", 1280, True),
            ("leads.png", f"{base}/leads/intermediary?per=10", 1280, True),
            ("lead.png", f"{base}/lead?id={quote(top)}", 1280, True),
            ("leads-phone.png", f"{base}/leads/volunteer", 390, False),
        ]
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(args.browser))
                for name, url, width, full in shots:
                    page = browser.new_page(viewport={"width": width, "height": 900})
                    page.goto(url)
                    path = args.out / name
                    page.screenshot(path=str(path), full_page=full)
                    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
                    page.close()
                browser.close()
        finally:
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    main()
