"""DuckDB writes: ``Store`` Arrow-batch upserts against row-by-row ``executemany``.

    python -m bench.storage_batches [--rows 20000] [--baseline-rows 1000] [--repeat 3]

Both sides write realistic posts into a fresh database with the project's schema; the
baseline uses ``INSERT OR REPLACE`` one row per parameter set, which is what a naive
pipeline does. Row-by-row writes are so slow in DuckDB (tens of rows per second) that
the baseline writes the first ``--baseline-rows`` rows only; the ratio compares rows per
second (higher is better).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.core.items import AccountItem, PostItem
from crawler.db.store import Store

WORDS = (
    "Saubere Luft ist ein Menschenrecht Jede Unterschrift zählt "
    "Signez l'initiative citoyenne européenne pour un air pur "
    "Podpisz europejską inicjatywę obywatelską czyste powietrze Łódź"
).split()


def make_items(n: int, seed: int = 7) -> tuple[list[AccountItem], list[PostItem]]:
    rng = random.Random(seed)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    accounts = [
        AccountItem(
            account_id=f"mastodon:https://social{i % 40}.example/users/u{i}",
            platform="mastodon",
            handle=f"u{i}@social{i % 40}.example",
            display_name=f"User {i}",
            bio=" ".join(rng.choices(WORDS, k=12)),
            followers_count=rng.randint(0, 50_000),
            following_count=rng.randint(0, 2000),
            posts_count=rng.randint(0, 9000),
            created_at=now - timedelta(days=rng.randint(1, 3000)),
            seen_at=now,
        )
        for i in range(max(1, n // 10))
    ]
    posts = []
    for i in range(n):
        acc = accounts[rng.randrange(len(accounts))]
        posts.append(
            PostItem(
                post_id=f"{acc.account_id}/statuses/{10**17 + i}",
                platform="mastodon",
                account_id=acc.account_id,
                url=f"https://social.example/@u/{i}",
                created_at=now - timedelta(minutes=i),
                text=" ".join(rng.choices(WORDS, k=25)) + " #CleanAirECI",
                lang=rng.choice(["de", "fr", "pl"]),
                hashtags=["cleanaireci", rng.choice(["righttobreathe", "eu", "luft"])],
                mentions=[f"u{rng.randrange(len(accounts))}@social1.example"],
                links=["https://cleanair-eci.example/sign"],
                like_count=rng.randint(0, 300),
                repost_count=rng.randint(0, 50),
                reply_count=rng.randint(0, 20),
                collected_at=now,
                source="social1.example",
            )
        )
    return accounts, posts


def arrow_batches(db: Path, accounts: list[AccountItem], posts: list[PostItem]) -> None:
    with Store(db) as store:
        store.upsert_accounts(accounts)
        store.upsert_posts(posts)


def row_by_row(db: Path, accounts: list[AccountItem], posts: list[PostItem]) -> None:
    with Store(db) as store:
        store.con.executemany(
            "INSERT OR REPLACE INTO accounts (account_id, platform, handle, display_name, bio,"
            " followers_count, following_count, posts_count, created_at, first_seen_at,"
            " last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    a.account_id,
                    a.platform,
                    a.handle,
                    a.display_name,
                    a.bio,
                    a.followers_count,
                    a.following_count,
                    a.posts_count,
                    a.created_at,
                    a.seen_at,
                    a.seen_at,
                )
                for a in accounts
            ],
        )
        store.con.executemany(
            "INSERT OR REPLACE INTO posts (post_id, platform, account_id, url, created_at, text,"
            " lang, hashtags, mentions, links, like_count, repost_count, reply_count,"
            " collected_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    p.post_id,
                    p.platform,
                    p.account_id,
                    p.url,
                    p.created_at,
                    p.text,
                    p.lang,
                    p.hashtags,
                    p.mentions,
                    p.links,
                    p.like_count,
                    p.repost_count,
                    p.reply_count,
                    p.collected_at,
                    p.source,
                )
                for p in posts
            ],
        )


def best_of(
    fn: Callable[[Path, list[AccountItem], list[PostItem]], None],
    accounts: list[AccountItem],
    posts: list[PostItem],
    repeat: int,
) -> float:
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.duckdb"
            Store(db).close()  # schema creation is not what we measure
            start = time.perf_counter()
            fn(db, accounts, posts)
            times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000, help="posts to write (default 20000)")
    ap.add_argument("--baseline-rows", type=int, default=1000, help="rows for the baseline")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    ap.add_argument("--quick", action="store_true", help="5,000 rows, 200 baseline rows, one run")
    args = ap.parse_args(argv)
    rows, base_rows, repeat = (
        (5000, 200, 1) if args.quick else (args.rows, args.baseline_rows, args.repeat)
    )
    accounts, posts = make_items(rows)
    base_posts = posts[:base_rows]
    base_accounts = accounts[: max(1, base_rows // 10)]
    baseline = best_of(row_by_row, base_accounts, base_posts, repeat)
    batched = best_of(arrow_batches, accounts, posts, repeat)
    base_rate = (len(base_posts) + len(base_accounts)) / baseline
    rate = (len(posts) + len(accounts)) / batched
    print(f"storage writes, best of {repeat}")
    print(f"  {'method':<26}{'rows':>9}{'seconds':>10}{'rows/s':>12}")
    print(
        f"  {'executemany row by row':<26}{len(base_posts) + len(base_accounts):>9,}"
        f"{baseline:>10.3f}{base_rate:>12,.0f}"
    )
    print(
        f"  {'Store (Arrow batches)':<26}{len(posts) + len(accounts):>9,}"
        f"{batched:>10.3f}{rate:>12,.0f}"
    )
    print(f"  ratio (rows/s batched / rows/s baseline): {rate / base_rate:.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
