"""`scout forget` leaves no trace of the account in other rows: references to its posts
(stored or not) are cleared, its handle, profile URL and URI are redacted from other
posts' texts, links and bios; unrelated look-alike handles are kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.app.forget import forget
from crawler.core.items import AccountItem, PostItem
from crawler.db.erasure import REDACTED, redaction_patterns, reference_pattern
from crawler.db.store import Store
from tests.support.items import mastodon_account, mastodon_post

T0 = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)


def account(user: str, host: str = "eu.social", **kw: object) -> AccountItem:
    return mastodon_account(user, host, t0=T0, **kw)


def post(user: str, n: int, host: str = "eu.social", **kw: object) -> PostItem:
    return mastodon_post(user, n, host, t0=T0, **kw)


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "scout.duckdb")
    yield s
    s.close()


def _posts(store: Store) -> dict[str, tuple[object, ...]]:
    rows = store.con.execute(
        "SELECT post_id, text, reply_to, repost_of, quote_of, links, mentions FROM posts"
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_forget_clears_references_and_redacts_the_handle(store: Store) -> None:
    alice = account("alice", bio="cleaner air for all")
    bob = account("bob", bio="I work with @alice@eu.social on #SaveBees")
    alicette = account("alicette")
    a1 = post("alice", 1, text="Sign the ECI #SaveBees")
    # a reply to a stored post, a quote of a post never stored (its id embeds the URI)
    b1 = post(
        "bob",
        2,
        text="@alice thanks! cc @alice@eu.social and @alicette@eu.social, see "
        "https://eu.social/@alice/1.",
        reply_to=a1.post_id,
        quote_of="mastodon:https://eu.social/users/alice/statuses/99",
        mentions=["alice@eu.social", "alicette@eu.social"],
        links=["https://eu.social/@alice/1", "https://bees.example/sign"],
    )
    b2 = post("bob", 3, text="@alice on another server is someone else", mentions=[])
    c1 = post(
        "alicette",
        4,
        text="me, @alicette@eu.social, not alice@eu.social.org",
        repost_of="mastodon:https://eu.social/users/alicette/statuses/7",
    )
    store.upsert_accounts([alice, bob, alicette])
    store.upsert_posts([a1, b1, b2, c1])

    counts = forget(store, "@alice@eu.social")
    assert counts["accounts"] == 1 and counts["posts"] == 1
    assert counts["references"] == 1 and counts["redacted"] >= 1

    got = _posts(store)
    text, reply_to, repost_of, quote_of, links, mentions = got[b1.post_id]
    assert reply_to is None and quote_of is None and repost_of is None
    assert "alice@eu.social" not in text.replace("alicette@eu.social", "")
    assert "@alice " not in text and "https://eu.social/@alice/" not in text
    assert text == (f"{REDACTED} thanks! cc {REDACTED} and @alicette@eu.social, see {REDACTED}/1.")
    assert links == ["https://bees.example/sign"]
    assert mentions == ["alicette@eu.social"]
    # a post that did not mention her keeps "@alice" (another server's alice)
    assert got[b2.post_id][0] == "@alice on another server is someone else"
    # look-alikes are kept: @alicette, and a longer host name
    text, _reply, repost_of, _q, _l, _m = got[c1.post_id]
    assert text == "me, @alicette@eu.social, not alice@eu.social.org"
    assert repost_of == "mastodon:https://eu.social/users/alicette/statuses/7"
    (bio,) = store.con.execute(
        "SELECT bio FROM accounts WHERE account_id = ?", [bob.account_id]
    ).fetchone()
    assert bio == f"I work with {REDACTED} on #SaveBees"
    # nothing anywhere names her any more
    dump = " ".join(str(v) for row in got.values() for v in row)
    assert "eu.social/users/alice/" not in dump and "@alice@eu.social" not in dump


def test_forget_bluesky_clears_at_uris_and_handles(store: Store) -> None:
    did = "did:plc:carolcarolcarolcarol0001"
    carol = AccountItem(
        account_id=f"bluesky:{did}",
        platform="bluesky",
        handle="carol.bsky.social",
        url="https://bsky.app/profile/carol.bsky.social",
        seen_at=T0,
    )
    dave = AccountItem(
        account_id="bluesky:did:plc:davedavedavedavedave0002",
        platform="bluesky",
        handle="dave.bsky.social",
        seen_at=T0,
    )
    quote = PostItem(
        post_id="bluesky:at://did:plc:davedavedavedavedave0002/app.bsky.feed.post/3k1",
        platform="bluesky",
        account_id=dave.account_id,
        text="Agree with @carol.bsky.social! Not @carol.bsky.social.example though",
        quote_of=f"bluesky:at://{did}/app.bsky.feed.post/3zz",
        created_at=T0,
        collected_at=T0,
    )
    store.upsert_accounts([carol, dave])
    store.upsert_posts([quote])
    counts = forget(store, did)
    assert counts["accounts"] == 1 and counts["references"] == 1
    text, _r, _rp, quote_of, _l, _m = _posts(store)[quote.post_id]
    assert quote_of is None
    assert text == f"Agree with {REDACTED}! Not @carol.bsky.social.example though"


def test_patterns_are_parameters_not_sql() -> None:
    # the patterns are regexes handed to DuckDB as parameters; quotes stay data
    full, short = redaction_patterns(
        ["mastodon:https://x.example/users/o'brien"], ["o'brien@x.example"], []
    )
    assert "o'brien" in full and "o'brien" in short
    assert reference_pattern([]) == reference_pattern(["nonsense"])
