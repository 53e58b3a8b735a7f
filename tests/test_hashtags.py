"""Related hashtags (`scout hashtags`): counts, lift over the background (computed by
hand below), support, per language; accepted tags and the campaign a crawl follows."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.app.hashtags import (
    HashtagError,
    RelatedHashtags,
    RelatedTag,
    accept,
    check_tags,
    followed_campaign,
    related_hashtags,
)
from crawler.core.config import Campaign, load_campaign
from crawler.core.items import PostItem
from crawler.db.store import Store
from tests.support.cli import assert_one_line, run_in_process
from tests.support.items import mastodon_account, mastodon_post

CAMPAIGN = """\
[campaign]
name = "Clean Air for Europe"
hashtags = ["CleanAir", "CleanAirECI"]
follow_related = {follow}
"""

# (user, home instance, language the account posts in)
ACCOUNTS = [
    ("anna", "eu.social", "de"),
    ("ben", "climate.social", "de"),
    ("clara", "eu.social", "pl"),
    ("dawid", "mastodon.pl", "pl"),
    ("promo", "spam.example", "en"),
    ("emma", "piaille.fr", "fr"),
    ("felix", "eu.social", "de"),
    ("gosia", "mastodon.pl", "pl"),
    ("hugo", "piaille.fr", "fr"),
]
# campaign posts (they carry #cleanair or #cleanaireci): 12, reposts aside
CAMPAIGN_POSTS = [
    ("anna", 1, "de", ["cleanair", "klimaschutz", "airquality"]),
    ("anna", 2, "de-AT", ["cleanair", "klimaschutz"]),
    ("ben", 3, "de", ["cleanaireci", "klimaschutz", "airquality"]),
    ("ben", 4, "de", ["cleanair", "verkehrswende"]),
    ("clara", 5, "pl", ["cleanair", "smog"]),
    ("clara", 6, "pl", ["cleanair", "smog", "klimaschutz", "airquality"]),
    ("dawid", 7, "pl", ["cleanaireci", "smog"]),
    *[("promo", n, "en", ["cleanair", "buynow"]) for n in range(8, 12)],
    ("emma", 12, "fr", ["cleanair", "airpur"]),
]
# the background: stored posts that do not match the campaign (6)
BACKGROUND_POSTS = [
    ("felix", 21, "de", ["klimaschutz", "fussball"]),
    ("felix", 22, "de", ["fussball"]),
    ("felix", 23, "de", ["klimaschutz"]),
    ("gosia", 24, "pl", ["smog"]),
    ("gosia", 25, "pl", []),
    ("hugo", 26, "fr", ["politique"]),
]


def _host(user: str) -> str:
    return next(h for u, h, _ in ACCOUNTS if u == user)


def _post(user: str, n: int, lang: str, tags: list[str], repost_of: str | None = None) -> PostItem:
    text = " ".join(f"#{t}" for t in tags) or "Smog again over Kraków today."
    return mastodon_post(
        user, n, _host(user), lang=lang, hashtags=tags, text=text, repost_of=repost_of
    )


def _campaign_file(tmp_path: Path, follow: bool = False) -> Path:
    path = tmp_path / "clean-air.toml"
    path.write_text(CAMPAIGN.format(follow="true" if follow else "false"), encoding="utf-8")
    return path


def _fill(db: Path, campaign: Campaign, *, background: bool = True) -> None:
    with Store(db) as store:
        store.upsert_accounts([mastodon_account(u, h) for u, h, _lang in ACCOUNTS])
        posts = [_post(*p) for p in CAMPAIGN_POSTS + (BACKGROUND_POSTS if background else [])]
        # ben boosts clara's post 6: a repost copies its tags, and must not count again
        original = _post(*CAMPAIGN_POSTS[5])
        posts.append(_post("ben", 30, "pl", list(original.hashtags), repost_of=original.post_id))
        store.upsert_posts(posts)
        store.tag_campaign_posts(campaign.name, campaign.matcher)


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path, Campaign]:
    path = _campaign_file(tmp_path)
    campaign = load_campaign(path)
    db = tmp_path / "scout.duckdb"
    _fill(db, campaign)
    return path, db, campaign


def _by_tag(found: RelatedHashtags) -> dict[str, RelatedTag]:
    return {t.tag: t for t in found.tags}


def test_lift_counts_and_order_computed_by_hand(world: tuple[Path, Path, Campaign]) -> None:
    _path, db, campaign = world
    with Store(db, read_only=True) as store:
        found = related_hashtags(store, campaign)
    assert (found.campaign_posts, found.background_posts) == (12, 6)
    # lift = (posts / 12) / ((background + m * p_all) / (6 + m)), m = 10 prior posts,
    # p_all = (posts + background) / 18: the tag's rate over all 18 posts
    expected = {
        "airquality": (3, 3, 0, (3 / 12) / ((0 + 10 * 3 / 18) / 16)),  # never outside: 2.4
        "smog": (3, 2, 1, (3 / 12) / ((1 + 10 * 4 / 18) / 16)),  # 1.24; ben's boost not counted
        "klimaschutz": (4, 3, 2, (4 / 12) / ((2 + 10 * 6 / 18) / 16)),  # as common outside: 1
    }
    assert [t.tag for t in found.tags] == ["airquality", "smog", "klimaschutz"]
    for tag in found.tags:
        posts, accounts, background, lift = expected[tag.tag]
        assert (tag.posts, tag.accounts, tag.background_posts) == (posts, accounts, background)
        assert tag.lift == pytest.approx(lift)
        assert tag.share == pytest.approx(posts / 12)
        assert not tag.accepted
    assert [round(t.lift, 3) for t in found.tags] == [2.4, 1.241, 1.0]
    assert _by_tag(found)["klimaschutz"].languages == ["de", "pl"]
    assert _by_tag(found)["smog"].languages == ["pl"]
    assert found.rough  # 6 background posts


def test_without_background_lift_makes_no_claim(tmp_path: Path) -> None:
    campaign = load_campaign(_campaign_file(tmp_path))
    db = tmp_path / "scout.duckdb"
    _fill(db, campaign, background=False)
    with Store(db, read_only=True) as store:
        found = related_hashtags(store, campaign)
    assert (found.campaign_posts, found.background_posts) == (12, 0)
    assert [(t.tag, t.lift) for t in found.tags] == [
        ("klimaschutz", pytest.approx(1.0)),  # ties on lift: most posts first
        ("airquality", pytest.approx(1.0)),
        ("smog", pytest.approx(1.0)),
    ]


def test_own_tags_are_left_out_and_one_account_cannot_push_a_tag(
    world: tuple[Path, Path, Campaign],
) -> None:
    _path, db, campaign = world
    with Store(db, read_only=True) as store:
        found = related_hashtags(store, campaign)
        lenient = related_hashtags(store, campaign, min_accounts=1)
    tags = _by_tag(found)
    assert "cleanair" not in tags and "cleanaireci" not in tags
    # 4 posts, all by one account: below the support threshold (2 accounts)
    assert "buynow" not in tags
    # two posts (verkehrswende: 1 post, airpur: 1 post) are below 3 posts either way
    assert "verkehrswende" not in tags and "airpur" not in tags
    spam = _by_tag(lenient)["buynow"]
    assert (spam.posts, spam.accounts) == (4, 1)
    assert spam.lift == pytest.approx((4 / 12) / ((0 + 10 * 4 / 18) / 16))


def test_per_language_slices(world: tuple[Path, Path, Campaign]) -> None:
    _path, db, campaign = world
    with Store(db, read_only=True) as store:
        de = related_hashtags(store, campaign, lang="de")
        pl = related_hashtags(store, campaign, lang="PL")
        fr = related_hashtags(store, campaign, lang="fr")
    # de: 4 campaign posts ("de-AT" counts as de), 3 background posts
    assert (de.campaign_posts, de.background_posts) == (4, 3)
    assert [(t.tag, t.posts, t.accounts) for t in de.tags] == [("klimaschutz", 3, 2)]
    assert de.tags[0].lift == pytest.approx((3 / 4) / ((2 + 10 * 5 / 7) / 13))  # 1.066
    # pl: 3 campaign posts, 2 background; airquality has 1 pl post only
    assert (pl.lang, pl.campaign_posts, pl.background_posts) == ("pl", 3, 2)
    assert [(t.tag, t.posts, t.accounts) for t in pl.tags] == [("smog", 3, 2)]
    assert pl.tags[0].lift == pytest.approx((3 / 3) / ((1 + 10 * 4 / 5) / 12))  # 1.333
    assert fr.tags == [] and fr.campaign_posts == 1


def test_check_tags_like_the_campaign_file() -> None:
    assert check_tags(["#AirQuality", "luft", "airquality"]) == ["airquality", "luft"]
    for bad in ("two words", "#", "a,b", "x\u202ey", "@someone"):
        with pytest.raises(HashtagError, match="--accept: not a hashtag"):
            check_tags([bad])


def test_followed_campaign_adds_accepted_tags_only_with_follow_related(tmp_path: Path) -> None:
    db = tmp_path / "scout.duckdb"
    off = load_campaign(_campaign_file(tmp_path, follow=False))
    on = load_campaign(_campaign_file(tmp_path, follow=True))
    assert followed_campaign(on, db) is on  # no database yet: nothing accepted
    with Store(db) as store:
        assert accept(store, off, ["#AirQuality", "CleanAir", "luft"]) == ["airquality", "luft"]
        assert accept(store, off, ["airquality"]) == []  # accepted once
        assert store.accepted_hashtags(off.name) == ["airquality", "luft"]
        assert followed_campaign(off, store) is off
        followed = followed_campaign(on, store)
    assert followed.campaign.hashtags == ["cleanair", "cleanaireci", "airquality", "luft"]
    assert followed.matcher.matches_text("Ozone levels up again #AirQuality")
    assert not on.matcher.matches_text("Ozone levels up again #AirQuality")
    assert followed_campaign(on, db).campaign.hashtags == followed.campaign.hashtags
    assert on.campaign.hashtags == ["cleanair", "cleanaireci"]  # the file's stays as it was


@pytest.mark.parametrize("follow", [False, True])
def test_a_crawl_follows_accepted_tags_only_when_asked(tmp_path: Path, follow: bool) -> None:
    from crawler.app.crawl import run_crawl

    campaign = load_campaign(_campaign_file(tmp_path, follow=follow))
    db = tmp_path / "scout.duckdb"
    with Store(db) as store:
        store.upsert_accounts([mastodon_account("anna", "eu.social")])
        related_only = _post("anna", 40, "de", ["airquality"])
        store.upsert_posts([related_only])
        accept(store, campaign, ["airquality"])
    run_crawl(campaign, db, session_dir=tmp_path / "sessions", show_progress=False)
    with Store(db, read_only=True) as store:
        matched = store.con.execute(
            "SELECT post_id FROM campaign_posts WHERE campaign = ?", [campaign.name]
        ).fetchall()
    assert [r[0] for r in matched] == ([related_only.post_id] if follow else [])


def test_cli_lists_accepts_and_refuses(world: tuple[Path, Path, Campaign]) -> None:
    path, db, campaign = world
    code, out, err = run_in_process("hashtags", str(path), "--db", str(db))
    assert code == 0, err
    lines = out.splitlines()
    row = next(line for line in lines if "│ #airquality" in line)
    assert "3" in row and "2.40" in row and "de, pl" in row and "yes" not in row
    assert "12 campaign posts, 6 other posts" in out and "(few other posts: rough)" in out
    assert out.index("#airquality") < out.index("#smog") < out.index("#klimaschutz")

    code, out, err = run_in_process(
        "hashtags", str(path), "--db", str(db), "--accept", "#AirQuality", "--accept", "luft"
    )
    assert code == 0, err
    assert "accepted: #airquality, #luft" in out
    assert "yes" in next(line for line in out.splitlines() if "│ #airquality" in line)
    assert "set [campaign] follow_related = true" in out  # the file does not follow them
    with Store(db, read_only=True) as store:
        assert store.accepted_hashtags(campaign.name) == ["airquality", "luft"]

    # a bad tag: one line, exit 2, and nothing written (not even the good one beside it)
    line = assert_one_line(
        *run_in_process(
            "hashtags", str(path), "--db", str(db), "--accept", "smog", "--accept", "clean air"
        )
    )
    assert line == "scout: error: --accept: not a hashtag: 'clean air'"
    line = assert_one_line(
        *run_in_process("hashtags", str(path), "--db", str(db), "--lang", "deutsch")
    )
    assert "--lang" in line
    with Store(db, read_only=True) as store:
        assert store.accepted_hashtags(campaign.name) == ["airquality", "luft"]

    code, out, err = run_in_process("hashtags", str(path), "--db", str(db), "--drop", "luft")
    assert code == 0 and "dropped: #luft" in out, err
    code, out, _ = run_in_process("hashtags", str(path), "--db", str(db), "--lang", "pl", "-n", "1")
    assert "#smog" in out and "#klimaschutz" not in out


def test_cli_network_strings_are_plain_text(tmp_path: Path) -> None:
    path = _campaign_file(tmp_path)
    campaign = load_campaign(path)
    db = tmp_path / "scout.duckdb"
    hostile = "[bold]x\x1b[31m"  # markup and an escape sequence inside a tag from a server
    with Store(db) as store:
        store.upsert_accounts([mastodon_account(u, h) for u, h, _ in ACCOUNTS[:3]])
        store.upsert_posts(
            [
                mastodon_post(u, n, _host(u), hashtags=["cleanair", hostile], text="#cleanair")
                for u, n in (("anna", 1), ("ben", 2), ("clara", 3))
            ]
        )
        store.tag_campaign_posts(campaign.name, campaign.matcher)
    code, out, err = run_in_process("hashtags", str(path), "--db", str(db))
    assert code == 0, err
    assert "\x1b" not in out and "#[bold]x" in out


def test_cli_without_database_is_one_line(tmp_path: Path) -> None:
    path = _campaign_file(tmp_path)
    line = assert_one_line(
        *run_in_process("hashtags", str(path), "--db", str(tmp_path / "none.duckdb"))
    )
    assert "no database yet" in line
