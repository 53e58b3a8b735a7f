"""The Bluesky collector against Bluesky's own server code (``@atproto/dev-env``).

Accounts, profiles (a ``!no-unauthenticated`` self-label, a ``#nobot`` bio) and posts
(tag and mention facets over Polish, Greek and emoji text, a reply, a quote) are written
through the real PDS; the AppView indexes them from the PDS firehose; then
``python -m crawler.cli crawl`` runs as a user would and the DuckDB tables are checked,
then reruns (nothing new, exactly one new post, a stored session), then ``scout forget``.

Needs ``tests/servers/atproto/setup.sh`` once; skips without it (fails when
``SCOUT_REQUIRE_ATPROTO=1``). The network fixture is in ``tests/support/atproto.py``.
"""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import atproto as at
from tests.support.atproto import AtprotoNetwork, DevAccount
from tests.support.db import rows as query

# the session fixture ``atproto_network``; tests/conftest.py may load the same plugin
pytest_plugins = ["tests.support.atproto"]
pytestmark = pytest.mark.slow

TAG = "cleanairtest"  # lower case: the dev-env AppView search is a case-sensitive substring match
APP_PASSWORD_NAME = "eci-scout"
INDEX_TIMEOUT = 30.0  # seconds for the AppView to index what the PDS wrote (~1 s seen)
CRAWL_TIMEOUT = 240.0


@dataclass
class Post:
    author: DevAccount
    uri: str
    cid: str
    text: str

    @property
    def post_id(self) -> str:
        return f"bluesky:{self.uri}"


@dataclass
class World:
    network: AtprotoNetwork
    pds: httpx.Client
    accounts: dict[str, DevAccount] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)
    scout_password: str = ""


# --- writing through the PDS (plain XRPC, as any client does) ---------------------------
def create_account(world: World, name: str) -> DevAccount:
    account = world.accounts[name] = at.create_account(world.pds, name)
    return account


def byte_range(text: str, piece: str, nth: int = 0) -> dict[str, int]:
    """The UTF-8 byte offsets of ``piece`` in ``text`` (its ``nth`` occurrence)."""
    data, needle = text.encode("utf-8"), piece.encode("utf-8")
    start = -1
    for _ in range(nth + 1):
        start = data.index(needle, start + 1)
    return {"byteStart": start, "byteEnd": start + len(needle)}


def facets(text: str, world: World, *pieces: str) -> list[dict[str, Any]]:
    """Tag facets for ``#words`` and mention facets for ``@handles`` found in ``text``."""
    out: list[dict[str, Any]] = []
    for piece in pieces:
        if piece.startswith("#"):
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": piece[1:]}
        else:
            did = world.accounts[piece[1:].removesuffix(".test")].did
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
        out.append({"index": byte_range(text, piece), "features": [feature]})
    return out


def create_post(
    world: World,
    key: str,
    author: str,
    text: str,
    *pieces: str,
    langs: list[str],
    reply_to: Post | None = None,
    quote: Post | None = None,
) -> Post:
    account = world.accounts[author]
    record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": at.now_iso(),
        "langs": langs,
        "facets": facets(text, world, *pieces),
    }
    if reply_to is not None:
        ref = {"uri": reply_to.uri, "cid": reply_to.cid}
        record["reply"] = {"root": ref, "parent": ref}
    if quote is not None:
        record["embed"] = {
            "$type": "app.bsky.embed.record",
            "record": {"uri": quote.uri, "cid": quote.cid},
        }
    body = at.xrpc(
        world.pds,
        "POST",
        "com.atproto.repo.createRecord",
        account.jwt,
        json={"repo": account.did, "collection": "app.bsky.feed.post", "record": record},
    )
    post = Post(author=account, uri=body["uri"], cid=body["cid"], text=text)
    world.posts[key] = post
    return post


# --- waiting for the AppView ------------------------------------------------------------
def wait_until_indexed(world: World, post_keys: list[str]) -> None:
    """Poll searchPosts (through the PDS, as the crawler asks) until the posts are there,
    and getProfiles until every profile record is indexed. Bounded by INDEX_TIMEOUT."""
    viewer = world.accounts["scout"]
    want = {world.posts[k].uri for k in post_keys}
    names = [n for n in world.accounts if n != "scout"]
    deadline = time.monotonic() + INDEX_TIMEOUT
    seen: set[str] = set()
    while time.monotonic() < deadline:
        body = at.xrpc(
            world.pds,
            "GET",
            "app.bsky.feed.searchPosts",
            viewer.jwt,
            params={"q": f"#{TAG}", "limit": 100},
        )
        seen = {p["uri"] for p in body["posts"]}
        profiles = at.xrpc(
            world.pds,
            "GET",
            "app.bsky.actor.getProfiles",
            viewer.jwt,
            params={"actors": [world.accounts[n].did for n in names]},
        )["profiles"]
        if (
            want <= seen
            and len(profiles) == len(names)
            and all("displayName" in p for p in profiles)
        ):
            return
        time.sleep(0.2)
    raise AssertionError(f"AppView did not index {sorted(want - seen)} within {INDEX_TIMEOUT} s")


# --- the crawl, as a user runs it ---------------------------------------------------------
def write_campaign(path: Path, service: str) -> Path:
    path.write_text(
        "\n".join(
            [
                "[campaign]",
                'name = "Clean Air Test"',
                f'hashtags = ["#{TAG}"]',
                'countries = ["PL", "GR", "BE"]',
                'languages = ["pl", "el", "en"]',
                "since = 2020-01-01",
                "",
                "[bluesky]",
                f'service = "{service}"',
                "# the login: SCOUT_BLUESKY_HANDLE and SCOUT_BLUESKY_APP_PASSWORD",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return path


def scout(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    return at.scout_as(world.accounts["scout"], world.scout_password, *args, timeout=CRAWL_TIMEOUT)


def last_run(db: Path) -> dict[str, Any]:
    row = query(
        db,
        "SELECT status, posts_new, accounts_new, errors, stats FROM runs "
        "ORDER BY started_at DESC LIMIT 1",
    )[0]
    stats = row[4] if isinstance(row[4], dict) else json.loads(row[4] or "{}")
    return {
        "status": row[0],
        "posts_new": row[1],
        "accounts_new": row[2],
        "errors": row[3],
        "stats": stats,
    }


def app_password_logins(world: World) -> int:
    """createSession calls with the crawler's app password, counted on the server: each
    one leaves a row in the PDS's refresh_token table (account.sqlite in its data folder,
    under the fixture's temporary folder)."""
    did = world.accounts["scout"].did
    total, seen = 0, 0
    for path in world.network.base.glob("tmp*/*/account.sqlite"):  # tmp<attempt>
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            (n,) = con.execute(
                "SELECT count(*) FROM refresh_token WHERE did = ? AND appPasswordName = ?",
                [did, APP_PASSWORD_NAME],
            ).fetchone()
            seen += 1
            total += int(n)
        finally:
            con.close()
    assert seen, "no PDS account database found"
    return total


# --- the fixture: a small campaign world, crawled once ---------------------------------
@pytest.fixture(scope="module")
def world(atproto_network: AtprotoNetwork) -> Iterator[World]:
    with httpx.Client(base_url=atproto_network.pds, timeout=30) as pds:
        w = World(network=atproto_network, pds=pds)
        for name in ("scout", "alice", "bob", "carol", "dave", "erin"):
            create_account(w, name)
        a = w.accounts
        # the crawler logs in with an app password, as the README tells users to
        w.scout_password = at.xrpc(
            pds,
            "POST",
            "com.atproto.server.createAppPassword",
            a["scout"].jwt,
            json={"name": APP_PASSWORD_NAME},
        )["password"]
        at.put_profile(w.pds, a["scout"], "Scout", "campaign research account")
        at.put_profile(
            w.pds, a["alice"], "Alicja Kowalska", "Aktywistka z Łodzi. Czyste powietrze 🇵🇱"
        )
        at.put_profile(w.pds, a["bob"], "Βασίλης Παπαδόπουλος", "Καθαρός αέρας, Αθήνα")
        at.put_profile(w.pds, a["carol"], "Carol 🌍", "Brussels, climate and air quality")
        at.put_profile(w.pds, a["dave"], "Dave", "air quality nerd", ("!no-unauthenticated",))
        at.put_profile(w.pds, a["erin"], "Erin", "Please do not collect me #nobot")

        t1 = "Łódź 🇵🇱 #cleanairtest: oddychamy smogiem, @bob.test pomóż! #EUGreenDeal"
        alice1 = create_post(
            w, "alice1", "alice", t1, "#cleanairtest", "@bob.test", "#EUGreenDeal", langs=["pl"]
        )
        t2 = "Kraków też 🙂 #cleanairtest, cc @dave.test"
        create_post(w, "alice2", "alice", t2, "#cleanairtest", "@dave.test", langs=["pl"])
        t3 = "Συμφωνώ! Καθαρός αέρας για όλους 🌬️ #cleanairtest #ΕυρωπαϊκήΠρωτοβουλία"
        create_post(
            w,
            "bob_reply",
            "bob",
            t3,
            "#cleanairtest",
            "#ΕυρωπαϊκήΠρωτοβουλία",
            langs=["el"],
            reply_to=alice1,
        )
        t4 = "🌍🔥#cleanairtest Brussels hears Łódź, @alice.test"
        create_post(
            w,
            "carol_quote",
            "carol",
            t4,
            "#cleanairtest",
            "@alice.test",
            langs=["en"],
            quote=alice1,
        )
        t5 = "#cleanairtest from an account that opted out"
        create_post(w, "dave1", "dave", t5, "#cleanairtest", langs=["en"])
        t6 = "#cleanairtest from a #nobot account"
        create_post(w, "erin1", "erin", t6, "#cleanairtest", langs=["en"])
        wait_until_indexed(w, list(w.posts))
        yield w


@pytest.fixture(scope="module")
def crawled(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("devenv-crawl")
    campaign = write_campaign(base / "campaign.toml", world.network.pds)
    db = base / "scout.duckdb"
    scout(world, "crawl", str(campaign), "--db", str(db))
    return db


# --- the first run ------------------------------------------------------------------------
def test_first_run_stores_campaign_posts_with_lower_case_tags(world: World, crawled: Path) -> None:
    p = world.posts
    rows = {
        r[0]: r[1:]
        for r in query(
            crawled,
            "SELECT post_id, account_id, text, list_sort(hashtags), lang, url FROM posts",
        )
    }
    expected = {
        "alice1": ["cleanairtest", "eugreendeal"],
        "alice2": ["cleanairtest"],
        "bob_reply": ["cleanairtest", "ευρωπαϊκήπρωτοβουλία"],
        "carol_quote": ["cleanairtest"],
    }
    assert set(rows) == {p[k].post_id for k in expected}
    for key, tags in expected.items():
        account_id, text, hashtags, lang, url = rows[p[key].post_id]
        assert account_id == p[key].author.account_id
        assert text == p[key].text  # non-ASCII text intact
        assert hashtags == sorted(tags), key
        assert url.endswith("/post/" + p[key].uri.rsplit("/", 1)[1])
    assert rows[p["bob_reply"].post_id][3] == "el"
    run = last_run(crawled)
    assert run["status"] == "ok", run
    assert (run["posts_new"], run["accounts_new"], run["errors"]) == (4, 3, 0)
    assert run["stats"].get("scout/bluesky/logins") == 1
    assert app_password_logins(world) == 1


def test_accounts_from_full_profiles(world: World, crawled: Path) -> None:
    a = world.accounts
    rows = {
        r[0]: r[1:]
        for r in query(
            crawled,
            "SELECT account_id, platform, handle, display_name, bio, posts_count FROM accounts",
        )
    }
    assert set(rows) == {a[n].account_id for n in ("alice", "bob", "carol")}
    assert rows[a["alice"].account_id][:4] == (
        "bluesky",
        "alice.test",
        "Alicja Kowalska",
        "Aktywistka z Łodzi. Czyste powietrze 🇵🇱",
    )
    assert rows[a["bob"].account_id][2] == "Βασίλης Παπαδόπουλος"
    assert rows[a["alice"].account_id][4] == 2  # from getProfiles, not the post views


def test_mentions_replies_and_quotes(world: World, crawled: Path) -> None:
    a, p = world.accounts, world.posts
    posts = {
        r[0]: r[1:]
        for r in query(crawled, "SELECT post_id, mentions, reply_to, quote_of FROM posts")
    }
    assert posts[p["alice1"].post_id] == (["bob.test"], None, None)
    assert posts[p["bob_reply"].post_id] == ([], p["alice1"].post_id, None)
    assert posts[p["carol_quote"].post_id] == (["alice.test"], None, p["alice1"].post_id)
    # the mention of an account that opted out is removed
    assert posts[p["alice2"].post_id][0] == []
    interactions = set(
        query(crawled, "SELECT src_account_id, dst_account_id, kind, post_id FROM interactions")
    )
    assert interactions == {
        (a["alice"].account_id, a["bob"].account_id, "mention", p["alice1"].post_id),
        (a["bob"].account_id, a["alice"].account_id, "reply", p["bob_reply"].post_id),
        (a["carol"].account_id, a["alice"].account_id, "mention", p["carol_quote"].post_id),
        (a["carol"].account_id, a["alice"].account_id, "quote", p["carol_quote"].post_id),
    }


def test_opted_out_accounts_leave_no_trace(world: World, crawled: Path) -> None:
    a = world.accounts
    # the AppView does show both accounts and their opt-outs: the crawler is what drops them
    profiles = at.xrpc(
        world.pds,
        "GET",
        "app.bsky.actor.getProfiles",
        a["scout"].jwt,
        params={"actors": [a["dave"].did, a["erin"].did]},
    )["profiles"]
    by_did = {pr["did"]: pr for pr in profiles}
    assert "!no-unauthenticated" in {lab["val"] for lab in by_did[a["dave"].did].get("labels", [])}
    assert "#nobot" in by_did[a["erin"].did]["description"]
    run = query(crawled, "SELECT skipped FROM runs ORDER BY started_at LIMIT 1")[0][0]
    skipped = json.loads(run) if isinstance(run, str) else run
    assert skipped["consent/accounts_skipped"] == 2
    assert skipped["consent/posts_skipped"] == 2
    assert skipped["consent/reason/label"] == 1
    assert skipped["consent/reason/#nobot"] == 1
    for name in ("dave", "erin"):
        ids = [a[name].account_id]
        assert query(crawled, "SELECT count(*) FROM accounts WHERE account_id = ?", ids) == [(0,)]
        assert query(crawled, "SELECT count(*) FROM posts WHERE account_id = ?", ids) == [(0,)]
        assert query(
            crawled,
            "SELECT count(*) FROM interactions WHERE src_account_id = ? OR dst_account_id = ?",
            ids * 2,
        ) == [(0,)]
        assert query(
            crawled,
            "SELECT count(*) FROM posts WHERE list_contains(mentions, ?)",
            [a[name].handle],
        ) == [(0,)]


# --- later runs ---------------------------------------------------------------------------
def test_reruns_session_new_post_and_forget(world: World, crawled: Path) -> None:
    db = crawled
    campaign = db.parent / "campaign.toml"
    sessions = list((db.parent / ".sessions").glob("*.session"))
    assert len(sessions) == 1
    assert stat.S_IMODE(sessions[0].stat().st_mode) == 0o600
    assert world.scout_password not in sessions[0].read_text()
    before = query(db, "SELECT count(*) FROM posts")[0][0]

    # 1. nothing new on the server: nothing new in the database, no new login
    scout(world, "crawl", str(campaign), "--db", str(db))
    run = last_run(db)
    assert (run["status"], run["posts_new"], run["accounts_new"]) == ("ok", 0, 0), run
    assert run["stats"].get("scout/bluesky/session_reused") == 1
    assert "scout/bluesky/logins" not in run["stats"]
    assert app_password_logins(world) == 1  # the server saw no new createSession
    assert query(db, "SELECT count(*) FROM posts")[0][0] == before

    # 2. one new post: the rerun adds exactly it
    new = create_post(
        world,
        "alice3",
        "alice",
        "Nowy pomiar PM2.5 w Łodzi 📈 #cleanairtest",
        "#cleanairtest",
        langs=["pl"],
    )
    wait_until_indexed(world, ["alice3"])
    scout(world, "crawl", str(campaign), "--db", str(db))
    run = last_run(db)
    assert (run["status"], run["posts_new"], run["accounts_new"]) == ("ok", 1, 0), run
    assert "scout/bluesky/logins" not in run["stats"]
    ids = {r[0] for r in query(db, "SELECT post_id FROM posts")}
    assert len(ids) == before + 1 and new.post_id in ids

    # 3. forget one handle: erased everywhere, and not collected again
    carol = world.accounts["carol"]
    scout(world, "forget", carol.handle, "--db", str(db))

    def traces() -> list[tuple[Any, ...]]:
        return query(
            db,
            "SELECT (SELECT count(*) FROM accounts WHERE account_id = $1 OR handle = $2),"
            " (SELECT count(*) FROM posts WHERE account_id = $1),"
            " (SELECT count(*) FROM interactions WHERE src_account_id = $1"
            "  OR dst_account_id = $1),"
            " (SELECT count(*) FROM leads WHERE account_id = $1)",
            [carol.account_id, carol.handle],
        )

    assert traces() == [(0, 0, 0, 0)]
    create_post(
        world,
        "carol2",
        "carol",
        "Still here 🌍 #cleanairtest",
        "#cleanairtest",
        langs=["en"],
    )
    wait_until_indexed(world, ["carol2"])
    scout(world, "crawl", str(campaign), "--db", str(db))
    assert traces() == [(0, 0, 0, 0)]
    assert last_run(db)["posts_new"] == 0
    assert app_password_logins(world) == 1
