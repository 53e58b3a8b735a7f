"""`scout leads` while a crawl writes the same database, against DuckDB alone on an idle one.

    python -m bench.concurrent_reads [--accounts 300] [--posts 3000] [--quick]

1. A demo-network crawl builds a realistic database (idle from then on).
2. Baseline: the leads query of `scout leads` (``sql/select_leads.sql``) through a bare
   read-only ``duckdb.connect`` on the idle database, again and again.
3. A copy of that database is crawled again from a second demo network (other ports,
   so everything is new; small published rate limits, so the crawl lasts) in a
   subprocess, and meanwhile `scout leads` runs in process (``reading`` + the leads
   query, what the CLI does before printing) and, every tenth time, as a real
   ``scout leads`` process.

Reported: median, 95th percentile and worst latency of each, the ratio of the medians
(busy `scout leads` over idle DuckDB) and whether the worst in-process read stayed under
the 2 s target. Failed reads (lock errors) are counted; there should be none.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from crawler.app.export import select_leads
from crawler.app.summaries import reading
from crawler.core.config import load_campaign
from crawler.core.errors import ScoutError
from crawler.core.vocab import LEAD_TYPES
from crawler.db.connection import sql
from scout_demo.network import DemoNetwork, write_demo_campaign
from scout_demo.tables import DEMO_BSKY_HANDLE, DEMO_BSKY_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 2.0


def env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCOUT_DEMO_BSKY_HANDLE": DEMO_BSKY_HANDLE,
        "SCOUT_DEMO_BSKY_PASSWORD": DEMO_BSKY_PASSWORD,
    }


def crawl_cmd(campaign: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", "crawl", str(campaign), "--db", str(db)]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def summary(name: str, samples: list[float]) -> str:
    if not samples:
        return f"{name:<44} no samples"
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"{name:<44} n={len(samples):<4} median {statistics.median(samples) * 1000:7.1f} ms"
        f"   p95 {p95 * 1000:7.1f} ms   worst {ordered[-1] * 1000:7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--baseline", type=int, default=30, help="idle reads")
    parser.add_argument("--quick", action="store_true", help="a smaller world")
    args = parser.parse_args()
    if args.quick:
        args.accounts, args.posts = 200, 2000
    with tempfile.TemporaryDirectory(prefix="bench-reads-") as tmp_name:
        tmp = Path(tmp_name)
        idle_db, busy_db = tmp / "idle.duckdb", tmp / "busy.duckdb"
        print(f"building the database: demo crawl of {args.accounts} accounts ...", flush=True)
        with DemoNetwork(n_accounts=args.accounts, n_posts=args.posts) as net:
            campaign_file = write_demo_campaign(net.state, tmp / "first.toml")
            subprocess.run(
                crawl_cmd(campaign_file, idle_db), env=env(), check=True, capture_output=True
            )
            name = load_campaign(campaign_file).name  # its hosts are allowed while it runs
        leads_file = tmp / "leads.toml"  # no sources: `scout leads` only needs the name
        leads_file.write_text(f"[campaign]\nname = {json.dumps(name)}\nhashtags = ['x']\n")
        statement = sql("select_leads")
        # every filter of the statement unset, as a bare `scout leads` asks
        params: dict[str, object] = dict.fromkeys(re.findall(r"\$(\w+)", statement))
        params.update(campaign=name, limit=20, types=list(LEAD_TYPES))

        def bare_duckdb() -> None:
            with duckdb.connect(str(idle_db), read_only=True) as con:
                con.execute(statement, params).df()

        idle = [timed(bare_duckdb) for _ in range(args.baseline)]
        leads_in_idle = len(
            duckdb.connect(str(idle_db), read_only=True).execute(statement, params).df()
        )

        def scout_leads() -> None:
            with reading(busy_db) as store:
                select_leads(store, name, None, None, 20)

        shutil.copyfile(idle_db, busy_db)
        busy: list[float] = []
        busy_proc: list[float] = []
        failures: list[str] = []
        with DemoNetwork(
            seed=7, n_accounts=args.accounts, n_posts=args.posts, rate_limit=25, window=2
        ) as net:
            campaign2 = write_demo_campaign(net.state, tmp / "second.toml")
            print("second crawl (slow network) with reads beside it ...", flush=True)
            log = open(tmp / "crawl.log", "w")
            crawl = subprocess.Popen(
                crawl_cmd(campaign2, busy_db), env=env(), stdout=log, stderr=subprocess.STDOUT
            )
            i = 0
            while crawl.poll() is None:
                i += 1
                try:
                    if i % 10 == 0:
                        cmd = [sys.executable, "-m", "crawler.cli", "leads", str(leads_file)]
                        start = time.perf_counter()
                        proc = subprocess.run(
                            [*cmd, "--db", str(busy_db)], env=env(), capture_output=True
                        )
                        busy_proc.append(time.perf_counter() - start)
                        if proc.returncode != 0:
                            failures.append(proc.stderr.decode(errors="replace").strip())
                    else:
                        busy.append(timed(scout_leads))
                except (ScoutError, duckdb.Error) as exc:  # counted: a read must never fail
                    failures.append(f"{type(exc).__name__}: {exc}")
            log.close()
            crawl_ok = crawl.returncode == 0
        print()
        print(f"leads in the database: {leads_in_idle}; crawl beside the reads ok: {crawl_ok}")
        print(summary("baseline: DuckDB alone, idle database", idle))
        print(summary("`scout leads` in process, during a crawl", busy))
        print(summary("`scout leads` process, during a crawl", busy_proc))
        if idle and busy:
            ratio = statistics.median(busy) / statistics.median(idle)
            print(f"ratio of medians (busy scout leads / idle DuckDB): {ratio:.2f}")
            worst = max(busy)
            verdict = "met" if worst < TARGET_S else "NOT met"
            print(f"target: every in-process read under {TARGET_S:g} s: {verdict}")
        print(f"failed reads: {len(failures)}")
        for line in failures[:5]:
            print(f"  {line}")


if __name__ == "__main__":
    main()
