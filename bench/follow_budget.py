"""Benchmark: how much of each server's request budget follower collection uses (issue
10's target: at least 90 %, with zero 429s), against a baseline in the same run.

The demo network (:class:`scout_demo.network.DemoNetwork`) runs on 127.0.0.1 with a
bigger world (``--accounts``: the seeds' follower lists grow with it) and a small
fixed-window budget per server (``--limit`` requests per ``--window`` seconds, one
throttle, as :mod:`bench.mastodon_budget`), so the walks are budget-bound and span
several windows. The campaign is the demo's with seeds only: a hashtag nothing carries,
no keywords, ``followers_max`` above every list. Each client walks the same lists:

* Mastodon, ``scout``: :func:`crawler.app.crawl.collect_mastodon` in this process (the
  one tag spider with :mod:`spiders.mastodon_follows`, budgets from headers), every demo
  instance at once; baseline ``mastodon.py``: one ``Mastodon(ratelimit_method="pace")``
  client per instance, the seeds' ``account_lookup``, ``account_followers`` /
  ``account_following`` (80 a page) and ``fetch_next``, one page per instance in turn;
* Bluesky, ``scout``: :class:`crawler.bluesky.collector.BlueskyCollector` (its
  :class:`~crawler.bluesky.graph.SeedWalker`: profiles, getFollowers, getFollows, starter
  packs) through the pipeline chain; baseline ``atproto wait``: the SDK's ``Client``
  walking the same calls, sleeping until the reset when ``RateLimit-Remaining`` reaches
  0 (Mastodon.py's ``ratelimit_method="wait"``, no reserve).

Every answer a client gets is logged with its rate-limit headers (a Scrapy extension on
``response_downloaded``; a ``requests`` hook for Mastodon.py; an ``httpx`` hook for the
SDK): the reset names the server window that counted the request. Printed per server and
client: requests answered (and the server's own count from ``/_demo/stats``), windows
spanned, the share of the published budget used in the windows the walk was active but
the last (partial) one, the same share without the first window either (steady: the
walk began inside it; a walk of one list at a time spends there what the time left allows,
so that window measures the start's timing more than the client), 429s served by the
server and seen by the client, and the ratios scout / baseline.

Run: ``python -m bench.follow_budget`` (about 4 minutes) or ``--quick`` (about 1.5).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Self

NEVER_TAG = "zzfollowbenchnothingcarriesthis"
FOLLOWERS_MAX = 1_000_000
BSKY_PAGE = 100
MASTODON_PAGE = 80


@dataclass
class Hit:
    """One answer: when, its status, the window that counted it (reset epoch)."""

    at: float
    status: int
    reset: float | None
    limit: int | None
    window: int | None  # the policy's window (Bluesky), when stated


@dataclass
class ResponseLog:
    """Answers per server (``host:port``), from any thread."""

    hits: dict[str, list[Hit]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, url: str, status: int, headers: dict[str, str]) -> None:
        from crawler.core.net import host_key
        from crawler.core.ratelimit import parse_rate_limit

        now = datetime.now(UTC)
        lower = {k.lower(): v for k, v in headers.items()}
        rl = parse_rate_limit(lower, now)
        reset = rl.reset_at.timestamp() if rl is not None and rl.reset_at else None
        limit = rl.limit if rl is not None else None
        window = rl.window_seconds if rl is not None else None
        with self.lock:
            self.hits[host_key(url)].append(Hit(time.time(), status, reset, limit, window))

    def clear(self) -> None:
        with self.lock:
            self.hits.clear()


LOG = ResponseLog()


class ScrapyResponseLog:
    """Scrapy extension (``EXTENSIONS``): every downloaded answer into :data:`LOG`,
    before any middleware acts on it (so 429s are seen too)."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> Self:
        from scrapy import signals

        ext = cls()
        crawler.signals.connect(ext.downloaded, signal=signals.response_downloaded)
        return ext

    def downloaded(self, response: Any, request: Any, spider: Any) -> None:
        LOG.record(response.url, response.status, response.headers.to_unicode_dict())


# ----------------------------------------------------------------------------- results
@dataclass
class Row:
    server: str
    client: str
    answered: int  # answers the client got (429s included)
    server_count: int  # requests the server counted (``/_demo/stats``)
    windows: int  # windows from the first answer to the last
    full: int  # of those, the ones before the last
    used: int  # answers other than 429 in the full windows
    limit: int
    refused_server: int
    refused_client: int
    seconds: float  # from the first answer to the last
    inner_used: int = 0  # answers other than 429 in the windows after the first, but the last

    @property
    def share(self) -> float | None:
        return self.used / (self.limit * self.full) if self.full else None

    @property
    def steady(self) -> float | None:
        """The share in the windows the walk spanned whole (the first one began before
        the walk did: how much of it a one-list walk can spend depends on when in the
        window it starts, not on the client)."""
        inner = self.full - 1
        return self.inner_used / (self.limit * inner) if inner > 0 else None


def _windows(hits: list[Hit], limit: int, window: float) -> tuple[int, int, int, int]:
    """(windows spanned, windows before the last, answers other than 429 in those, and
    in those but the first).

    An answer whose headers describe another budget (Bluesky's createSession answers
    with its session budget) is counted in the window of the next answer."""
    resets: list[float | None] = []
    nxt: float | None = None
    for h in sorted(hits, key=lambda h: h.at, reverse=True):
        main = h.limit == limit and h.window in (None, round(window))
        if h.reset is not None and main:
            nxt = h.reset
        resets.append(nxt)
    keyed = [r for r in resets if r is not None]
    if not keyed:
        return 0, 0, 0, 0
    first = min(keyed)
    index = [round((r - first) / window) if r is not None else None for r in resets]
    last = max(i for i in index if i is not None)
    ordered = sorted(hits, key=lambda h: h.at, reverse=True)
    ok = [i for h, i in zip(ordered, index, strict=True) if i is not None and h.status != 429]
    used = sum(1 for i in ok if i < last)
    return last + 1, last, used, sum(1 for i in ok if 0 < i < last)


def _server_totals(stats: dict[str, Any]) -> tuple[int, int]:
    return sum(stats.get("requests", {}).values()), int(stats.get("rate_limited", 0))


def _rows(
    client: str,
    urls: list[str],
    before: dict[str, Any],
    after: dict[str, Any],
    limit: int,
    window: float,
) -> list[Row]:
    from crawler.core.net import host_key

    rows = []
    for url in urls:
        hits = LOG.hits.get(host_key(url), [])
        n0, r0 = _server_totals(before[url])
        n1, r1 = _server_totals(after[url])
        spanned, full, used, inner_used = _windows(hits, limit, window)
        times = [h.at for h in hits]
        rows.append(
            Row(
                server=host_key(url),
                client=client,
                answered=len(hits),
                server_count=n1 - n0,
                windows=spanned,
                full=full,
                used=used,
                limit=limit,
                refused_server=r1 - r0,
                refused_client=sum(1 for h in hits if h.status == 429),
                seconds=max(times) - min(times) if times else 0.0,
                inner_used=inner_used,
            )
        )
    return rows


# ----------------------------------------------------------------------------- campaign
def _campaign_text(text: str) -> str:
    """The demo campaign, seeds only: a tag nothing carries, no keywords, no cap."""
    text = re.sub(r"(?m)^hashtags = .*$", f'hashtags = ["{NEVER_TAG}"]', text)
    text = re.sub(r"(?m)^keywords = .*$", "keywords = []", text)
    return re.sub(r"(?m)^followers_max = .*$", f"followers_max = {FOLLOWERS_MAX}", text)


def _fresh_window(window: float) -> None:
    """Sleep past the window of the last request (each client starts on a full one)."""
    time.sleep(window + 0.2)


# ----------------------------------------------------------------------------- Mastodon
def run_scout_mastodon(campaign: Any, db: Path) -> dict[str, Any]:
    from crawler.app.crawl import collect_mastodon
    from crawler.app.shutdown import Shutdown

    overrides = {
        "EXTENSIONS": {f"{__name__}.ScrapyResponseLog": 0},
        # one throttle on these servers (no separate paging budget): assume none
        "SCOUT_PAGING_LIMIT": 0,
        "SCOUT_REBLOGGED_BY_MAX": 0,
        "SCOUT_MENTION_LOOKUPS_MAX": 0,
    }
    # as `scout crawl` does: SIGTERM and Ctrl-C stop the crawl, and Scrapy's own handlers
    # (which would swallow a later SIGTERM once its engine is gone) are never installed
    with Shutdown() as shutdown:
        return collect_mastodon(campaign, db, "ERROR", overrides=overrides, shutdown=shutdown)


def _mastodon_steps(base: str, seeds: list[dict[str, Any]]) -> Generator[None, None, None]:
    """One request per step: each seed's look-up, then its two lists page by page."""
    import requests
    from mastodon import Mastodon

    session = requests.Session()

    def hook(response: Any, *args: Any, **kwargs: Any) -> None:
        LOG.record(response.url, response.status_code, dict(response.headers))

    session.hooks["response"].append(hook)
    api = Mastodon(
        api_base_url=base, ratelimit_method="pace", version_check_mode="none", session=session
    )
    for seed in seeds:
        account = yield from _retried(partial(api.account_lookup, seed["username"]))
        for first in (api.account_followers, api.account_following):
            page = yield from _retried(partial(first, account["id"], limit=MASTODON_PAGE))
            read = len(page)
            while page and read < FOLLOWERS_MAX:
                nxt = yield from _retried(partial(api.fetch_next, page))
                if not nxt:
                    break
                page, read = nxt, read + len(nxt)


RATELIMIT_RETRY_WAIT = 1.0


def _retried(call: Callable[[], Any]) -> Generator[None, None, Any]:
    """Generator step: ``call()``, asked again after a Mastodon.py rate-limit error
    (its pacing gives up when a reset is already past, a window ended mid-request)."""
    from mastodon.errors import MastodonRatelimitError

    while True:
        try:
            result = call()
        except MastodonRatelimitError:
            # the server's window has not turned yet: asking again at once would spin (and
            # spend the new window's requests on 429s); Mastodon.py's pacing is by the
            # second, so wait one
            time.sleep(RATELIMIT_RETRY_WAIT)
            yield None
            continue
        yield None
        return result


def run_mastodon_py(state: dict[str, Any]) -> None:
    by_base: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for seed in state["seeds"]:
        if seed["platform"] == "mastodon":
            by_base[seed["base_url"].rstrip("/")].append(seed)
    walks = [_mastodon_steps(base, seeds) for base, seeds in sorted(by_base.items())]
    while walks:  # one request per instance in turn, as one thread does
        for walk in list(walks):
            if next(walk, StopIteration) is StopIteration:
                walks.remove(walk)


# ----------------------------------------------------------------------------- Bluesky
def _hook_httpx(request: Any) -> None:
    """Log every answer of an atproto ``Request`` (its httpx client's response hook)."""

    def hook(response: Any) -> None:
        LOG.record(str(response.url), response.status_code, dict(response.headers))

    client = request._client  # the SDK keeps its httpx.Client here
    client.event_hooks = {**client.event_hooks, "response": [hook]}


def run_scout_bluesky(campaign: Any, db: Path, session_dir: Path) -> dict[str, Any]:
    from crawler.bluesky.collector import BlueskyCollector
    from crawler.db.store import Store
    from pipelines.chain import PipelineChain
    from pipelines.stats import Stats

    store = Store(db)
    chain = PipelineChain(store, Stats(), respect_opt_outs=campaign.privacy.respect_opt_outs)
    collector = BlueskyCollector(
        campaign, stats=chain.stats, cursors=store, session_dir=session_dir
    )
    _hook_httpx(collector.client.request)
    try:
        chain.process_many(collector.run())
    finally:
        chain.close()
        store.close()
    return dict(chain.stats.get_stats())


def run_atproto_wait(state: dict[str, Any]) -> None:
    from atproto import Client, models
    from atproto_client.exceptions import RateLimitExceededError
    from atproto_client.request import Request

    request = Request(timeout=30)
    _hook_httpx(request)
    client = Client(base_url=state["bluesky"], request=request)

    def wait_for(headers: Any) -> None:
        h = {k.lower(): v for k, v in dict(headers or {}).items()}
        if h.get("ratelimit-remaining") == "0" and h.get("ratelimit-reset"):
            # the reset is in whole seconds, rounded down: the window may run a second more
            time.sleep(max(0.0, float(h["ratelimit-reset"]) + 1.0 - time.time()))

    def call(nsid: str, params: Any) -> dict[str, Any]:
        while True:
            try:
                response = client.invoke_query(nsid, params=params)
            except RateLimitExceededError as exc:
                headers = dict(exc.response.headers) if exc.response else {}
                after = {k.lower(): v for k, v in headers.items()}.get("retry-after")
                time.sleep(float(after) if after else 1.0)
                continue
            wait_for(response.headers)
            content: dict[str, Any] = response.content
            return content

    def pages(nsid: str, params: Any, field: str, **fixed: str) -> None:
        cursor, read = None, 0
        while read < FOLLOWERS_MAX:
            body = call(nsid, params(**fixed, limit=BSKY_PAGE, cursor=cursor))
            read += len(body.get(field) or [])
            cursor = body.get("cursor")
            if not cursor or not body.get(field):
                return

    client.login(state["bsky_handle"], state["bsky_password"])
    g = models
    for seed in state["seeds"]:
        if seed["platform"] != "bluesky":
            continue
        did = seed["did"]
        call("app.bsky.actor.getProfile", g.AppBskyActorGetProfile.Params(actor=did))
        followers, follows = g.AppBskyGraphGetFollowers, g.AppBskyGraphGetFollows
        pages("app.bsky.graph.getFollowers", followers.Params, "followers", actor=did)
        pages("app.bsky.graph.getFollows", follows.Params, "follows", actor=did)
    for pack in state.get("starter_packs", []):
        uri = f"at://{pack['creator_did']}/app.bsky.graph.starterpack/{pack['rkey']}"
        body = call(
            "app.bsky.graph.getStarterPack", g.AppBskyGraphGetStarterPack.Params(starter_pack=uri)
        )
        list_uri = body["starterPack"]["list"]["uri"]
        pages("app.bsky.graph.getList", g.AppBskyGraphGetList.Params, "items", list=list_uri)


# ----------------------------------------------------------------------------- main
def _print(rows: list[Row]) -> None:
    scout = {r.server: r for r in rows if r.client == "scout"}
    for r in rows:
        share = f"{r.share:.1%}" if r.share is not None else "n/a"
        steady = f"{r.steady:.1%}" if r.steady is not None else "n/a"
        ratio = steady_ratio = ""
        base = scout.get(r.server)
        if r.client != "scout" and base is not None and base.share and r.share:
            ratio = f"{base.share / r.share:.2f}"
        if r.client != "scout" and base is not None and base.steady and r.steady:
            steady_ratio = f"{base.steady / r.steady:.2f}"
        rate = r.answered / r.seconds if r.seconds else 0.0
        print(
            f"{r.server:>16} {r.client:>13} {r.answered:>8} {r.server_count:>7} "
            f"{rate:>6.2f} {r.windows:>7} {r.full:>5} {r.used:>5} {share:>7} {steady:>7} "
            f"{r.refused_server:>6} {r.refused_client:>6} {ratio:>6} {steady_ratio:>6}"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.follow_budget", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="a smaller world (about 3 minutes)")
    ap.add_argument("--accounts", type=int, default=None, help="demo world size")
    # one request a second: the rate of Mastodon's unauthenticated budget (300 / 5 min)
    ap.add_argument("--limit", type=int, default=30, help="requests per window per server")
    ap.add_argument("--window", type=float, default=30.0, help="window in seconds")
    args = ap.parse_args(argv)
    accounts = args.accounts or (6_000 if args.quick else 30_000)

    from crawler.core.config import load_campaign
    from scout_demo.network import DemoNetwork, write_demo_campaign

    print(
        f"budget {args.limit} requests / {args.window:g} s per server; demo world of "
        f"{accounts:,} accounts; seeds only (followers_max {FOLLOWERS_MAX:,})"
    )
    header = (
        f"{'server':>16} {'client':>13} {'answers':>8} {'server':>7} {'req/s':>6} {'windows':>7} "
        f"{'full':>5} {'used':>5} {'share':>7} {'steady':>7} {'429 s':>6} {'429 c':>6} "
        f"{'ratio':>6} {'ratio':>6}"
    )
    rows: list[Row] = []
    stats: dict[str, dict[str, Any]] = {}
    net = DemoNetwork(
        n_accounts=accounts,
        n_posts=accounts,
        rate_limit=args.limit,
        window=args.window,
        timeout=300,
    )
    with tempfile.TemporaryDirectory(prefix="scout-bench-") as tmpdir, net:
        tmp = Path(tmpdir)
        state = net.state
        os.environ["SCOUT_DEMO_BSKY_HANDLE"] = state["bsky_handle"]
        os.environ["SCOUT_DEMO_BSKY_PASSWORD"] = state["bsky_password"]
        path = write_demo_campaign(state, tmp / "demo.toml", seeds=True)
        path.write_text(_campaign_text(path.read_text(encoding="utf-8")), encoding="utf-8")
        campaign = load_campaign(path)
        masto, bsky = net.mastodon_urls, [net.bluesky_url]
        runs: list[tuple[str, list[str], Callable[[], Any]]] = [
            ("scout", masto, lambda: run_scout_mastodon(campaign, tmp / "m.duckdb")),
            ("mastodon.py", masto, lambda: run_mastodon_py(state)),
            ("scout", bsky, lambda: run_scout_bluesky(campaign, tmp / "b.duckdb", tmp)),
            ("atproto wait", bsky, lambda: run_atproto_wait(state)),
        ]
        for client, urls, run in runs:
            _fresh_window(args.window)
            LOG.clear()
            before = net.stats()
            started = time.monotonic()
            out = run()
            seconds = time.monotonic() - started
            rows += _rows(client, urls, before, net.stats(), args.limit, args.window)
            platform = "bluesky" if urls == bsky else "mastodon"
            if isinstance(out, dict):
                stats[platform] = out
            print(f"  {platform} {client}: {seconds:.1f} s", flush=True)
    print(header)
    print("-" * len(header))
    _print(rows)
    for platform, s in stats.items():
        keys = sorted(k for k in s if "429" in k or k.endswith("budget_waits") or "wait" in k)
        print(f"scout {platform} client stats: " + json.dumps({k: s[k] for k in keys}))
    print(
        "answers: what the client got; server: requests the server counted; req/s: answers"
        " per second from the first to the last; full: windows before the last (partial)"
        " one; used: answers other than 429 in them; share = used / (limit x full);"
        " steady: the same share without the first window (the walk began inside it, so"
        " what a one-list walk can spend there depends on when it started);"
        " 429 s / c: served by the server / seen by the client; ratio = scout share /"
        " baseline share, then the same for steady"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
