"""How long each page of the workspace (`scout serve`) takes on the demo database,
against reading the same rows with DuckDB alone.

    python -m bench.web_pages [--db demo-output/demo.duckdb] [--repeat 20]

The database (``make demo`` writes it) is copied first, so the run changes nothing.
Each page is requested through Flask's test client: the whole request, opening the
database read-only, every query, the template, the security headers. Baseline, in
the same run: a bare read-only ``duckdb.connect`` running the page's main statement
(``sql/web_leads.sql`` for a list, ``sql/web_lead_account.sql`` for a lead, the
country counts for the dashboard) and fetching its rows, then closing. Reported per
page: median and 95th percentile, the ratio of medians (page / DuckDB alone) and
whether the median is under the 300 ms target.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb

from crawler.core.vocab import CLOSED_STATUSES, LEAD_STATUSES
from crawler.db.connection import sql
from crawler.web import create_app

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 300.0


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    fn()  # warm: templates compiled, statements read
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def bare(db: Path, statement: str, params: dict[str, Any]) -> Callable[[], Any]:
    def run() -> Any:
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.execute(statement, params).fetchall()
        finally:
            con.close()

    return run


def list_params(campaign: str, **filters: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "campaign": campaign,
        "lead_type": "volunteer",
        "country": None,
        "language": None,
        "status": None,
        "owner": None,
        "role": None,
        "community": None,
        "min_followers": None,
        "closed": list(CLOSED_STATUSES),
        "statuses": list(LEAD_STATUSES),
        "sort": "rank",
        "desc": False,
        "limit": 50,
        "offset": 0,
    }
    params.update(filters)
    return params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=ROOT / "demo-output" / "demo.duckdb")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    if not args.db.exists():
        raise SystemExit(f"{args.db}: no database; run `make demo` first")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        shutil.copyfile(args.db, db)
        app = create_app(db)
        client = app.test_client()
        with duckdb.connect(str(db), read_only=True) as con:
            campaign = str(con.execute("SELECT min(campaign) FROM leads").fetchall()[0][0])
            top = str(
                con.execute(
                    "SELECT account_id FROM leads WHERE campaign = ? AND lead_type = 'volunteer'"
                    " ORDER BY rank LIMIT 1",
                    [campaign],
                ).fetchall()[0][0]
            )
            leads = con.execute("SELECT count(*) FROM leads").fetchall()[0][0]
        base = f"/c/{quote(campaign)}"

        def get(url: str) -> Callable[[], Any]:
            def run() -> Any:
                r = client.get(url)
                assert r.status_code == 200, (url, r.status_code)
                return r.data

            return run

        cases: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
            (
                "dashboard",
                get(f"{base}/"),
                bare(db, sql("lead_counts_by_country"), {"campaign": campaign}),
            ),
            (
                "volunteer list",
                get(f"{base}/leads/volunteer"),
                bare(db, sql("web_leads"), list_params(campaign)),
            ),
            (
                "list, filtered + sorted",
                get(f"{base}/leads/volunteer?status=open&sort=followers&dir=desc&per=100"),
                bare(
                    db,
                    sql("web_leads"),
                    list_params(campaign, status="open", sort="followers", desc=True, limit=100),
                ),
            ),
            (
                "lead page",
                get(f"{base}/lead?id={quote(top)}"),
                bare(db, sql("web_lead_account"), {"campaign": campaign, "account_id": top}),
            ),
            (
                "export CSV (all volunteers)",
                get(f"{base}/leads/volunteer/export.csv"),
                bare(db, sql("web_leads"), list_params(campaign, limit=None)),
            ),
        ]
        print(f"{args.db.name}: {leads:,} leads; {args.repeat} requests per page after a warm-up")
        print(f"{'page':30} {'median':>9} {'p95':>9} {'DuckDB':>9} {'ratio':>7}  target")
        for name, page, baseline in cases:
            p = timed(page, args.repeat)
            b = timed(baseline, args.repeat)
            pm, bm = statistics.median(p), statistics.median(b)
            p95 = sorted(p)[int(0.95 * (len(p) - 1))]
            ok = "ok" if pm < TARGET_MS else f"OVER {TARGET_MS:.0f} ms"
            print(f"{name:30} {pm:7.1f}ms {p95:7.1f}ms {bm:7.1f}ms {pm / bm:6.1f}x  {ok}")
        app.extensions["scout_stores"].close()


if __name__ == "__main__":
    main()
