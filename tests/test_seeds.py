"""Seeds in the campaign file, and the storage of follow edges around them: parsing
every form organizers paste, one-line errors naming the key, keyed edge loads, gone
edges after a complete walk, consent on edges, erasure of every follow row."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from crawler.core.config import CampaignError, load_campaign
from crawler.core.items import FollowItem, ListMemberItem, SeedListItem
from crawler.core.seeds import parse_seed, parse_starter_pack
from crawler.db.store import Store
from pipelines.chain import PipelineChain
from tests.support.items import T0, mastodon_account


@pytest.mark.parametrize(
    ("raw", "platform", "actor", "base"),
    [
        ("@eci@mastodon.social", "mastodon", "eci@mastodon.social", None),
        ("Climate_EU@Eupolicy.Social", "mastodon", "Climate_EU@eupolicy.social", None),
        (
            "https://mastodon.social/@eci",
            "mastodon",
            "eci@mastodon.social",
            "https://mastodon.social",
        ),
        (
            "https://mastodon.social/users/eci",
            "mastodon",
            "eci@mastodon.social",
            "https://mastodon.social",
        ),
        ("https://mastodon.social/@eci@chaos.social", "mastodon", "eci@chaos.social", None),
        ("alice.bsky.social", "bluesky", "alice.bsky.social", None),
        ("@Alice.bsky.social", "bluesky", "alice.bsky.social", None),
        ("did:plc:z72i7hdynmk6r22z27h6tvur", "bluesky", "did:plc:z72i7hdynmk6r22z27h6tvur", None),
        ("https://bsky.app/profile/greenpeace.org", "bluesky", "greenpeace.org", None),
        (
            "https://bsky.app/profile/did:plc:z72i7hdynmk6r22z27h6tvur",
            "bluesky",
            "did:plc:z72i7hdynmk6r22z27h6tvur",
            None,
        ),
    ],
)
def test_every_seed_form_organizers_paste(
    raw: str, platform: str, actor: str, base: str | None
) -> None:
    seed = parse_seed(raw)
    assert (seed.platform, seed.actor, seed.base_url) == (platform, actor, base)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ftp://mastodon.social/@eci",
        "https://mastodon.social/about",
        "http://169.254.169.254/@x",
        "eci@10.0.0.1",
        "not a handle",
        "did:key:abc",
        "@user@",
    ],
)
def test_bad_seeds_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_seed(raw)


def test_starter_packs_from_web_url_and_at_uri() -> None:
    web = parse_starter_pack("https://bsky.app/starter-pack/alice.bsky.social/3kxyz")
    assert (web.creator, web.rkey, web.uri) == ("alice.bsky.social", "3kxyz", None)
    at = parse_starter_pack("at://did:plc:abc/app.bsky.graph.starterpack/3kxyz")
    assert at.uri == "at://did:plc:abc/app.bsky.graph.starterpack/3kxyz"
    with pytest.raises(ValueError):
        parse_starter_pack("at://did:plc:abc/app.bsky.feed.post/3kxyz")


def _campaign(tmp_path: Path, seeds: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(f'[campaign]\nname = "x"\nhashtags = ["eci"]\n[seeds]\n{seeds}\n')
    return path


def test_seeds_section_loads_and_errors_name_the_key(tmp_path: Path) -> None:
    ok = load_campaign(
        _campaign(
            tmp_path,
            'accounts = ["@eci@mastodon.social", "greenpeace.org"]\n'
            'starter_packs = ["at://did:plc:abc/app.bsky.graph.starterpack/3k"]\n'
            "followers_max = 200",
        )
    )
    assert [s.platform for s in ok.seeds.parsed_accounts()] == ["mastodon", "bluesky"]
    assert [s.actor for s in ok.seeds.parsed_accounts("bluesky")] == ["greenpeace.org"]
    assert ok.seeds.followers_max == 200
    assert load_campaign(_campaign(tmp_path, "")).seeds.followers_max == 5000
    for body, expected in [
        ('accounts = ["@eci@mastodon.social", "ftp://x"]', "seeds.accounts[1]: not an http(s)"),
        ("followers_max = 0", "seeds.followers_max:"),
        ('followers_max = "5000"', "seeds.followers_max:"),
        ('starter_packs = ["https://bsky.app/profile/x.y"]', "seeds.starter_packs[0]:"),
        ("accounts = 3", "seeds.accounts:"),
        ("follow = 1", "seeds.follow: unknown key"),
    ]:
        with pytest.raises(CampaignError) as err:
            load_campaign(_campaign(tmp_path, body))
        assert expected in str(err.value)
        assert "\n" not in str(err.value)


SEED = "mastodon:https://eu.social/users/eci"


def _edge(user: str, **kw: object) -> FollowItem:
    return FollowItem(f"mastodon:https://eu.social/users/{user}", SEED, "mastodon", **kw)  # type: ignore[arg-type]


def _walk_end(status: str, started: object, items: int) -> SeedListItem:
    return SeedListItem(
        list_id=f"{SEED}#followers",
        campaign="clean air",
        seed="@eci@eu.social",
        account_id=SEED,
        kind="followers",
        platform="mastodon",
        status=status,
        started_at=started,  # type: ignore[arg-type]
        items=items,
    )


def _follows(store: Store) -> dict[str, object]:
    with store.session() as con:
        rows = con.execute(
            "SELECT src_account_id, gone_at FROM follows ORDER BY src_account_id"
        ).fetchall()
    return {str(src).rsplit("/", 1)[1]: gone for src, gone in rows}


def test_rerun_adds_only_new_edges_and_marks_the_ones_that_disappeared() -> None:
    store = Store(":memory:")
    first = T0 - timedelta(days=1)
    assert store.add_follows([_edge("ana", seen_at=first), _edge("ben", seen_at=first)]) == 2
    store.finish_seed_list(_walk_end("complete", first, 2))
    # the next walk lists ana again and a newcomer, but not ben
    assert store.add_follows([_edge("ana", seen_at=T0), _edge("cleo", seen_at=T0)]) == 1
    # a truncated walk proves nothing about ben
    assert store.finish_seed_list(_walk_end("truncated", T0, 2)) == 0
    assert _follows(store)["ben"] is None
    assert store.finish_seed_list(_walk_end("complete", T0, 2)) == 1
    follows = _follows(store)
    assert follows["ana"] is None and follows["cleo"] is None and follows["ben"] is not None
    status = store.seed_list_status(f"{SEED}#followers")
    assert status is not None and status["status"] == "complete" and status["items"] == 2
    # ben follows again: the edge comes back
    store.add_follows([_edge("ben", seen_at=T0 + timedelta(days=1))])
    assert _follows(store)["ben"] is None
    with store.session() as con:
        assert con.execute("SELECT count(*) FROM follows").fetchone() == (3,)
        assert con.execute("SELECT * FROM campaign_seeds").fetchall() == [
            ("clean air", f"{SEED}#followers", SEED, "@eci@eu.social", "followers")
        ]


def test_edges_of_opted_out_accounts_never_reach_the_store() -> None:
    store = Store(":memory:")
    chain = PipelineChain(store)
    chain.process(mastodon_account("eci"))
    chain.process(mastodon_account("ana", followers_count=3))
    chain.process(mastodon_account("nobot", bio="no crawlers please #nobot"))
    chain.process(mastodon_account("hidden", discoverable=False))
    for user in ("ana", "nobot", "hidden"):
        chain.process(_edge(user))
    chain.process(ListMemberItem("at://pack", "mastodon:https://eu.social/users/nobot", "mastodon"))
    chain.process(_walk_end("complete", T0, 3))
    chain.close()
    assert list(_follows(store)) == ["ana"]
    assert chain.stats.get_value("scout/consent/follows_skipped") == 2
    assert chain.stats.get_value("scout/consent/members_skipped") == 1
    assert store.count("list_members") == 0


def test_forget_erases_follow_rows_on_both_ends() -> None:
    store = Store(":memory:")
    store.upsert_accounts([mastodon_account(u) for u in ("eci", "ana", "ben")])
    store.add_follows([_edge("ana"), _edge("ben")])
    store.add_follows([FollowItem(SEED, "mastodon:https://eu.social/users/ana", "mastodon")])
    store.add_list_members(
        [ListMemberItem("at://pack", "mastodon:https://eu.social/users/ana", "mastodon")]
    )
    counts = store.forget("ana@eu.social")
    assert counts["follows"] == 2 and counts["list_members"] == 1
    assert list(_follows(store)) == ["ben"]


def test_forgetting_a_seed_clears_its_lists_and_every_mention_of_it() -> None:
    store = Store(":memory:")
    store.upsert_accounts([mastodon_account(u) for u in ("eci", "ana")])
    store.add_follows([_edge("ana")])
    store.finish_seed_list(_walk_end("complete", T0, 1))
    ana = "mastodon:https://eu.social/users/ana"
    with store.session() as con:
        con.execute(
            "INSERT INTO account_graph VALUES ('clean air', ?, 0.5, 1, 0, 1, [?])", [ana, SEED]
        )
    counts = store.forget("eci@eu.social")
    assert counts["seed_lists"] == 1 and counts["campaign_seeds"] == 1
    with store.session() as con:
        assert con.execute("SELECT seeds_followed FROM account_graph").fetchall() == [([],)]
        assert con.execute("SELECT count(*) FROM follows").fetchone() == (0,)


def test_the_contracts_websites_section_loads_with_strict_types(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(
        '[campaign]\nname = "x"\nhashtags = ["eci"]\n'
        "[websites]\nenabled = false\ninclude_individuals = true\nmax_pages = 3\n"
    )
    cfg = load_campaign(path)
    assert (cfg.websites.enabled, cfg.websites.include_individuals, cfg.websites.max_pages) == (
        False,
        True,
        3,
    )
    path.write_text('[campaign]\nname = "x"\nhashtags = ["eci"]\n[websites]\nmax_pages = "3"\n')
    with pytest.raises(CampaignError, match="websites.max_pages"):
        load_campaign(path)
