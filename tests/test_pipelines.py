"""The shared item pipeline chain: normalise, consent, dedupe, store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.core.consent import opt_out_reason
from crawler.core.items import AccountItem, CursorItem, InteractionItem, PostItem, ProfileField
from crawler.db.store import Store
from pipelines.chain import PipelineChain

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def account(name: str, platform: str = "mastodon", **kw: object) -> AccountItem:
    if platform == "mastodon":
        base = {
            "account_id": f"mastodon:https://social.example/users/{name}",
            "handle": f"{name}@social.example",
        }
    else:
        base = {"account_id": f"bluesky:did:plc:{name}", "handle": f"{name}.bsky.social"}
    return AccountItem(platform=platform, seen_at=NOW, **{**base, **kw})  # type: ignore[arg-type]


def post(acc: AccountItem, n: int, **kw: object) -> PostItem:
    return PostItem(
        post_id=f"{acc.account_id}/posts/{n}",
        platform=acc.platform,
        account_id=acc.account_id,
        created_at=NOW,
        text=f"Sign the #CleanAirECI now {n}",
        hashtags=["CleanAirECI", "cleanaireci"],
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "t.duckdb")
    yield s  # type: ignore[misc]
    s.close()


@pytest.mark.parametrize(
    ("kw", "why"),
    [
        ({"discoverable": False}, "discoverable=false"),
        ({"indexable": False}, "indexable=false"),
        ({"noindex": True}, "noindex=true"),
        ({"bio": "Climate nerd. #NoBot please"}, "#nobot in profile"),
        ({"bio": "#nosearch"}, "#nosearch in profile"),
        ({"fields": [ProfileField("Bots", "#noindex")]}, "#noindex in profile"),
        ({"display_name": "Ana #nobots"}, "#nobots in profile"),
    ],
)
def test_mastodon_opt_outs(kw: dict[str, object], why: str) -> None:
    assert opt_out_reason(account("a", **kw)) == why  # type: ignore[arg-type]


def test_allowed_accounts() -> None:
    assert opt_out_reason(account("a", discoverable=None, indexable=None)) is None
    assert opt_out_reason(account("a", bio="I write about #nobotics? no: robots")) is None
    assert opt_out_reason(account("a", bio="see example.com/#nobot-policy")) is None
    assert (
        opt_out_reason(account("b", "bluesky", labels=["!no-unauthenticated"]))
        == "label !no-unauthenticated"
    )
    assert opt_out_reason(account("b", "bluesky", labels=["bot"])) is None


def test_chain_drops_everything_of_opted_out_accounts(store: Store) -> None:
    chain = PipelineChain(store)
    ok = account("ok")
    hidden = account("hidden", discoverable=False)
    mentioned = post(ok, 1, mentions=[hidden.handle, "x@elsewhere.example"])
    items = [
        ok,
        hidden,
        mentioned,
        post(hidden, 2),
        InteractionItem(ok.account_id, None, "mention", mentioned.post_id, NOW, hidden.handle),
        InteractionItem(hidden.account_id, ok.account_id, "reply", "p", NOW),
        InteractionItem(
            ok.account_id, None, "mention", mentioned.post_id, NOW, "x@elsewhere.example"
        ),
    ]
    kept = chain.process_many(items)
    chain.close()
    assert kept == 3  # ok, its post, the mention of a third account
    assert store.count("accounts") == 1
    assert store.count("posts") == 1
    assert store.con.execute("SELECT mentions FROM posts").fetchone() == (["x@elsewhere.example"],)
    assert store.count("interactions") == 1
    stats = chain.stats.get_stats()
    assert stats["scout/consent/accounts_skipped"] == 1
    assert stats["scout/consent/posts_skipped"] == 1
    assert stats["scout/consent/interactions_skipped"] == 2


def test_opt_out_after_collection_deletes_stored_data(store: Store) -> None:
    chain = PipelineChain(store)
    a = account("late")
    chain.process_many([a, post(a, 1), post(a, 2)])
    chain.close()
    assert store.count("posts") == 2
    chain = PipelineChain(store)
    chain.process(account("late", bio="I no longer want this. #nobot"))
    chain.close()
    assert store.count("posts") == 0
    assert store.count("accounts") == 0
    assert chain.stats.get_value("scout/consent/accounts_deleted") == 1


def test_forgotten_accounts_are_never_collected_again(store: Store) -> None:
    a = account("gone")
    store.forget(a.handle)
    chain = PipelineChain(store)
    kept = chain.process_many([a, post(a, 1)])
    chain.close()
    assert kept == 0
    assert store.count("posts") == 0


def test_opt_outs_can_be_switched_off_but_erasure_cannot(store: Store) -> None:
    chain = PipelineChain(store, respect_opt_outs=False)
    hidden = account("hidden", discoverable=False)
    erased = account("erased")
    store.forget(erased.account_id)
    assert chain.process_many([hidden, post(hidden, 1), erased, post(erased, 1)]) == 2
    chain.close()


def test_dedupe_and_normalise(store: Store) -> None:
    chain = PipelineChain(store)
    a = account("dup")
    p = post(a, 1, lang="de-AT")
    same_through_other_instance = post(a, 1, source="other.example")
    kept = chain.process_many([a, account("dup"), p, same_through_other_instance])
    chain.close()
    assert kept == 2
    row = store.con.execute("SELECT hashtags, lang FROM posts").fetchone()
    assert row == (["cleanaireci"], "de")


def test_invalid_items_are_counted_not_stored(store: Store) -> None:
    chain = PipelineChain(store)
    a = account("x")
    bad_post = PostItem(post_id="", platform="mastodon", account_id=a.account_id)
    self_reply = InteractionItem(a.account_id, a.account_id, "reply", "p1", NOW)
    assert chain.process_many([a, bad_post, self_reply]) == 1
    chain.close()
    stats = chain.stats.get_stats()
    assert stats["scout/dropped/invalid/post_without_id"] == 1
    assert stats["scout/dropped/invalid/self_interaction"] == 1


def test_cursor_is_saved_only_after_the_data(store: Store) -> None:
    chain = PipelineChain(store, batch_size=10_000)
    a = account("c")
    chain.process_many([a, post(a, 1), post(a, 2)])
    assert store.count("posts") == 0  # still buffered
    chain.process(CursorItem("mastodon:social.example", "tag:cleanaireci", "123"))
    assert store.count("posts") == 2  # flushed before the cursor
    assert store.get_cursor("mastodon:social.example", "tag:cleanaireci") == "123"
    chain.close()


def test_buffered_items_of_an_account_that_opts_out_later_are_not_written(store: Store) -> None:
    chain = PipelineChain(store, batch_size=10_000)
    short = account("later", "bluesky")  # a post's author view: no bio yet
    chain.process_many([short, post(short, 1), post(short, 2)])
    full = account("later", "bluesky", bio="Privacy first #nobot", followers_count=10)
    chain.process(full)  # the full profile says no
    chain.close()
    assert store.count("posts") == 0
    assert store.count("accounts") == 0
    assert chain.stats.get_value("scout/consent/buffered_items_dropped") == 3


def test_mentions_of_an_account_that_opts_out_later_are_removed(store: Store) -> None:
    chain = PipelineChain(store)
    fan, shy = account("fan"), account("shy", noindex=True)
    p1 = post(fan, 1, mentions=[shy.handle, "x@elsewhere.example"])
    said = [
        InteractionItem(fan.account_id, None, "mention", p1.post_id, NOW, h)
        for h in (shy.handle, "x@elsewhere.example")
    ]
    chain.process_many([fan, p1, *said, shy])
    chain.close()
    assert store.con.execute("SELECT mentions FROM posts").fetchall() == [
        (["x@elsewhere.example"],)
    ]
    assert chain.stats.get_value("scout/consent/mentions_removed") == 1
    # ... and so is the mention interaction stored before the opt-out showed
    assert store.con.execute("SELECT dst_handle FROM interactions").fetchall() == [
        ("x@elsewhere.example",)
    ]


def test_opt_outs_are_remembered_across_runs_and_can_be_withdrawn(store: Store) -> None:
    shy = account("shy", bio="#nobot")
    fan = account("fan")
    first = PipelineChain(store)
    first.process(shy)
    first.close()
    assert "shy" not in str(store.con.execute("SELECT * FROM opted_out").fetchall())  # hashes
    later = PipelineChain(store)  # a new run: the account itself does not show up
    later.process_many([fan, post(fan, 1, mentions=[shy.handle])])
    later.process(InteractionItem(fan.account_id, shy.account_id, "mention", "p", NOW))
    later.close()
    assert store.con.execute("SELECT mentions FROM posts").fetchall() == [([],)]
    assert store.count("interactions") == 0
    # read through another server (no ``noindex`` published): the opt-out stands
    remote = PipelineChain(store)
    remote.process_many([account("shy", bio="Hello again"), post(shy, 2)])
    remote.close()
    assert remote.stats.get_value("scout/consent/opt_outs_kept") == 1
    assert store.count("opted_out") > 0 and store.count("posts") == 1
    back = PipelineChain(store)  # its home server: it removed #nobot from its bio
    back.process_many([account("shy", bio="Hello again", noindex=False), post(shy, 2)])
    back.close()
    assert back.stats.get_value("scout/consent/opt_outs_withdrawn") == 1
    assert store.count("opted_out") == 0
    assert store.count("posts") == 2


def test_an_account_read_through_another_server_keeps_its_local_id_there() -> None:
    """A follower list on server B lists an account of server A with B's local id: that
    id must reach the refs table the first time (replies made on B point at it), or a
    rerun resolves what the first run could not and the two runs differ."""
    store = Store(":memory:")
    chain = PipelineChain(store)
    uri = "mastodon:https://a.example/users/eszter"

    def seen(ref: str) -> AccountItem:
        return AccountItem(uri, "mastodon", "eszter@a.example", followers_count=3, local_refs=[ref])

    assert chain.process(seen("a.example#1")) is not None
    assert chain.process(seen("b.example#77")) is not None  # new server-local id
    assert chain.process(seen("b.example#77")) is None  # nothing new: dropped
    chain.close()
    with store.session() as con:
        refs = con.execute("SELECT ref, target_id FROM refs ORDER BY ref").fetchall()
    assert refs == [("a.example#1", uri), ("b.example#77", uri)]
