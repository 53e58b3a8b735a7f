"""`scout forget` leaves no trace of the account in other rows: references to its posts
(stored or not) are cleared, its handle, profile URL and URI are redacted from other
posts' texts, links and bios; unrelated look-alike handles are kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.app.forget import forget
from crawler.core.items import AccountItem, FollowItem, PostItem
from crawler.db.erasure import (
    _ACCOUNT_DELETES,
    _ID_COLUMNS,
    REDACTED,
    redaction_patterns,
    reference_pattern,
)
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


def test_every_column_erased_by_id_is_looked_in() -> None:
    """The erasure skips the id-keyed statements for ids stored nowhere: each table and
    column they erase by id must be in the presence query's list, or an account stored
    only there would survive its opt-out."""
    listed = {(t, c) for t, c, _ in _ID_COLUMNS}
    for _table, statement in _ACCOUNT_DELETES:
        if "$handles" in statement:
            continue  # always runs
        named = list(re.finditer(r"(\w+) = ANY\(\$ids|list_has_any\((\w+), \$ids", statement))
        assert named, statement
        for match in named:
            # the column's table: the last one named before it (subqueries included)
            table = re.findall(r"(?:FROM|UPDATE) (\w+)", statement[: match.start()])[-1]
            column = match.group(1) or match.group(2)
            assert (table, column) in listed, (table, column)


def test_an_opt_out_stored_only_outside_accounts_is_still_erased(store: Store) -> None:
    """An account never stored as a profile but named in an organizer's correction, a
    follow edge and a community's central members (rows of earlier runs): its opt-out
    erases all of them; an account stored nowhere costs no id-keyed statement."""
    ghost = "mastodon:https://eu.social/users/ghost"
    seed = account("seed")
    store.upsert_accounts([seed])
    store.add_follows([FollowItem(ghost, seed.account_id, "mastodon", T0)])
    with store.session() as con:
        con.execute("INSERT INTO overrides VALUES (?, 'role', 'organization', ?)", [ghost, T0])
        con.execute(
            "INSERT INTO communities (campaign, community, size, central_members)"
            " VALUES ('c', 1, 2, [?, ?])",
            [ghost, seed.account_id],
        )
    assert store._present_ids([ghost, "mastodon:https://eu.social/users/nobody"]) == [ghost]
    counts = store.record_opt_outs_and_delete([(ghost, "ghost@eu.social", "#nobot")])
    assert counts["overrides"] == 1 and counts["follows"] == 1 and counts["communities"] == 1
    with store.session() as con:
        assert con.execute("SELECT count(*) FROM overrides").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM follows").fetchone() == (0,)
        members = con.execute("SELECT central_members FROM communities").fetchone()
        assert members == ([seed.account_id],)
    # nobody stored: the id-keyed statements are skipped, the seed is untouched
    nobody = store.record_opt_outs_and_delete(
        [("mastodon:https://eu.social/users/nobody", "nobody@eu.social", "#nobot")]
    )
    assert nobody["accounts"] == 0 and nobody["overrides"] == 0
    assert store.is_opted_out("nobody@eu.social")
    with store.session() as con:
        assert con.execute("SELECT count(*) FROM accounts").fetchone() == (1,)
