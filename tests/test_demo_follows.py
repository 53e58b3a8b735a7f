"""The demo world's follow graph and the endpoints that serve it like the real servers:
Mastodon's follower/following lists (Link paging by Follow id, hide_collections) and
Bluesky's getFollowers/getFollows/getStarterPack/getList (cursor paging)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.core.config import load_campaign
from scout_demo.follows import follow_truth
from scout_demo.model import Account
from scout_demo.network import write_demo_campaign
from scout_demo.server import DEMO_BSKY_HANDLE, DEMO_BSKY_PASSWORD, DemoNetwork
from scout_demo.tables import DEMO_FOLLOWERS_MAX
from scout_demo.world import World, build_world
from tests.support.net import get_json, link_header

FOLLOWERS = "/api/v1/accounts/:id/followers"


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


@pytest.fixture(scope="module")
def net() -> Iterator[DemoNetwork]:
    with DemoNetwork() as network:
        yield network


def _graph(world: World) -> Any:
    assert world.graph is not None
    return world.graph


def _seed(world: World, platform: str, role: str, hidden: bool = False) -> Account:
    g = _graph(world)
    for s in g.seeds:
        a = world.accounts[s]
        if a.platform == platform and g.seed_role[s] == role and (s in g.hidden) == hidden:
            return a
    raise AssertionError(f"no {role} seed on {platform}")


def _ids(world: World, idxs: Any, urls: list[str]) -> list[str]:
    return [world.account_id(world.accounts[i], urls) for i in idxs]


# --------------------------------------------------------------------------- the world


def test_graph_is_deterministic_and_leaves_the_posting_world_alone() -> None:
    a = build_world(seed=7, n_accounts=300, n_posts=3000)
    b = build_world(seed=7, n_accounts=300, n_posts=3000)
    bare = build_world(seed=7, n_accounts=300, n_posts=3000, follows=False)
    assert _graph(a).follows == _graph(b).follows and _graph(a).packs == _graph(b).packs
    assert a.truth() == b.truth()
    assert bare.graph is None and len(a.accounts) > len(bare.accounts) == 300
    # the posting accounts and their posts are those of the world without the graph,
    # except the follower counts the seeds' home servers report
    seeds = set(_graph(a).seeds)
    for x, y in zip(a.accounts, bare.accounts, strict=False):
        if x.idx in seeds:
            x = dataclasses.replace(x, followers=y.followers, following=y.following)
        assert x == y
    assert a.posts == bare.posts and a.reblogs == bare.reblogs and a.cut == bare.cut
    other = build_world(seed=8, n_accounts=300, n_posts=3000)
    assert _graph(other).follows != _graph(a).follows


def test_seeds_have_many_followers_in_language_communities(world: World) -> None:
    g = _graph(world)
    acc = world.accounts
    roles = Counter((acc[s].platform, g.seed_role[s]) for s in g.seeds)
    assert roles[("mastodon", "campaign")] == roles[("bluesky", "campaign")] == 1
    assert 2 <= roles[("mastodon", "partner")] <= 4 and 2 <= roles[("bluesky", "partner")] <= 4
    assert all(acc[s].kind in ("ngo", "union", "association") for s in g.seeds)
    counts = {s: len(g.edges(s, "followers", False)) for s in g.seeds}
    assert 1000 <= sum(counts.values()) <= 4000  # hundreds to low thousands
    assert all(acc[s].followers == n for s, n in counts.items())
    for s in g.seeds:
        followers = [acc[f.src] for f in g.edges(s, "followers", False)]
        assert all(a.platform == acc[s].platform for a in followers)
        if g.seed_role[s] == "campaign":  # the campaign reaches every language
            assert len({a.language for a in followers}) >= 10
            continue
        own = sum(a.language == acc[s].language for a in followers) / len(followers)
        assert 0.7 < own < 1.0, (acc[s].username, own)  # a community, with bridges
    # edges between people (not seeds) stay mostly within a language and country
    peers = [f for f in g.follows if f.src not in g.seed_role and f.dst not in g.seed_role]
    assert len(peers) > 5000
    same_lang = sum(acc[f.src].language == acc[f.dst].language for f in peers) / len(peers)
    assert same_lang > 0.7
    countries: dict[str, set[str | None]] = {}
    for a in acc:
        countries.setdefault(a.language, set()).add(a.home_country)
    same_country = [
        acc[f.src].home_country == acc[f.dst].home_country
        for f in peers
        if acc[f.src].language == acc[f.dst].language and len(countries[acc[f.src].language]) > 1
    ]
    assert sum(same_country) / len(same_country) > 0.55
    # a second crawl sees new follows and unfollows
    assert sum(f.later for f in g.follows) > 100 and sum(f.gone for f in g.follows) > 20


def test_follower_only_accounts_are_full_profiles_with_opt_outs(world: World) -> None:
    g = _graph(world)
    only = [world.accounts[i] for i in g.follower_only]
    assert len(only) >= 1000
    assert not {p.author for p in world.posts} & g.follower_only
    assert all(a.bio and a.display_name and a.language for a in only)
    urls = [f"http://h{i}" for i in range(4)]
    truth = {t["account_id"]: t for t in world.truth(urls)}
    rows = [truth[world.account_id(a, urls)] for a in only]
    assert all(r["campaign_posts"] == 0 for r in rows)
    assert Counter(r["role"] for r in rows).most_common(1)[0][0] == "individual"
    assert len({r["language"] for r in rows}) >= 12
    follows_a_seed = {f.src for s in g.seeds for f in g.edges(s, "followers", False)}
    reached = [world.accounts[i] for i in follows_a_seed]
    reasons = Counter(a.opt_out for a in reached if a.opt_out)
    assert {"discoverable=false", "noindex=true", "#nobot in profile"} <= set(reasons)
    assert "label !no-unauthenticated" in reasons
    assert 0 < sum(reasons.values()) < 0.15 * len(reached)


# --------------------------------------------------------------------------- Mastodon


def _walk(url: str) -> tuple[list[dict[str, Any]], int, list[dict[str, str]]]:
    """Follow ``rel="next"`` to the end: (accounts, pages, response headers)."""
    got: list[dict[str, Any]] = []
    seen_headers = []
    pages = 0
    next_url: str | None = url
    while next_url:
        status, headers, body = get_json(next_url)
        assert status == 200, body
        pages += 1
        seen_headers.append(headers)
        got += body
        next_url = link_header(headers["Link"]).get("next") if "Link" in headers else None
        if next_url:
            assert len(body) == int(next_url.split("limit=")[1].split("&")[0])
    return got, pages, seen_headers


def test_mastodon_follower_lists_page_to_exactly_the_generated_edges(
    net: DemoNetwork, world: World
) -> None:
    g = _graph(world)
    urls = net.mastodon_urls
    for s in g.seeds_on("mastodon", world):
        if s in g.hidden:
            continue
        seed = world.accounts[s]
        base = urls[seed.instance or 0]
        status, _, looked = get_json(f"{base}/api/v1/accounts/lookup?acct={seed.username}")
        assert status == 200 and looked["hide_collections"] is False
        assert looked["followers_count"] == seed.followers
        for direction, end in (("followers", "src"), ("following", "dst")):
            url = f"{base}/api/v1/accounts/{looked['id']}/{direction}?limit=80"
            got, pages, headers = _walk(url)
            expected = _ids(world, (getattr(f, end) for f in g.edges(s, direction, False)), urls)
            uris = ["mastodon:" + a["uri"] for a in got]
            assert len(uris) == len(set(uris)) and set(uris) == set(expected)
            assert pages == len(expected) // 80 + 1
            assert all({"id", "acct", "note", "discoverable", "fields"} <= a.keys() for a in got)
            low = {k.lower(): v for k, v in headers[-1].items()}
            assert int(low["x-ratelimit-limit"]) > int(low["x-ratelimit-remaining"]) > 0
            if direction == "followers":
                assert len(got) > 100


def test_mastodon_paging_by_follow_id(net: DemoNetwork, world: World) -> None:
    seed = _seed(world, "mastodon", "campaign")
    base = net.mastodon_urls[seed.instance or 0]
    acc_id = get_json(f"{base}/api/v1/accounts/lookup?acct={seed.username}")[2]["id"]
    url = f"{base}/api/v1/accounts/{acc_id}/followers"
    _, headers, first = get_json(url)
    assert len(first) == 40  # Mastodon's default
    links = link_header(headers["Link"])
    assert links["next"].startswith(url + "?max_id=") and links["prev"].startswith(
        url + "?since_id="
    )
    _, _, big = get_json(url + "?limit=500")
    assert len(big) == 80  # at most 80
    _, h2, second = get_json(links["next"])
    assert not {a["id"] for a in first} & {a["id"] for a in second}
    # the first page's next max_id is the 40th Follow: the page above it is the first
    max_id = int(links["next"].rsplit("=", 1)[1])
    _, _, above = get_json(f"{url}?min_id={max_id}&limit=40")
    assert [a["id"] for a in above] == [a["id"] for a in first[:39]]
    # nothing is newer than the newest: prev of the first page is empty, without Link
    status, h3, newer = get_json(links["prev"])
    assert status == 200 and newer == [] and "Link" not in h3
    status, _, err = get_json(f"{base}/api/v1/accounts/1/followers")
    assert status == 404 and err == {"error": "Record not found"}
    # one budget for every endpoint of the instance
    _, before, _ = get_json(base + "/api/v1/instance")
    _, after, _ = get_json(url)
    assert int(after["x-ratelimit-remaining"]) == int(before["x-ratelimit-remaining"]) - 1 or (
        after["x-ratelimit-reset"] != before["x-ratelimit-reset"]
    )


def test_hidden_collections_give_an_empty_list(net: DemoNetwork, world: World) -> None:
    seed = _seed(world, "mastodon", "partner", hidden=True)
    base = net.mastodon_urls[seed.instance or 0]
    host = base.removeprefix("http://")
    _, _, acc = get_json(f"{base}/api/v1/accounts/lookup?acct={seed.username}@{host}")
    assert acc["hide_collections"] is True and acc["followers_count"] > 50
    for direction in ("followers", "following"):
        status, headers, body = get_json(f"{base}/api/v1/accounts/{acc['id']}/{direction}")
        assert status == 200 and body == [] and "Link" not in headers


def test_another_instance_knows_only_its_own_users_follows(net: DemoNetwork, world: World) -> None:
    g = _graph(world)
    seed = _seed(world, "mastodon", "campaign")
    other = next(i for i in range(len(net.mastodon_urls)) if i != seed.instance)
    base = net.mastodon_urls[other]
    acc_id = world.account_local_id(seed, other)
    got, _, _ = _walk(f"{base}/api/v1/accounts/{acc_id}/followers?limit=80")
    expected = [
        f.src
        for f in g.edges(seed.idx, "followers", False)
        if world.accounts[f.src].instance == other
    ]
    assert 0 < len(got) == len(expected) < seed.followers
    assert {"mastodon:" + a["uri"] for a in got} == set(_ids(world, expected, net.mastodon_urls))
    assert all("@" not in a["acct"] for a in got)  # all local to the instance asked


def test_mastodon_py_pages_the_followers(net: DemoNetwork, world: World) -> None:
    from mastodon import Mastodon

    seed = _seed(world, "mastodon", "partner")
    api = Mastodon(api_base_url=net.mastodon_urls[seed.instance or 0], request_timeout=30)
    acc = api.account_lookup(seed.username)
    everyone = api.fetch_remaining(api.account_followers(acc.id, limit=80))
    assert len({a.uri for a in everyone}) == len(everyone) == seed.followers
    stats = net.stats()[net.mastodon_urls[seed.instance or 0]]
    assert stats["requests"][FOLLOWERS] >= 2 and stats["rate_limited"] == 0


# --------------------------------------------------------------------------- Bluesky


def _bsky_walk(net: DemoNetwork, method: str, params: str, key: str) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    cursor = None
    while True:
        url = f"{net.bluesky_url}/xrpc/{method}?{params}" + (f"&cursor={cursor}" if cursor else "")
        status, headers, body = get_json(url)
        assert status == 200, body
        assert int(headers["RateLimit-Limit"]) > int(headers["RateLimit-Remaining"]) >= 0
        got += body[key]
        cursor = body.get("cursor")
        if not cursor:
            return got


def test_bluesky_follow_lists_page_to_exactly_the_generated_edges(
    net: DemoNetwork, world: World
) -> None:
    g = _graph(world)
    for s in g.seeds_on("bluesky", world):
        did = world.accounts[s].did
        for method, key, direction, end in (
            ("app.bsky.graph.getFollowers", "followers", "followers", "src"),
            ("app.bsky.graph.getFollows", "follows", "following", "dst"),
        ):
            got = _bsky_walk(net, method, f"actor={did}&limit=100", key)
            expected = [world.accounts[getattr(f, end)].did for f in g.edges(s, direction, False)]
            dids = [p["did"] for p in got]
            assert dids == expected  # newest follow first, each once
    seed = _seed(world, "bluesky", "campaign")
    status, _, body = get_json(
        f"{net.bluesky_url}/xrpc/app.bsky.graph.getFollowers?actor={seed.username}"
    )
    assert body["subject"]["did"] == seed.did and len(body["followers"]) == 50  # default
    assert body["subject"]["description"] == seed.bio
    opted = [
        p
        for p in _bsky_walk(
            net, "app.bsky.graph.getFollowers", f"actor={seed.did}&limit=100", "followers"
        )
        if p["labels"]
    ]
    assert any(lab["val"] == "!no-unauthenticated" for p in opted for lab in p["labels"])
    for bad in ("limit=101", "limit=0"):
        status, _, err = get_json(
            f"{net.bluesky_url}/xrpc/app.bsky.graph.getFollows?actor={seed.did}&{bad}"
        )
        assert status == 400 and err["error"] == "InvalidRequest"
    status, _, err = get_json(
        f"{net.bluesky_url}/xrpc/app.bsky.graph.getFollowers?actor=nobody.bsky.social"
    )
    assert status == 400 and err["error"] == "InvalidRequest"
    status, _, err = get_json(
        f"{net.bluesky_url}/xrpc/app.bsky.graph.getFollowers?actor={seed.did}",
        {"Authorization": "Bearer not-a-token"},
    )
    assert status == 401 and err["error"] == "InvalidToken"
    _, before, _ = get_json(f"{net.bluesky_url}/xrpc/app.bsky.actor.getProfile?actor={seed.did}")
    _, after, _ = get_json(f"{net.bluesky_url}/xrpc/app.bsky.graph.getFollows?actor={seed.did}")
    assert int(after["RateLimit-Remaining"]) == int(before["RateLimit-Remaining"]) - 1 or (
        after["RateLimit-Reset"] != before["RateLimit-Reset"]
    )


def test_starter_packs_and_their_lists(net: DemoNetwork, world: World) -> None:
    from atproto import Client

    g = _graph(world)
    assert 1 <= len(g.packs) <= 2
    client = Client(base_url=net.bluesky_url + "/xrpc")
    client.login(DEMO_BSKY_HANDLE, DEMO_BSKY_PASSWORD)
    for pack in g.packs:
        creator = world.accounts[pack.creator]
        assert g.seed_role[pack.creator] in ("campaign", "partner")
        assert 10 <= len(pack.members) <= 40
        uri = f"at://{creator.did}/app.bsky.graph.starterpack/{pack.rkey}"
        # the SDK's models check the shapes against the lexicons
        view = client.app.bsky.graph.get_starter_pack(params={"starter_pack": uri}).starter_pack
        assert view.uri == uri and view.creator.did == creator.did
        assert view.record.name == pack.name and view.list is not None
        assert view.record.list == view.list.uri
        assert view.list.list_item_count == len(pack.members)
        assert view.list.purpose == "app.bsky.graph.defs#referencelist"
        members: list[str] = []
        subjects: dict[str, Any] = {}
        cursor = None
        while True:
            page = client.app.bsky.graph.get_list(
                params={"list": view.list.uri, "limit": 7, "cursor": cursor}
            )
            assert page.list.creator.did == creator.did
            members += [item.subject.did for item in page.items]
            subjects.update({item.subject.did: item.subject for item in page.items})
            cursor = page.cursor
            if not cursor:
                break
        assert sorted(members) == sorted(str(world.accounts[i].did) for i in pack.members)
        assert len(members) == len(set(members))
        assert {i.subject.did for i in view.list_items_sample or []} <= set(members)
        # a starter pack may list an opted-out account: its signal travels with it
        opted = [world.accounts[i] for i in pack.members if world.accounts[i].opt_out]
        for acc in opted:
            served = subjects[str(acc.did)]
            vals = {label.val for label in served.labels or []}
            assert "!no-unauthenticated" in vals or "#nobot" in (served.description or "")
        by_handle = f"at://{creator.username}/app.bsky.graph.starterpack/{pack.rkey}"
        status, _, body = get_json(
            f"{net.bluesky_url}/xrpc/app.bsky.graph.getStarterPack?starterPack={by_handle}"
        )
        assert status == 200 and body["starterPack"]["uri"] == uri
    status, _, err = get_json(
        f"{net.bluesky_url}/xrpc/app.bsky.graph.getStarterPack?starterPack="
        f"at://{world.accounts[g.packs[0].creator].did}/app.bsky.graph.starterpack/nope"
    )
    assert status == 400 and err["error"] == "NotFound"
    assert any(world.accounts[i].opt_out for p in g.packs for i in p.members)


# --------------------------------------------------------------------------- campaign


def test_demo_campaign_names_seeds_that_resolve(net: DemoNetwork, tmp_path: Path) -> None:
    cfg = load_campaign(write_demo_campaign(net.state, tmp_path / "c.toml"))
    seeds = cfg.seeds.parsed_accounts()
    assert len(cfg.seeds.parsed_accounts("mastodon")) >= 3
    assert len(cfg.seeds.parsed_accounts("bluesky")) >= 3
    assert len({s.raw.split("/")[0] for s in seeds}) > 2  # several forms
    assert cfg.seeds.followers_max == DEMO_FOLLOWERS_MAX
    hosts = {u.removeprefix("http://"): u for u in net.mastodon_urls}
    for s in cfg.seeds.parsed_accounts("mastodon"):
        assert s.host in hosts
        status, _, acc = get_json(f"{hosts[str(s.host)]}/api/v1/accounts/lookup?acct={s.username}")
        assert status == 200 and acc["followers_count"] <= DEMO_FOLLOWERS_MAX
    for s in cfg.seeds.parsed_accounts("bluesky"):
        status, _, prof = get_json(
            f"{net.bluesky_url}/xrpc/app.bsky.actor.getProfile?actor={s.actor}"
        )
        assert status == 200 and prof["followersCount"] <= DEMO_FOLLOWERS_MAX
    packs = cfg.seeds.parsed_starter_packs()
    assert len(packs) == len(net.state["starter_packs"]) >= 1
    assert packs[0].uri is not None
    plain = load_campaign(write_demo_campaign(net.state, tmp_path / "p.toml", seeds=False))
    assert plain.seeds.accounts == []


# --------------------------------------------------------------------------- advance


def test_advance_adds_new_follows_and_drops_unfollows() -> None:
    world = build_world(seed=11, n_accounts=300, n_posts=3000)
    g = _graph(world)
    with DemoNetwork(seed=11, n_accounts=300, n_posts=3000) as small:
        seed = _seed(world, "bluesky", "campaign")
        params = f"actor={seed.did}&limit=100"
        before = _bsky_walk(small, "app.bsky.graph.getFollowers", params, "followers")
        small.advance()
        after = _bsky_walk(small, "app.bsky.graph.getFollowers", params, "followers")
        world.advance()
    urls = ["http://x"] * 4
    for got, advanced in ((before, False), (after, True)):
        expected = [
            str(world.accounts[f.src].did) for f in g.edges(seed.idx, "followers", advanced)
        ]
        assert [p["did"] for p in got] == expected
    edges_now = set(follow_truth(world, urls, advanced=True))
    edges_then = set(follow_truth(world, urls, advanced=False))
    assert edges_now - edges_then and edges_then - edges_now
