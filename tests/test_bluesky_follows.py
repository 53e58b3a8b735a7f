"""Bluesky seed lists: followers and follows of seed accounts, starter-pack members.

The recorded real ``getFollows`` answers in ``../shared/fixtures`` parse (and are walked
as served); the walk runs against a small AppView on 127.0.0.1
(:mod:`tests.support.xrpc_fake`): each listed account stored once, edges stored,
``followers_max``, opt-outs (seeds, followers, members), faults (retried, then the
page skipped and the list failed while the others go on), resume after an interruption
without duplicates, and edges that disappeared marked gone on a rerun.

Then the integration against Bluesky's own server code (``@atproto/dev-env``, started
by ``tests/support/atproto.py``; skipped without its toolchain, see
``tests/servers/atproto/README.md``, e.g. ``SCOUT_ATPROTO_CACHE=...``): accounts,
follows and a starter pack created through the real PDS, collected by ``scout crawl``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from atproto import models
from atproto_client.models.utils import get_or_create

from crawler.bluesky.collector import BlueskyCollector
from crawler.bluesky.faults import CollectionStopped
from crawler.bluesky.graph import CURSOR_PREFIX, ListWalk, SeedWalker
from crawler.bluesky.parse import parse_profile
from crawler.core.config import Campaign, load_campaign
from crawler.core.consent import opt_out_reason
from crawler.core.items import CursorItem
from crawler.core.text import clean_name, remove_zero_width
from crawler.db.store import Store
from pipelines.chain import PipelineChain
from tests.support.db import rows as query
from tests.support.fixtures import FIXTURES_DIR, json_bodies, require
from tests.support.xrpc_fake import FakeAppView, Graph, Pack

if TYPE_CHECKING:
    from tests.support.atproto import AtprotoNetwork, DevAccount

# the session fixture ``atproto_network`` (shared with tests/test_bluesky_devenv.py)
pytest_plugins = ["tests.support.atproto"]

FOLLOWERS = "app.bsky.graph.getFollowers"
FOLLOWS = "app.bsky.graph.getFollows"
N_FOLLOWERS = 250


def did(name: str | int) -> str:
    return f"did:plc:{str(name).rjust(24, 'x')}"


def aid(d: str) -> str:
    return f"bluesky:{d}"


# --- the recorded real answers ---------------------------------------------------------
RECORDED = {
    "bluesky/sdk-2024/get_follows.json": (6, None, "why.bsky.team"),
    "bluesky/bsky-social-2025/g_follows.yml": (48, "3lcbepc6gt32f", "sunyoungpark.bsky.social"),
}


def _recorded(rel: str) -> dict[str, Any]:
    bodies = [b for _, b in json_bodies(require(FIXTURES_DIR / rel)) if "follows" in b]
    assert len(bodies) == 1
    return bodies[0]


@pytest.mark.parametrize("rel", sorted(RECORDED))
def test_recorded_follow_lists_parse(rel: str) -> None:
    body = _recorded(rel)
    n, cursor, first = RECORDED[rel]
    typed = get_or_create(body, models.AppBskyGraphGetFollows.Response, strict=True)
    assert isinstance(typed, models.AppBskyGraphGetFollows.Response)
    assert len(typed.follows) == n and typed.cursor == cursor
    seen = datetime(2025, 5, 19, 17, 41, tzinfo=UTC)
    accounts = [parse_profile(v, seen) for v in body["follows"]]
    assert [a.handle for a in accounts][0] == first
    assert len({a.account_id for a in accounts}) == n
    for view, account in zip(body["follows"], accounts, strict=True):
        assert account.account_id == aid(view["did"])
        assert account.platform == "bluesky"
        assert account.url == f"https://bsky.app/profile/{view['handle']}"
        text = view.get("description")
        bio = remove_zero_width(text).strip() if text is not None else None
        assert account.bio == bio and account.display_name == clean_name(view.get("displayName"))
        assert account.followers_count is None  # a profileView carries no counts


# --- a small world on a loopback AppView ----------------------------------------------
def build_graph(n: int = N_FOLLOWERS) -> Graph:
    g = Graph()
    org = g.add(did("org"), "org.test", "Czyste Powietrze", "Kampania o czyste powietrze 🇵🇱")
    partner = g.add(did("partner"), "partner.test", "Partner NGO", "Clean air, Brussels")
    shy = g.add(did("shy"), "shy.test", "Shy Org", "", labels=("!no-unauthenticated",))
    fans = []
    for i in range(n):
        labels: tuple[str, ...] = ("!no-unauthenticated",) if i in (3, 150) else ()
        bio = "Please do not collect me #nobot" if i in (7, 210) else f"Aktywistka nr {i} 🌍"
        fans.append(g.add(did(i), f"f{i}.test", f"Fan {i}", bio, labels))
    g.followers[org] = fans
    g.follows[org] = [*fans[:30], partner]
    g.followers[partner] = [*fans[100:140], org]  # org follows partner: both lists say so
    g.followers[shy] = fans[:10]
    g.follows[shy] = fans[10:20]
    # the creator lists themself, as the Bluesky app does by default
    pack = Pack(org, "3kpack", "Clean air starter", [partner, *fans[200:220], fans[3], org])
    g.packs[pack.uri] = pack
    return g


OPTED_OUT = {aid(did(i)) for i in (3, 150, 7, 210)} | {aid(did("shy"))}


def write_campaign(path: Path, url: str, followers_max: int = 5000) -> Campaign:
    path.write_text(
        f"""[campaign]
name = "Follows Test"
hashtags = ["#cleanairfollows"]

[bluesky]
service = "{url}"

[seeds]
accounts = ["@org.test", "https://bsky.app/profile/{did("partner")}", "shy.test", "ghost.test"]
starter_packs = ["https://bsky.app/starter-pack/org.test/3kpack"]
followers_max = {followers_max}
""",
        encoding="utf-8",
    )
    return load_campaign(path)


def walk(
    campaign: Campaign, store: Store, tmp: Path, *, stop_after_cursors: int | None = None
) -> tuple[dict[str, Any], BlueskyCollector, bool]:
    """One run of the seed walk through the pipeline chain; ``stop_after_cursors``: set
    ``stop`` (as SIGTERM does) once that many page cursors were stored."""
    chain = PipelineChain(store)
    c = BlueskyCollector(
        campaign,
        stats=chain.stats,
        cursors=store,
        session_dir=tmp / "sessions",
        sleep=lambda _s: None,
        max_retries=2,
        backoff=0.0,
    )
    saved, stopped = 0, False
    try:
        for item in SeedWalker(c).run():
            chain.process(item)
            if isinstance(item, CursorItem) and item.value:
                saved += 1
                if saved == stop_after_cursors:
                    c.stop.set()
    except CollectionStopped:
        stopped = True
    finally:
        chain.close()
    return chain.stats.get_stats(), c, stopped


def rows(store: Store, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return store.con.execute(sql, params or []).fetchall()


def follows(store: Store, where: str = "true") -> set[tuple[str, str]]:
    return set(rows(store, f"SELECT src_account_id, dst_account_id FROM follows WHERE {where}"))  # noqa: S608


def seed_lists(store: Store) -> dict[str, tuple[Any, ...]]:
    return {
        r[0]: r[1:]
        for r in rows(
            store, "SELECT list_id, account_id, kind, status, items, reason FROM seed_lists"
        )
    }


@pytest.fixture
def graph() -> Graph:
    return build_graph()


@pytest.fixture
def app(graph: Graph) -> Iterator[FakeAppView]:
    with FakeAppView(graph) as fake:
        yield fake


def expected_edges(g: Graph) -> set[tuple[str, str]]:
    org, partner = did("org"), did("partner")
    edges = {(aid(f), aid(org)) for f in g.followers[org]}
    edges |= {(aid(org), aid(f)) for f in g.follows[org]}
    edges |= {(aid(f), aid(partner)) for f in g.followers[partner]}
    return {e for e in edges if not set(e) & OPTED_OUT}


# --- the walk --------------------------------------------------------------------------
def test_walk_stores_each_listed_account_once_and_the_edges(
    app: FakeAppView, graph: Graph, tmp_path: Path
) -> None:
    campaign = write_campaign(tmp_path / "c.toml", app.url)
    org, partner = aid(did("org")), aid(did("partner"))
    pack = graph.packs[next(iter(graph.packs))]
    with Store(tmp_path / "db.duckdb") as store:
        stats, c, stopped = walk(campaign, store, tmp_path)
        assert not stopped and c.errors == []
        assert follows(store) == expected_edges(graph)
        listed = {aid(d) for d in graph.followers[did("org")] + graph.follows[did("org")]}
        listed |= {aid(d) for d in graph.followers[did("partner")] + pack.members}
        stored = {r[0] for r in rows(store, "SELECT account_id FROM accounts")}
        assert stored == (listed | {org, partner}) - OPTED_OUT
        assert rows(store, "SELECT count(*) FROM follows WHERE gone_at IS NOT NULL") == [(0,)]
        # the seed's own full profile (counts from getProfile) is kept
        assert rows(store, "SELECT followers_count FROM accounts WHERE account_id = ?", [org]) == [
            (N_FOLLOWERS,)
        ]
        members = {r[0] for r in rows(store, "SELECT account_id FROM list_members")}
        assert members == {aid(d) for d in pack.members} - OPTED_OUT
        assert rows(store, "SELECT DISTINCT list_id FROM list_members") == [(pack.uri,)]
        lists = seed_lists(store)
        assert lists[f"{org}#followers"] == (org, "followers", "complete", N_FOLLOWERS, None)
        assert lists[f"{org}#following"] == (org, "following", "complete", 31, None)
        assert lists[f"{partner}#followers"] == (partner, "followers", "complete", 41, None)
        assert lists[f"{partner}#following"] == (partner, "following", "complete", 0, None)
        assert lists[pack.uri] == (org, "starter_pack", "complete", 23, None)
        assert org in members
        shy = aid(did("shy"))
        for kind in ("followers", "following"):
            account, _, status, items, why = lists[f"{shy}#{kind}"]
            assert (account, status, items) == (shy, "not_found", 0)
            assert "!no-unauthenticated" in why
            ghost = lists[f"bluesky:ghost.test#{kind}"]
            assert ghost[:4] == (None, kind, "not_found", 0) and "Profile not found" in ghost[4]
        seeds = rows(store, "SELECT campaign, count(*) FROM campaign_seeds GROUP BY campaign")
        assert seeds == [("Follows Test", 9)]
        # the opted-out seed's lists were never asked for; pages of 100, each asked once
        assert all(p["actor"] != did("shy") for p in app.calls(FOLLOWERS) + app.calls(FOLLOWS))
        org_pages = [p.get("cursor") for p in app.calls(FOLLOWERS) if p["actor"] == did("org")]
        assert org_pages == [None, "100", "200"]
        assert {p["limit"] for p in app.calls(FOLLOWERS) + app.calls(FOLLOWS)} == {"100"}
        assert len(app.calls("com.atproto.identity.resolveHandle")) == 1
        assert stats["scout/consent/follows_skipped"] == 6  # 4 followers, 2 followed
        assert stats["scout/consent/members_skipped"] == 2
        # no page cursor left behind: every walk finished
        left = rows(store, "SELECT count(*) FROM cursors WHERE key LIKE 'seed:%' AND value <> ''")
        assert left == [(0,)]


def test_followers_max_truncates_and_a_truncated_walk_marks_nothing_gone(
    app: FakeAppView, graph: Graph, tmp_path: Path
) -> None:
    campaign = write_campaign(tmp_path / "c.toml", app.url, followers_max=150)
    org = aid(did("org"))
    with Store(tmp_path / "db.duckdb") as store:
        walk(campaign, store, tmp_path)
        lists = seed_lists(store)
        assert lists[f"{org}#followers"][2:4] == ("truncated", 150)
        assert lists[f"{org}#following"][2:4] == ("complete", 31)
        first = {aid(d) for d in graph.followers[did("org")][:150]} - OPTED_OUT
        assert {s for s, _ in follows(store, f"dst_account_id = '{org}'")} == first
        org_pages = [p.get("cursor") for p in app.calls(FOLLOWERS) if p["actor"] == did("org")]
        assert org_pages == [None, "100"]  # the second page was only half read
        # one follower leaves: a truncated walk cannot tell, nothing is marked gone
        graph.followers[did("org")].pop(0)
        walk(campaign, store, tmp_path)
        assert rows(store, "SELECT count(*) FROM follows WHERE gone_at IS NOT NULL") == [(0,)]


def test_resume_after_interruption_without_duplicates(
    app: FakeAppView, graph: Graph, tmp_path: Path
) -> None:
    campaign = write_campaign(tmp_path / "c.toml", app.url)
    org = aid(did("org"))
    key = CURSOR_PREFIX + f"{org}#followers"
    source = f"bluesky:{app.url.removeprefix('http://')}"
    with Store(tmp_path / "db.duckdb") as store:
        # killed after the first page of the first list was stored
        stats, _, stopped = walk(campaign, store, tmp_path, stop_after_cursors=1)
        assert stopped
        saved = ListWalk.decode(store.get_cursor(source, key))
        assert saved is not None and (saved.cursor, saved.items) == ("100", 100)
        first = {aid(d) for d in graph.followers[did("org")][:100]} - OPTED_OUT
        assert {s for s, _ in follows(store)} == first
        assert seed_lists(store) == {}
        # the next run continues at the saved cursor, with the first run's start time
        stats, c, stopped = walk(campaign, store, tmp_path)
        assert not stopped and stats["scout/bluesky/seed_walks_resumed"] == 1
        org_pages = [p.get("cursor") for p in app.calls(FOLLOWERS) if p["actor"] == did("org")]
        assert org_pages == [None, "100", "200"]
        assert follows(store) == expected_edges(graph)
        assert rows(store, "SELECT count(*) FROM follows WHERE gone_at IS NOT NULL") == [(0,)]
        assert seed_lists(store)[f"{org}#followers"][2:4] == ("complete", N_FOLLOWERS)
        started = rows(
            store, "SELECT started_at FROM seed_lists WHERE list_id = ?", [f"{org}#followers"]
        )
        assert started[0][0].isoformat() == saved.started_at
        assert ListWalk.decode(store.get_cursor(source, key)) is None


def test_rerun_marks_edges_that_disappeared_gone(
    app: FakeAppView, graph: Graph, tmp_path: Path
) -> None:
    campaign = write_campaign(tmp_path / "c.toml", app.url)
    org, partner = did("org"), did("partner")
    with Store(tmp_path / "db.duckdb") as store:
        walk(campaign, store, tmp_path)
        left, unfollowed = graph.followers[org].pop(5), graph.follows[org].pop(0)
        newcomer = graph.add(did("new"), "new.test", "New Fan", "Nowa osoba")
        graph.followers[org].insert(0, newcomer)
        pack = graph.packs[next(iter(graph.packs))]
        dropped = pack.members.pop(1)
        stats, _, _ = walk(campaign, store, tmp_path)
        gone = set(
            rows(
                store,
                "SELECT src_account_id, dst_account_id FROM follows WHERE gone_at IS NOT NULL",
            )
        )
        assert gone == {(aid(left), aid(org)), (aid(org), aid(unfollowed))}
        assert stats["scout/follows_gone"] == 3  # the two edges and the pack member
        assert (aid(newcomer), aid(org)) in follows(store, "gone_at IS NULL")
        assert stats["scout/follows_new"] == 1
        assert rows(store, "SELECT account_id FROM list_members WHERE gone_at IS NOT NULL") == [
            (aid(dropped),)
        ]
        assert (aid(partner), aid(org)) not in follows(store)  # partner does not follow org
        # the follower comes back: the edge is live again
        graph.followers[org].append(left)
        walk(campaign, store, tmp_path)
        back = rows(
            store,
            "SELECT gone_at FROM follows WHERE src_account_id = ? AND dst_account_id = ?",
            [aid(left), aid(org)],
        )
        assert back == [(None,)]


def test_faults_are_retried_then_the_page_is_skipped_and_the_walk_resumes(
    app: FakeAppView, graph: Graph, tmp_path: Path
) -> None:
    campaign = write_campaign(tmp_path / "c.toml", app.url)
    org, partner = aid(did("org")), aid(did("partner"))
    page = lambda cursor: lambda p: p["actor"] == did("org") and p.get("cursor") == cursor  # noqa: E731
    app.fail(FOLLOWERS, "503", 2, page(None))  # retried, then answered
    app.fail(FOLLOWERS, "html", 1, page("100"))  # an HTML page behind a 200: retried
    app.fail(FOLLOWERS, "nolist", 1, page("100"))  # a body without its list: retried
    app.fail(FOLLOWERS, "429", 3, page("200"))  # still failing after the 2 retries
    app.fail(FOLLOWS, "400", 1, lambda p: p["actor"] == did("org"))  # refused
    with Store(tmp_path / "db.duckdb") as store:
        stats, c, stopped = walk(campaign, store, tmp_path)
        assert not stopped
        lists = seed_lists(store)
        account, kind, status, items, why = lists[f"{org}#followers"]
        assert (status, items) == ("failed", 200) and "after 3 attempts" in why
        assert lists[f"{org}#following"][2:4] == ("refused", 0)
        # the other lists went on
        assert lists[f"{partner}#followers"][2:4] == ("complete", 41)
        assert lists[next(iter(graph.packs))][2] == "complete"
        assert stats["scout/pages_skipped"] == 1 and len(c.errors) == 1
        assert "followers of @org.test" in c.errors[0]
        assert stats["scout/ratelimit/429"] == 3
        assert stats["scout/errors/bad_body"] == 2 and stats["scout/errors/server"] == 2
        assert stats["scout/errors/refused"] == 2  # the follows page, the unknown seed
        # the failed walk continues at its page on the next run; the refused one restarts
        stats, c, _ = walk(campaign, store, tmp_path)
        assert c.errors == [] and stats["scout/bluesky/seed_walks_resumed"] == 1
        assert seed_lists(store)[f"{org}#followers"][2:4] == ("complete", N_FOLLOWERS)
        assert seed_lists(store)[f"{org}#following"][2:4] == ("complete", 31)
        assert follows(store) == expected_edges(graph)
        assert rows(store, "SELECT count(*) FROM follows WHERE gone_at IS NOT NULL") == [(0,)]


def test_recorded_follows_walked_as_served(tmp_path: Path) -> None:
    """The real answers (bsky.social 2025, then the SDK's 2024 recording as the next page)
    served by the AppView: every listed account and edge stored."""
    page1 = _recorded("bluesky/bsky-social-2025/g_follows.yml")
    page2 = _recorded("bluesky/sdk-2024/get_follows.json")
    subject = page1["subject"]
    g = Graph()
    g.profiles[subject["did"]] = dict(subject)
    g.recorded[(FOLLOWS, subject["did"], "")] = page1
    g.recorded[(FOLLOWS, subject["did"], page1["cursor"])] = page2
    seed = aid(subject["did"])
    views = page1["follows"] + page2["follows"]
    # four real accounts in the recording carry the !no-unauthenticated label
    shy = {aid(v["did"]) for v in views if opt_out_reason(parse_profile(v, datetime.now(UTC)))}
    assert len(shy) == 4
    listed = {aid(v["did"]) for v in views} - shy
    with FakeAppView(g) as fake:
        path = tmp_path / "c.toml"
        path.write_text(
            f'[campaign]\nname = "Rec"\nhashtags = ["#x"]\n[bluesky]\nservice = "{fake.url}"\n'
            f'[seeds]\naccounts = ["{subject["handle"]}"]\n',
            encoding="utf-8",
        )
        with Store(tmp_path / "db.duckdb") as store:
            walk(load_campaign(path), store, tmp_path)
            assert follows(store) == {(seed, a) for a in listed}
            assert seed_lists(store)[f"{seed}#following"][2:4] == ("complete", len(listed) + 4)
            stored = {r[0] for r in rows(store, "SELECT account_id FROM accounts")}
            assert stored == listed | {seed}
            handles = {r[0] for r in rows(store, "SELECT handle FROM accounts")}
            assert {"why.bsky.team", "sunyoungpark.bsky.social", subject["handle"]} <= handles


# --- Bluesky's own servers ---------------------------------------------------------------
INDEX_TIMEOUT = 30.0  # seconds for the AppView to index what the PDS wrote (~1 s seen)
CRAWL_TIMEOUT = 240.0


@dataclass
class DevWorld:
    network: AtprotoNetwork
    pds: httpx.Client
    accounts: dict[str, DevAccount]
    pack_uri: str
    follow_uris: dict[tuple[str, str], str]
    app_password: str
    base: Path

    def ids(self, *names: str) -> set[str]:
        return {self.accounts[n].account_id for n in names}


def _indexed_followers(w: DevWorld, name: str) -> set[str]:
    from tests.support.atproto import xrpc

    viewer = w.accounts["fwscout"]
    body = xrpc(
        w.pds,
        "GET",
        "app.bsky.graph.getFollowers",
        viewer.jwt,
        params={"actor": w.accounts[name].did, "limit": 100},
    )
    return {f["did"] for f in body["followers"]}


@pytest.fixture(scope="module")
def dev_world(
    atproto_network: AtprotoNetwork, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DevWorld]:
    from tests.support import atproto as at

    with httpx.Client(base_url=atproto_network.pds, timeout=30) as pds:
        names = ["fwscout", "fworg", "fwpartner", *(f"fwfan{i}" for i in range(1, 6))]
        names += ["fwshy", "fwnobot"]
        acc = {n: at.create_account(pds, n) for n in names}
        password = at.xrpc(
            pds, "POST", "com.atproto.server.createAppPassword", acc["fwscout"].jwt,
            json={"name": "eci-scout"},
        )["password"]  # fmt: skip
        for n in names:
            bio = {"fwnobot": "Bitte nicht sammeln #nobot", "fworg": "Czyste powietrze 🇵🇱"}
            labels = ("!no-unauthenticated",) if n == "fwshy" else ()
            at.put_profile(pds, acc[n], n.title(), bio.get(n, f"{n} on air quality"), labels)
        edges = [(f, "fworg") for f in ("fwfan1", "fwfan2", "fwfan3", "fwfan4", "fwfan5")]
        edges += [("fwshy", "fworg"), ("fwnobot", "fworg"), ("fwpartner", "fworg")]
        edges += [("fworg", "fwpartner"), ("fworg", "fwfan1"), ("fwfan2", "fwpartner")]
        uris = {(a, b): at.follow(pds, acc[a], acc[b]) for a, b in edges}
        members = [acc["fworg"], acc["fwfan3"], acc["fwfan4"], acc["fwnobot"], acc["fwpartner"]]
        pack_uri, _ = at.create_starter_pack(pds, acc["fworg"], "Clean air PL", members)
        w = DevWorld(
            atproto_network, pds, acc, pack_uri, uris, password,
            tmp_path_factory.mktemp("follows-devenv"),
        )  # fmt: skip
        want = {acc[a].did for a, b in edges if b == "fworg"}
        at.wait_for(lambda: _indexed_followers(w, "fworg") == want, INDEX_TIMEOUT, "followers")

        def pack_indexed() -> bool:
            body = at.xrpc(
                pds, "GET", "app.bsky.graph.getStarterPack", acc["fwscout"].jwt,
                params={"starterPack": pack_uri},
            )  # fmt: skip
            return body["starterPack"].get("list", {}).get("listItemCount") == len(members)

        at.wait_for(pack_indexed, INDEX_TIMEOUT, "the starter pack")
        yield w


def dev_scout(w: DevWorld, *args: str) -> None:
    from tests.support import atproto as at

    at.scout_as(w.accounts["fwscout"], w.app_password, *args, timeout=CRAWL_TIMEOUT)


@pytest.mark.slow
def test_devenv_seed_followers_follows_and_starter_pack(dev_world: DevWorld) -> None:
    w, a = dev_world, dev_world.accounts
    rkey = w.pack_uri.rsplit("/", 1)[1]
    campaign = w.base / "campaign.toml"
    campaign.write_text(
        f"""[campaign]
name = "Follows Devenv"
hashtags = ["#fwnothingposted"]

[bluesky]
service = "{w.network.pds}"

[seeds]
accounts = ["@{a["fworg"].handle}", "https://bsky.app/profile/{a["fwpartner"].did}",
            "{a["fwshy"].handle}"]
starter_packs = ["https://bsky.app/starter-pack/{a["fworg"].handle}/{rkey}"]
""",
        encoding="utf-8",
    )
    db = w.base / "scout.duckdb"
    dev_scout(w, "crawl", str(campaign), "--db", str(db))

    org, partner = a["fworg"].account_id, a["fwpartner"].account_id
    edges = set(query(db, "SELECT src_account_id, dst_account_id FROM follows"))
    fans = w.ids("fwfan1", "fwfan2", "fwfan3", "fwfan4", "fwfan5")
    assert edges == (
        {(f, org) for f in fans | {partner}}
        | {(org, partner), (org, a["fwfan1"].account_id)}
        | {(a["fwfan2"].account_id, partner), (org, partner)}
    )
    stored = {r[0] for r in query(db, "SELECT account_id FROM accounts")}
    assert stored == fans | {org, partner}  # the two opted-out accounts are not stored
    lists = {
        r[0]: r[1:]
        for r in query(db, "SELECT list_id, account_id, kind, status, items FROM seed_lists")
    }
    assert lists[f"{org}#followers"] == (org, "followers", "complete", 8)
    assert lists[f"{org}#following"] == (org, "following", "complete", 2)
    assert lists[f"{partner}#followers"] == (partner, "followers", "complete", 2)
    assert lists[w.pack_uri] == (org, "starter_pack", "complete", 5)
    shy = a["fwshy"].account_id
    assert lists[f"{shy}#followers"][2] == "not_found"
    members = {r[0] for r in query(db, "SELECT account_id FROM list_members")}
    assert members == w.ids("fworg", "fwfan3", "fwfan4", "fwpartner")

    # fan 5 unfollows: the next run marks that edge gone, and only that one
    from tests.support.atproto import delete_record, wait_for

    delete_record(w.pds, a["fwfan5"], w.follow_uris[("fwfan5", "fworg")])
    wait_for(
        lambda: a["fwfan5"].did not in _indexed_followers(w, "fworg"), INDEX_TIMEOUT, "unfollow"
    )
    dev_scout(w, "crawl", str(campaign), "--db", str(db))
    gone = query(db, "SELECT src_account_id, dst_account_id FROM follows WHERE gone_at IS NOT NULL")
    assert gone == [(a["fwfan5"].account_id, org)]
    assert query(db, "SELECT count(*) FROM follows WHERE gone_at IS NULL") == [(len(edges) - 1,)]


def test_walk_keeps_the_rate_limit_reserve(app: FakeAppView, tmp_path: Path) -> None:
    """The seed walk waits at the collector's reserve, as the search does: 8 requests a
    window of 10 (2 kept back for the SDK's own calls), then a wait for the reset."""
    app.rate_limit = 10
    campaign = write_campaign(tmp_path / "c.toml", app.url)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        app.new_window()  # the reset time came

    with Store(tmp_path / "db.duckdb") as store:
        chain = PipelineChain(store)
        c = BlueskyCollector(
            campaign, stats=chain.stats, cursors=store, session_dir=tmp_path, sleep=sleep
        )
        try:
            chain.process_many(SeedWalker(c).run())
        finally:
            chain.close()
        assert seed_lists(store)[f"{aid(did('org'))}#followers"][2] == "complete"
    # 4 seed profiles, 6 list pages, resolveHandle, getStarterPack, one getList page
    assert len(app.requests) == 13
    assert len(waits) == chain.stats.get_value("scout/ratelimit/budget_waits") == 1
    assert app.window - 5 < waits[0] <= app.window + 1
    assert app.lowest_remaining == 2  # never into the reserve
