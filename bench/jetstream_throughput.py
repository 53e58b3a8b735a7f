"""Jetstream live consumer throughput: events per second on one core through matching
and the pipeline chain (DuckDB storage included), from an in-process generator and
through a local websocket, against the whole Bluesky network's rate.

    python -m bench.jetstream_throughput [--quick]

The generated stream mimics the full network's mix (likes, follows, posts, reposts,
other records, identity and account events); 1 % of posts match the campaign (tag facets
over non-ASCII text, record tags, keywords) and some reposts hit stored campaign posts.
Profiles come from an in-process stand-in for getProfiles (no network).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from websockets.sync.server import ServerConnection, serve

from crawler.bluesky.jetstream import JetstreamConsumer
from crawler.bluesky.parse import parse_profile
from crawler.core.config import Campaign
from crawler.core.items import AccountItem
from crawler.db.store import Store
from pipelines.chain import PipelineChain

NETWORK_EVENTS_PER_S = 2000.0  # the whole network, all collections (lower bound)
NETWORK_POSTS_PER_S = 36.0  # posts at peak

CAMPAIGN = Campaign.model_validate(
    {
        "campaign": {
            "name": "bench",
            "hashtags": ["SaubereLuftJetzt", "ČistýVzduch"],
            "keywords": ["clean air initiative"],
        },
        "bluesky": {"jetstream": "ws://127.0.0.1:9/subscribe"},
    }
)
WORDS = "Kaffee heute Wetter Fußball Żółć día café ελληνικά morgen news photo art".split()


class LocalProfiles:
    def __init__(self) -> None:
        self.calls = 0

    def get_profiles(self, dids: list[str]) -> list[AccountItem]:
        self.calls += 1
        now = datetime.now(UTC)
        return [
            parse_profile(
                {
                    "did": d,
                    "handle": d[8:20] + ".bsky.social",
                    "description": "hi",
                    "followersCount": 10,
                    "followsCount": 5,
                    "postsCount": 50,
                },
                now,
            )
            for d in dids
        ]


def generate(n: int, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    t = int(time.time() * 1e6) - 60_000_000
    matched: list[str] = []
    out: list[dict[str, Any]] = []
    for i in range(n):
        t += rng.randint(200, 800) - (3000 if rng.random() < 0.01 else 0)  # not monotonic
        did = f"did:plc:{rng.randrange(200_000):024d}"
        r = rng.random()
        rkey = f"3l{i:011d}"
        if r < 0.10:  # post
            text = " ".join(rng.choices(WORDS, k=12))
            record: dict[str, Any] = {
                "$type": "app.bsky.feed.post",
                "text": text,
                "createdAt": "2026-05-25T14:23:28.757Z",
                "langs": ["de"],
            }
            if rng.random() < 0.01:
                text = "Für saubere Luft 🌍 #SaubereLuftJetzt ✊ " + text
                start = text.encode().index(b"#")
                record["text"] = text
                record["facets"] = [
                    {
                        "index": {"byteStart": start, "byteEnd": start + 17},
                        "features": [
                            {"$type": "app.bsky.richtext.facet#tag", "tag": "SaubereLuftJetzt"}
                        ],
                    }
                ]
                matched.append(f"at://{did}/app.bsky.feed.post/{rkey}")
            commit = {
                "operation": "create",
                "collection": "app.bsky.feed.post",
                "rkey": rkey,
                "record": record,
            }
        elif r < 0.18:  # repost
            subject = (
                rng.choice(matched)
                if matched and rng.random() < 0.05
                else f"at://did:plc:x/app.bsky.feed.post/{i}"
            )
            commit = {
                "operation": "create",
                "collection": "app.bsky.feed.repost",
                "rkey": rkey,
                "record": {
                    "$type": "app.bsky.feed.repost",
                    "subject": {"uri": subject},
                    "createdAt": "2026-05-25T14:23:28.757Z",
                },
            }
        elif r < 0.98:  # likes, follows, blocks, other apps' records
            coll = rng.choice(
                ["app.bsky.feed.like"] * 4 + ["app.bsky.graph.follow", "place.stream.x"]
            )
            commit = {
                "operation": "create",
                "collection": coll,
                "rkey": rkey,
                "record": {"$type": coll, "subject": {"uri": "at://did:plc:y/a/b"}},
            }
        elif r < 0.99:
            out.append(
                {
                    "did": did,
                    "time_us": t,
                    "kind": "identity",
                    "identity": {"did": did, "handle": "h.bsky.social"},
                }
            )
            continue
        else:
            out.append(
                {
                    "did": did,
                    "time_us": t,
                    "kind": "account",
                    "account": {"did": did, "active": False, "status": "deactivated"},
                }
            )
            continue
        out.append({"did": did, "time_us": t, "kind": "commit", "commit": commit})
    return out


def _consumer(store: Store, url: str) -> tuple[JetstreamConsumer, PipelineChain]:
    chain = PipelineChain(store)
    return JetstreamConsumer(CAMPAIGN, store, chain, url=url, client=LocalProfiles()), chain


def bench_generator(events: list[dict[str, Any]], db: Path) -> float:
    lines = [json.dumps(e) for e in events]  # decoding is part of the work
    with Store(db) as store:
        consumer, chain = _consumer(store, "ws://127.0.0.1:9/subscribe")
        consumer._load_known()
        start = time.perf_counter()
        for line in lines:
            consumer.handle_message(line)
            consumer._maybe_checkpoint()
        consumer._checkpoint()
        chain.close()
        elapsed = time.perf_counter() - start
        print(f"  stored posts {store.count('posts')}, interactions {store.count('interactions')}")
    return len(lines) / elapsed


def bench_websocket(events: list[dict[str, Any]], db: Path) -> float:
    wanted = {"app.bsky.feed.post", "app.bsky.feed.repost"}
    lines = [
        json.dumps(e)
        for e in events
        if e["kind"] != "commit" or e["commit"]["collection"] in wanted
    ]
    # the server filters like Jetstream; count what the client must read

    def handler(ws: ServerConnection) -> None:
        for line in lines:
            ws.send(line)
        try:
            ws.recv(timeout=30)
        except Exception:  # noqa: BLE001
            return

    server = serve(handler, "127.0.0.1", 0, compression=None)
    port = server.socket.getsockname()[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with Store(db) as store:
            consumer, chain = _consumer(store, f"ws://127.0.0.1:{port}/subscribe")
            start = time.perf_counter()
            stats = consumer.run(max_events=len(lines), duration=600)
            chain.close()
            elapsed = time.perf_counter() - start
        assert stats["events"] == len(lines), stats["events"]
    finally:
        server.shutdown()
        thread.join(timeout=5)
    return len(lines) / elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.jetstream_throughput")
    ap.add_argument("--quick", action="store_true", help="20,000 events instead of 200,000")
    args = ap.parse_args(argv)
    n = 20_000 if args.quick else 200_000
    events = generate(n)
    posts = sum(
        1
        for e in events
        if e["kind"] == "commit" and e["commit"]["collection"] == "app.bsky.feed.post"
    )
    with tempfile.TemporaryDirectory(prefix="scout-bench-") as tmp:
        print(f"{n} events ({posts} posts), full-network mix, one thread")
        gen = bench_generator(events, Path(tmp) / "gen.duckdb")
        print(
            f"generator: {gen:,.0f} events/s = {gen / NETWORK_EVENTS_PER_S:.1f}x the network's "
            f"{NETWORK_EVENTS_PER_S:,.0f} events/s; posts {gen * posts / n:,.0f}/s = "
            f"{gen * posts / n / NETWORK_POSTS_PER_S:.1f}x the {NETWORK_POSTS_PER_S:.0f}/s peak"
        )
        ws = bench_websocket(events, Path(tmp) / "ws.duckdb")
        delivered = sum(
            1
            for e in events
            if e["kind"] != "commit"
            or e["commit"]["collection"] in ("app.bsky.feed.post", "app.bsky.feed.repost")
        )
        equiv = ws * n / max(1, delivered)
        print(
            f"websocket ({delivered} events after Jetstream's filter): {ws:,.0f} events/s read"
            f" = {equiv:,.0f} network events/s = {equiv / NETWORK_EVENTS_PER_S:.1f}x the network"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
