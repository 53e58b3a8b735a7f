"""Store: migrations, Arrow-batch upserts, refs, runs, cursors, erasure, retention."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from crawler.app.forget import forget, forget_keys
from crawler.core.items import AccountItem, InteractionItem, PostItem, ProfileField
from crawler.core.matching import CampaignMatcher
from crawler.db import schema
from crawler.db.store import StorageError, Store
from tests.support.fixtures import SHARED_DIR
from tests.support.items import T0, mastodon_account
from tests.support.items import mastodon_post as support_post

SHARED = SHARED_DIR

# the contract tables built so far (websites, contacts, identities and
# identity_suggestions come with the issues that build them)
CONTRACT_TABLES = (
    "accounts",
    "posts",
    "interactions",
    "leads",
    "runs",
    "follows",
    "account_graph",
    "communities",
    "overrides",
    "lead_status",
)


def contract_columns() -> dict[str, list[str]]:
    """Column lists of the contract tables built so far, read from DESIGN.md."""
    design = SHARED / "DESIGN.md"
    if not design.exists():
        pytest.skip(f"{design} not present: cannot check the public table contract")
    text = design.read_text(encoding="utf-8")
    section = text.split("DuckDB tables", 1)[1].split("## Classification", 1)[0]
    out: dict[str, list[str]] = {}
    for name, cols in re.findall(r"`(\w+)\(([^)]*)\)`", section, flags=re.S):
        if name in CONTRACT_TABLES:
            out[name] = [c.split()[0] for c in " ".join(cols.split()).split(",") if c.strip()]
    return out


def mastodon_post(user: str, n: int, host: str = "eu.social", **kw: object) -> PostItem:
    kw.setdefault("local_ref", f"{host}#{1000 + n}")  # the server-local id, as parsed
    return support_post(user, n, host, **kw)


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "sub" / "scout.duckdb")
    yield s
    s.close()


def test_migrations_create_contract_tables(store: Store) -> None:
    expected = contract_columns()
    assert set(expected) == set(CONTRACT_TABLES)
    for table, cols in expected.items():
        have = [
            r[0]
            for r in store.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                [table],
            ).fetchall()
        ]
        missing = [c for c in cols if c not in have]
        assert not missing, f"{table} lacks contract columns {missing}"
    assert store.schema_version() == schema.SCHEMA_VERSION
    assert Path(store.path).parent.name == "sub"


def test_reopen_is_noop_and_keeps_salt(tmp_path: Path) -> None:
    db = tmp_path / "scout.duckdb"
    with Store(db) as s:
        salt = s.con.execute("SELECT value FROM settings WHERE name = 'forget_salt'").fetchone()
        h = s.forget_hash("Alice@Eu.Social")
        s.upsert_accounts([mastodon_account("alice")])
    with Store(db) as s:
        assert s.con.execute("SELECT count(*) FROM schema_meta").fetchall() == [
            (len(schema.MIGRATIONS),)
        ]
        assert (
            s.con.execute("SELECT value FROM settings WHERE name = 'forget_salt'").fetchone()
            == salt
        )
        assert s.forget_hash("@alice@eu.social") == h
        assert s.count("accounts") == 1
    with Store(db, read_only=True) as s:
        assert s.schema_version() == schema.SCHEMA_VERSION
        assert s.count("accounts") == 1


def test_salt_differs_between_databases(tmp_path: Path) -> None:
    with Store(tmp_path / "a.duckdb") as a, Store(tmp_path / "b.duckdb") as b:
        assert a.forget_hash("alice@eu.social") != b.forget_hash("alice@eu.social")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "scout.duckdb"
    Store(db).close()
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_meta VALUES (?, now())", [schema.SCHEMA_VERSION + 1])
    con.close()
    with pytest.raises(StorageError) as err:
        Store(db)
    msg = str(err.value)
    assert "newer" in msg and "\n" not in msg


def test_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "notes.duckdb"
    bad.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StorageError) as err:
        Store(bad)
    assert "\n" not in str(err.value) and str(bad) in str(err.value)


def test_locked_by_another_process(tmp_path: Path) -> None:
    db = tmp_path / "scout.duckdb"
    Store(db).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                con = duckdb.connect({str(db)!r})
                print("ready", flush=True)
                sys.stdin.readline()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StorageError) as err:
            Store(db, busy_wait=1)  # a writer waits briefly for the lock, then says why
        assert "\n" not in str(err.value)
        assert "in use" in str(err.value)
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=10)


def test_upsert_accounts_idempotent_and_keeps_classification(store: Store) -> None:
    alice = mastodon_account(
        "alice",
        bio="Beekeeper in Lyon",
        followers_count=120,
        fields=[ProfileField("Web", "https://alice.example")],
        labels=["beekeeping"],
        local_refs=["eu.social#1", "other.host#77"],
    )
    bob = mastodon_account("bob", followers_count=5)
    assert store.upsert_accounts([alice, bob]) == 2
    assert store.upsert_accounts([alice, bob]) == 0
    assert store.count("accounts") == 2
    assert store.count("refs") == 2

    store.write_classifications(
        pd.DataFrame(
            [
                {
                    "account_id": alice.account_id,
                    "role": "individual",
                    "org_type": None,
                    "language": "fr",
                    "country": "FR",
                    "role_confidence": 0.9,
                    "country_confidence": 0.8,
                    "class_reasons": ["bio: beekeeper", "bio: Lyon"],
                    "is_bot": False,
                }
            ]
        )
    )
    later = mastodon_account(
        "alice",
        bio=None,  # a sighting without bio must not erase it
        followers_count=150,
        fields=[ProfileField("Web", "https://alice.example")],
        labels=["beekeeping", "eu"],
        seen_at=T0 + timedelta(days=2),
    )
    # duplicates within one batch: last wins
    older_dup = mastodon_account("alice", followers_count=1, seen_at=T0 + timedelta(days=1))
    assert store.upsert_accounts([older_dup, later]) == 0
    row = store.con.execute(
        "SELECT followers_count, bio, labels, first_seen_at, last_seen_at, role, country,"
        " class_reasons, fields FROM accounts WHERE account_id = ?",
        [alice.account_id],
    ).fetchone()
    assert row is not None
    assert row[0] == 150
    assert row[1] == "Beekeeper in Lyon"
    assert row[2] == ["beekeeping", "eu"]
    assert row[3] == T0 and row[4] == T0 + timedelta(days=2)
    assert row[5] == "individual" and row[6] == "FR"
    assert row[7] == "bio: beekeeper; bio: Lyon"
    assert '"Web"' in row[8]
    # an older sighting arriving late does not overwrite newer values
    store.upsert_accounts([mastodon_account("alice", followers_count=3, seen_at=T0)])
    assert store.con.execute(
        "SELECT followers_count, last_seen_at FROM accounts WHERE account_id = ?",
        [alice.account_id],
    ).fetchone() == (150, T0 + timedelta(days=2))


def test_upsert_posts_idempotent_hashtags_round_trip(store: Store) -> None:
    posts = [
        mastodon_post(
            "alice",
            1,
            text="Sign the #SaveBees ECI! https://eci.example",
            hashtags=["savebees", "eci"],
            mentions=["bob@eu.social"],
            links=["https://eci.example"],
            like_count=4,
            repost_count=1,
        ),
        mastodon_post("alice", 2, text="Łódź ❤ #SaveBees", hashtags=["savebees"], lang="pl"),
    ]
    assert store.upsert_posts(posts) == 2
    assert store.upsert_posts(posts) == 0
    assert store.count("posts") == 2
    again = mastodon_post(
        "alice",
        1,
        text="Sign the #SaveBees ECI! https://eci.example",
        hashtags=["savebees", "eci", "bees"],
        mentions=["bob@eu.social"],
        like_count=2,  # a lower count from another instance never lowers the stored one
        repost_count=7,
        collected_at=T0 + timedelta(days=3),
    )
    assert store.upsert_posts([again]) == 0
    row = store.con.execute(
        "SELECT hashtags, mentions, like_count, repost_count, collected_at FROM posts "
        "WHERE post_id = ?",
        [again.post_id],
    ).fetchone()
    assert row == (["savebees", "eci", "bees"], ["bob@eu.social"], 4, 7, T0)
    assert store.con.execute(
        "SELECT text FROM posts WHERE post_id = ?", [posts[1].post_id]
    ).fetchone() == ("Łódź ❤ #SaveBees",)


def test_refs_resolution(store: Store) -> None:
    parent = mastodon_post("alice", 1, text="#SaveBees now", hashtags=["savebees"])
    # the reply was read on another instance: it names the parent by that server's local id
    reply = mastodon_post(
        "bob",
        1,
        host="bees.social",
        text="@alice yes!",
        reply_to_ref="eu.social#1001",
        source="eu.social",
        local_ref="eu.social#5555",
    )
    store.upsert_accounts(
        [mastodon_account("alice", local_refs=["eu.social#42"]), mastodon_account("bob")]
    )
    store.upsert_posts([reply])
    store.add_interactions(
        [
            InteractionItem(reply.account_id, None, "reply", reply.post_id, T0, "ref:eu.social#42"),
            InteractionItem(
                reply.account_id, None, "mention", reply.post_id, T0, "ALICE@eu.social"
            ),
        ]
    )
    assert store.resolve_refs() == 2  # both interactions; the parent is not stored yet
    store.upsert_posts([parent])
    assert store.resolve_refs() == 1
    assert store.resolve_refs() == 0
    assert store.con.execute(
        "SELECT reply_to FROM posts WHERE post_id = ?", [reply.post_id]
    ).fetchone() == (parent.post_id,)
    rows = store.con.execute(
        "SELECT kind, dst_account_id, dst_handle, dst_ref FROM interactions ORDER BY kind"
    ).fetchall()
    alice_id = "mastodon:https://eu.social/users/alice"
    assert rows == [
        ("mention", alice_id, "ALICE@eu.social", None),
        ("reply", alice_id, None, "eu.social#42"),
    ]
    # a re-crawl of the same interactions adds nothing although they are resolved now
    again = [
        InteractionItem(reply.account_id, None, "reply", reply.post_id, T0, "ref:eu.social#42"),
        InteractionItem(reply.account_id, None, "mention", reply.post_id, T0, "alice@eu.social"),
        InteractionItem(reply.account_id, alice_id, "mention", reply.post_id, T0),
    ]
    assert store.add_interactions(again) == 0
    assert store.count("interactions") == 2
    # the reply read through a third server, whose local id for alice nobody stored: the
    # same reply (one target per post), never a second, unresolved row
    third = InteractionItem(
        reply.account_id, None, "reply", reply.post_id, T0, "ref:other.social#777"
    )
    assert store.add_interactions([third]) == 0
    # ... also when it was stored before the first reading resolved
    store.con.execute(
        "INSERT INTO interactions (src_account_id, kind, post_id, dst_ref)"
        " VALUES (?, 'reply', ?, 'other.social#777')", [reply.account_id, reply.post_id]
    )  # fmt: skip
    store.resolve_refs()
    assert store.count("interactions") == 2


def test_ten_thousand_posts_in_one_arrow_batch(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_executemany(*args: object, **kwargs: object) -> None:
        raise AssertionError("row-by-row executemany used")

    monkeypatch.setattr(duckdb.DuckDBPyConnection, "executemany", no_executemany)
    posts = [
        mastodon_post(
            f"user{i % 500}", i, text=f"post {i} #SaveBees", hashtags=["savebees", f"t{i % 7}"]
        )
        for i in range(10_000)
    ]
    accounts = [mastodon_account(f"user{i}") for i in range(500)]
    started = time.perf_counter()
    assert store.upsert_accounts(accounts) == 500
    assert store.upsert_posts(posts) == 10_000
    assert store.count("posts") == 10_000
    assert store.count("refs") == 10_000
    assert store.tag_campaign_posts("bees", CampaignMatcher(["SaveBees"], [])) == 10_000
    assert time.perf_counter() - started < 30


def test_tag_campaign_posts(store: Store) -> None:
    store.upsert_posts(
        [
            mastodon_post("a", 1, text="nothing here", hashtags=["cats"]),
            mastodon_post("a", 2, text="Bees!", hashtags=["SaveBees"]),
            mastodon_post("a", 3, text="The Bee Initiative needs you", hashtags=[]),
            mastodon_post("a", 4, text="", hashtags=["savebees"], repost_of="x"),
        ]
    )
    assert store.tag_campaign_posts("bees", CampaignMatcher(["#savebees"], ["bee initiative"])) == 3
    assert store.tag_campaign_posts("bees", CampaignMatcher(["#savebees"], ["bee initiative"])) == 0
    assert store.tag_campaign_posts("other", CampaignMatcher(["cats"], [])) == 1
    got = {
        r[0]
        for r in store.con.execute(
            "SELECT post_id FROM campaign_posts WHERE campaign = 'bees'"
        ).fetchall()
    }
    assert mastodon_post("a", 1).post_id not in got


def test_forget_removes_everywhere(store: Store) -> None:
    alice = mastodon_account("alice", local_refs=["eu.social#1"])
    bob = mastodon_account("bob")
    p_a = mastodon_post("alice", 1, text="#SaveBees", hashtags=["savebees"])
    p_b = mastodon_post("bob", 2, text="@alice #SaveBees", hashtags=["savebees"])
    store.upsert_accounts([alice, bob])
    store.upsert_posts([p_a, p_b])
    store.add_interactions(
        [
            InteractionItem(bob.account_id, None, "mention", p_b.post_id, T0, "alice@eu.social"),
            InteractionItem(alice.account_id, bob.account_id, "mention", p_a.post_id, T0),
        ]
    )
    store.resolve_refs()
    store.tag_campaign_posts("bees", CampaignMatcher(["savebees"], []))
    store.write_account_campaign(
        "bees",
        pd.DataFrame(
            [
                {"account_id": alice.account_id, "stance": "supports", "stance_score": 0.9,
                 "campaign_posts": 1, "last_post_at": T0},
                {"account_id": bob.account_id, "stance": "supports", "stance_score": 0.8,
                 "campaign_posts": 1, "last_post_at": T0},
            ]
        ),
    )  # fmt: skip
    store.con.execute(
        "INSERT INTO leads (campaign, account_id, lead_type) VALUES ('bees', ?, 'volunteer')",
        [alice.account_id],
    )
    assert not store.is_forgotten(alice.account_id, alice.handle)
    counts = forget(store, "https://eu.social/@alice")
    assert counts["accounts"] == 1 and counts["posts"] == 1
    assert counts["interactions"] == 2 and counts["leads"] == 1
    assert counts["account_campaign"] == 1 and counts["campaign_posts"] == 1
    assert counts["refs"] == 2  # the account's local id and its post's local id
    for table, col in [
        ("accounts", "account_id"),
        ("posts", "account_id"),
        ("interactions", "src_account_id"),
        ("interactions", "dst_account_id"),
        ("leads", "account_id"),
        ("account_campaign", "account_id"),
        ("refs", "target_id"),
    ]:
        n = store.con.execute(
            f"SELECT count(*) FROM {table} WHERE {col} = ?",  # noqa: S608 (test constants)
            [alice.account_id],
        ).fetchone()
        assert n == (0,), table
    assert store.count("posts") == 1 and store.count("accounts") == 1
    assert store.is_forgotten(alice.account_id)
    assert store.is_forgotten("mastodon:unknown", "@Alice@EU.social")
    assert not store.is_forgotten(bob.account_id, bob.handle)
    # nothing but hashes is kept
    hashes = [r[0] for r in store.con.execute("SELECT key_hash FROM forgotten").fetchall()]
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)
    assert not any("alice" in h for h in hashes)
    # survives re-opening
    path = store.path
    store.close()
    with Store(path) as again:
        assert again.is_forgotten(alice.account_id, None)


def test_forget_before_collection(store: Store) -> None:
    counts = forget(store, "@carol@bees.social")
    assert counts["accounts"] == 0 and counts["forgotten"] >= 1
    assert store.is_forgotten("mastodon:https://bees.social/users/carol", "carol@bees.social")
    forget(store, "did:plc:abc123")
    assert store.is_forgotten("bluesky:did:plc:abc123")
    forget(store, "https://bsky.app/profile/dora.bsky.social")
    assert store.is_forgotten("bluesky:did:plc:zzz", "Dora.bsky.social")


def test_delete_account_data_records_no_hash(store: Store) -> None:
    acc = AccountItem("bluesky:did:plc:x1", "bluesky", "x1.bsky.social", seen_at=T0)
    store.upsert_accounts([acc])
    store.upsert_posts(
        [PostItem("bluesky:at://did:plc:x1/app.bsky.feed.post/1", "bluesky", acc.account_id)]
    )
    counts = store.delete_account_data(acc.account_id)
    assert counts["accounts"] == 1 and counts["posts"] == 1
    assert store.count("forgotten") == 0
    assert not store.is_forgotten(acc.account_id, acc.handle)


def test_purge_older_than(store: Store) -> None:
    old_only = mastodon_account("old", seen_at=T0 - timedelta(days=400))
    mixed = mastodon_account("mixed", seen_at=T0 - timedelta(days=400))
    fresh = mastodon_account("fresh", seen_at=T0)
    store.upsert_accounts([old_only, mixed, fresh])
    old_post = mastodon_post("old", 1, created_at=T0 - timedelta(days=300), hashtags=["b"])
    mixed_old = mastodon_post("mixed", 1, created_at=T0 - timedelta(days=300), hashtags=["b"])
    mixed_new = mastodon_post("mixed", 2, created_at=T0 - timedelta(days=5), hashtags=["b"])
    store.upsert_posts([old_post, mixed_old, mixed_new])
    store.add_interactions(
        [
            InteractionItem(old_only.account_id, fresh.account_id, "mention", old_post.post_id),
            InteractionItem(mixed.account_id, fresh.account_id, "mention", mixed_new.post_id),
        ]
    )
    store.tag_campaign_posts("c", CampaignMatcher(["b"], []))
    counts = store.purge_older_than(T0 - timedelta(days=180))
    assert counts["posts"] == 2 and counts["interactions"] == 1
    assert counts["campaign_posts"] == 2 and counts["accounts"] == 1
    left = {r[0] for r in store.con.execute("SELECT account_id FROM accounts").fetchall()}
    assert left == {mixed.account_id, fresh.account_id}
    assert store.count("posts") == 1 and store.count("interactions") == 1


def test_runs_lifecycle_and_cursors(store: Store) -> None:
    r1 = store.start_run("bees")
    assert re.fullmatch(r"[0-9a-f]{32}", r1)
    store.finish_run(r1, "ok", 10, 4, 1, {"opted_out": 2}, {"requests": 12})
    r2 = store.start_run("bees")  # killed before finishing
    store.start_run("other")
    assert store.mark_interrupted("bees") == 1
    runs = store.last_runs("bees", 5)
    assert list(runs["run_id"]) == [r2, r1]
    assert list(runs["status"]) == ["interrupted", "ok"]
    done = runs.iloc[1]
    assert (done["posts_new"], done["accounts_new"], done["errors"]) == (10, 4, 1)
    assert '"opted_out": 2' in done["skipped"]
    assert store.last_runs("other", 5)["status"].tolist() == ["running"]
    assert store.get_cursor("mastodon:eu.social", "savebees") is None
    store.set_cursor("mastodon:eu.social", "savebees", "110")
    store.set_cursor("mastodon:eu.social", "savebees", "120")
    assert store.get_cursor("mastodon:eu.social", "savebees") == "120"


def test_classifier_io(store: Store) -> None:
    store.upsert_accounts(
        [
            mastodon_account("alice", bio="NGO for bees", is_bot=False, labels=["x"],
                             fields=[ProfileField("Site", "https://bees.org")]),
            mastodon_account("botty", is_bot=False),
        ]
    )  # fmt: skip
    store.upsert_posts(
        [mastodon_post("alice", i, text=f"text {i}", lang="en") for i in range(25)]
        + [mastodon_post("alice", 99, text="", repost_of="x")]
    )
    df = store.accounts_for_classification()
    alice = df[df["handle"] == "alice@eu.social"].iloc[0]
    assert len(alice["posts"]) == 20 and alice["posts"][0] == "text 0"  # most recent first
    assert alice["post_langs"][0] == "en"
    assert alice["fields"] == [
        {"name": "Site", "value": "https://bees.org", "verified_at": None, "url": None}
    ]
    assert alice["labels"] == ["x"]
    assert df[df["handle"] == "botty@eu.social"].iloc[0]["posts"] == []
    out = pd.DataFrame(
        {
            "account_id": list(df["account_id"]),
            "role": ["organization", "individual"],
            "org_type": ["ngo", None],
            "language": ["en", None],
            "country": ["BE", None],
            "role_confidence": [0.9, 0.5],
            "country_confidence": [0.7, None],
            "class_reasons": ["bio: NGO", "default"],
            "is_bot": [False, True],
        }
    )
    assert store.write_classifications(out) == 2
    assert store.accounts_for_classification(only_new=True).empty
    assert len(store.accounts_for_classification(only_new=False)) == 2
    rows = store.con.execute(
        "SELECT handle, role, org_type, country, is_bot, classified_at IS NOT NULL "
        "FROM accounts ORDER BY handle"
    ).fetchall()
    assert rows == [
        ("alice@eu.social", "organization", "ngo", "BE", False, True),
        ("botty@eu.social", "individual", None, None, True, True),
    ]
    # the classifier's bot flag survives a later profile sighting without the platform flag
    store.upsert_accounts([mastodon_account("botty", seen_at=T0 + timedelta(days=1))])
    assert store.con.execute(
        "SELECT is_bot FROM accounts WHERE handle = 'botty@eu.social'"
    ).fetchone() == (True,)


def test_campaign_texts_and_account_campaign(store: Store) -> None:
    orig = mastodon_post("alice", 1, text="Save the bees #SaveBees", hashtags=["savebees"])
    boost = mastodon_post("bob", 1, text="", hashtags=["savebees"], repost_of=orig.post_id)
    store.upsert_posts([orig, boost])
    store.tag_campaign_posts("bees", CampaignMatcher(["savebees"], []))
    texts = store.campaign_texts("bees").set_index("account_id")["texts"]
    assert list(texts[boost.account_id]) == ["Save the bees #SaveBees"]
    frame = pd.DataFrame(
        [{"account_id": orig.account_id, "stance": "supports", "stance_score": 0.9,
          "campaign_posts": 1, "last_post_at": T0}]
    )  # fmt: skip
    assert store.write_account_campaign("bees", frame) == 1
    assert store.write_account_campaign("bees", frame) == 1
    assert store.con.execute(
        "SELECT account_id, stance, campaign_posts, last_post_at FROM account_campaign"
    ).fetchall() == [(orig.account_id, "supports", 1, T0)]


@pytest.mark.parametrize(
    ("who", "keys"),
    [
        ("mastodon:https://eu.social/users/a", ["mastodon:https://eu.social/users/a"]),
        ("did:plc:abc", ["bluesky:did:plc:abc"]),
        ("@Alice@EU.social", ["alice@eu.social"]),
        ("https://eu.social/@alice", ["mastodon:https://eu.social/@alice", "alice@eu.social"]),
        ("https://eu.social/@bob@other.org/", ["mastodon:https://eu.social/@bob@other.org", "bob@other.org"]),
        ("https://eu.social/users/carl", ["mastodon:https://eu.social/users/carl", "carl@eu.social"]),
        ("https://bsky.app/profile/Dora.bsky.social", ["dora.bsky.social"]),
        ("https://bsky.app/profile/did:plc:zz", ["bluesky:did:plc:zz"]),
    ],
)  # fmt: skip
def test_forget_keys_of_what_a_user_types(who: str, keys: list[str]) -> None:
    assert forget_keys(who) == keys


def test_store_forget_takes_resolved_keys(store: Store) -> None:
    with pytest.raises(ValueError, match="give an account id"):
        store.forget(["  "])
    counts = store.forget(["bluesky:did:plc:q1", "Q1.bsky.social"])
    assert counts["forgotten"] == 2
    assert store.is_forgotten("bluesky:did:plc:q1") and store.is_forgotten("x", "q1.bsky.social")
