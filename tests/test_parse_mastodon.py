"""crawler.mastodon.parse on recorded Mastodon responses (Mastodon 4.6 dev server and
mastodon.social)."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.core.errors import ParseError
from crawler.core.items import AccountItem, ParsedStatus
from crawler.core.net import host_key
from crawler.mastodon.parse import (
    account_id_of,
    next_max_id,
    parse_account,
    parse_link_header,
    parse_status,
    prev_min_id,
    qualified_handle,
)
from tests.support.fixtures import (
    FIXTURES_DIR,
    RecordedResponse,
    fixture_params,
    load_cassette,
    walk_dicts,
)

NOW = datetime(2026, 8, 1, 14, 0, tzinfo=UTC)
DEV = FIXTURES_DIR / "mastodon/dev-server-4.6.4"
SOCIAL = FIXTURES_DIR / "mastodon/mastodon-social-2026"
TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>")


def is_status(d: dict[str, Any]) -> bool:
    return "uri" in d and "content" in d and "account" in d


def is_account(d: dict[str, Any]) -> bool:
    return "acct" in d and "username" in d


def host(rec: RecordedResponse) -> str:
    return host_key(rec.uri)


def responses(path: Path) -> list[tuple[str, Any]]:
    out = []
    for rec in load_cassette(path):
        try:
            out.append((host(rec), rec.json()))
        except ValueError:
            continue
    return out


def body(path: Path, url_part: str, index: int = 0) -> tuple[str, Any]:
    matches = [(host(r), r.json()) for r in load_cassette(path) if url_part in r.uri]
    assert matches, f"no response for {url_part} in {path.name}"
    return matches[index]


def check_invariants(parsed: ParsedStatus, instance: str) -> None:
    account_ids = [a.account_id for a in parsed.accounts]
    assert len(account_ids) == len(set(account_ids)), "accounts deduplicated"
    known = set(account_ids)
    for post in parsed.posts:
        assert post.post_id.startswith("mastodon:")
        assert post.platform == "mastodon"
        assert post.account_id in known
        assert post.source == instance
        assert post.local_ref and post.local_ref.startswith(instance + "#")
        assert not TAG_RE.search(post.text), post.text
        for tag in post.hashtags:
            assert tag == tag.lower() and not tag.startswith("#") and tag
        assert len(post.hashtags) == len(set(post.hashtags))
        assert all("@" in m for m in post.mentions)
        assert len(post.mention_ids) == len(post.mentions)
        assert all(link.startswith(("http://", "https://")) for link in post.links)
        assert post.collected_at == NOW
    for acc in parsed.accounts:
        assert "@" in acc.handle and acc.instance == acc.handle.rsplit("@", 1)[1]
        assert acc.seen_at == NOW
    for inter in parsed.interactions:
        assert inter.kind in {"mention", "reply", "repost", "quote"}
        assert inter.src_account_id in known
        assert inter.dst_account_id is not None or inter.dst_handle


@pytest.mark.parametrize("path", fixture_params("mastodon/*/*.yaml"))
def test_every_recorded_status_and_account_parses(path: Path) -> None:
    statuses = accounts = 0
    for instance, data in responses(path):
        for d in walk_dicts(data):
            if is_status(d):
                parsed = parse_status(d, instance, NOW)
                check_invariants(parsed, instance)
                assert parsed.posts and parsed.accounts
                statuses += 1
            if is_account(d):
                acc = parse_account(d, instance, NOW)
                assert acc.account_id.startswith("mastodon:http")
                assert acc.handle.count("@") == 1
                assert acc.display_name is None or "\u200b" not in acc.display_name
                assert acc.bio is None or not TAG_RE.search(acc.bio)
                accounts += 1
    if path.name in {"test_hashtag_tl.yaml", "test_entity_status.yaml", "test_entity_quote.yaml"}:
        assert statuses > 0 and accounts > 0


def test_hashtag_timeline_status() -> None:
    instance, page = body(DEV / "test_hashtag_tl.yaml", "/timelines/tag/hoot")
    assert instance == "localhost:3000"
    parsed = parse_status(page[0], instance, NOW)
    (post,) = parsed.posts
    (author,) = parsed.accounts
    assert post.text == "#hoot (hashtag toot)"
    assert post.hashtags == ["hoot"]
    assert post.lang == "ja"
    assert post.links == []
    assert post.post_id == (
        "mastodon:http://localhost:3000/ap/users/117020566092212359/statuses/117020593741189701"
    )
    assert post.url == "http://localhost:3000/@mastodonpy_test_2/117020593741189701"
    assert post.local_ref == "localhost:3000#117020593741189701"
    assert post.created_at == datetime(2026, 8, 1, 13, 55, 55, 867000, tzinfo=UTC)
    assert (post.like_count, post.repost_count, post.reply_count) == (0, 0, 0)
    assert author.handle == "mastodonpy_test_2@localhost:3000"
    assert author.account_id == "mastodon:http://localhost:3000/ap/users/117020566092212359"
    assert author.display_name is None  # "" on the server
    assert author.local_refs == ["localhost:3000#117020566092212359"]
    assert parsed.interactions == []


def test_status_with_spoiler_mention_and_mixed_case_tag() -> None:
    instance, status = body(SOCIAL / "test_entity_status.yaml", "/statuses/110446223051565765")
    parsed = parse_status(status, instance, NOW)
    (post,) = parsed.posts
    assert post.text.startswith("test post for mastodon.py stuff\n@halcy you're a doo-doo head")
    assert "#ThisIsAHashtag" in post.text  # the HTML keeps the case
    assert post.hashtags == ["thisisahashtag"]  # stored lower case
    assert post.mentions == ["halcy@icosahedron.website"]
    # The author mentions themself: no interaction.
    assert parsed.accounts[0].handle == "halcy@icosahedron.website"
    assert parsed.interactions == []


def test_mention_interaction_uses_qualified_handle() -> None:
    instance, page = body(DEV / "test_public_tl.yaml", "/timelines/public")
    status = next(s for s in page if s.get("mentions"))
    parsed = parse_status(status, instance, NOW)
    (inter,) = parsed.interactions
    assert inter.kind == "mention"
    assert inter.dst_account_id is None
    assert inter.dst_handle == "mastodonpy_test@localhost:3000"
    assert inter.src_account_id == parsed.posts[0].account_id
    assert parsed.posts[0].text == "@mastodonpy_test beep beep I'm a jeep"


def test_reply_interaction_and_no_self_reply() -> None:
    instance, status = body(SOCIAL / "test_entity_mediaattachment.yaml", "/statuses/")
    parsed = parse_status(status, instance, NOW)
    post = parsed.posts[0]
    assert post.reply_to_ref == "mastodon.social#110447003454258227"
    assert post.reply_to_account_ref == "mastodon.social#43"
    assert post.reply_to is None  # storage resolves the ref
    kinds = {(i.kind, i.dst_handle) for i in parsed.interactions}
    assert ("reply", "ref:mastodon.social#43") in kinds
    assert ("mention", "halcy@mastodon.social") in kinds  # local acct "halcy" qualified

    # The same thread's earlier status replies to its own author: no reply interaction.
    self_reply = next(
        d
        for _, data in responses(SOCIAL / "test_entity_mediaattachment.yaml")
        for d in walk_dicts(data)
        if is_status(d) and d.get("in_reply_to_account_id") == d["account"]["id"]
    )
    parsed = parse_status(self_reply, "mastodon.social", NOW)
    assert parsed.posts[0].reply_to_account_ref == "mastodon.social#43"
    assert [i for i in parsed.interactions if i.kind == "reply"] == []


def test_reblog_yields_original_repost_and_interaction() -> None:
    instance, wrapper = body(DEV / "test_id_hook_within_reblog.yaml", "/reblog")
    wrapper = copy.deepcopy(wrapper)
    # Give the original a tag so we can see it copied onto the repost.
    wrapper["reblog"]["tags"] = [{"name": "CleanAir", "url": "http://localhost:3000/tags/cleanair"}]
    parsed = parse_status(wrapper, instance, NOW)
    check_invariants(parsed, instance)
    original, repost = parsed.posts
    assert original.text == "Toot!"
    assert original.post_id == "mastodon:" + wrapper["reblog"]["uri"]
    assert original.hashtags == ["cleanair"]
    assert repost.post_id == "mastodon:" + wrapper["uri"]
    assert repost.text == ""
    assert repost.repost_of == original.post_id
    assert repost.hashtags == ["cleanair"]
    assert repost.local_ref == f"localhost:3000#{wrapper['id']}"
    (inter,) = parsed.interactions
    assert (inter.kind, inter.post_id) == ("repost", repost.post_id)
    assert inter.src_account_id == repost.account_id
    assert inter.dst_account_id == original.account_id
    assert len(parsed.accounts) == 1  # the test account reblogged itself


def test_reblog_by_another_account() -> None:
    _, wrapper = body(DEV / "test_id_hook_within_reblog.yaml", "/reblog")
    _, other = body(DEV / "test_hashtag_tl.yaml", "/timelines/tag/hoot")
    wrapper = copy.deepcopy(wrapper)
    wrapper["account"] = other[0]["account"]
    parsed = parse_status(wrapper, "localhost:3000", NOW)
    assert len(parsed.accounts) == 2
    (inter,) = parsed.interactions
    assert inter.src_account_id != inter.dst_account_id


def test_quote_parses_quoted_status_too() -> None:
    instance, status = body(SOCIAL / "test_entity_quote.yaml", "/statuses/")
    parsed = parse_status(status, instance, NOW)
    check_invariants(parsed, instance)
    quoted, quoting = parsed.posts
    assert quoting.post_id == "mastodon:" + status["uri"]
    assert quoted.post_id == "mastodon:" + status["quote"]["quoted_status"]["uri"]
    assert quoting.quote_of == quoted.post_id
    assert quoting.quote_account_id == quoted.account_id
    # The quoted status quotes another one, but only by id: no quote_of for it.
    assert quoted.quote_of is None
    # The "RE: <link>" fallback for old clients is not part of the text.
    assert "RE:" not in quoting.text
    assert (
        quoting.text
        == "actual reply that quotes a post that quotes a post bsky.app/profile/h4lc..."
    )
    assert quoting.links == ["https://bsky.app/profile/h4lcy.bsky.social/post/3lwlumdwf522i"]
    kinds = sorted(i.kind for i in parsed.interactions)
    assert kinds == ["quote", "reply", "reply"]
    (author,) = parsed.accounts
    assert author.handle == "h4lcy.bsky.social@bsky.brid.gy"
    assert author.instance == "bsky.brid.gy"


@pytest.mark.parametrize("state", ["pending", "revoked", "deleted", "unauthorized"])
def test_quote_not_accepted_is_ignored(state: str) -> None:
    instance, status = body(SOCIAL / "test_entity_quote.yaml", "/statuses/")
    status = copy.deepcopy(status)
    status["quote"] = {"state": state, "quoted_status": None}
    parsed = parse_status(status, instance, NOW)
    assert len(parsed.posts) == 1
    assert parsed.posts[0].quote_of is None
    assert "quote" not in {i.kind for i in parsed.interactions}


def test_card_url_added_to_links_once() -> None:
    instance, status = body(SOCIAL / "test_entity_previewcard.yaml", "/statuses/")
    (post,) = parse_status(status, instance, NOW).posts
    card = "https://soundcloud.com/wakarangirl/popstars-dj-wakaran-girl-khard-bass-flex-1"
    assert post.links == [card]
    assert post.text.startswith("soundcloud.com/wakarangirl/pop link to soundcloud")
    status = copy.deepcopy(status)
    status["card"]["url"] = "https://example.eu/other"
    (post,) = parse_status(status, instance, NOW).posts
    assert post.links == [card, "https://example.eu/other"]


def test_status_without_uri_raises_naming_it() -> None:
    _, page = body(DEV / "test_hashtag_tl.yaml", "/timelines/tag/hoot")
    status = copy.deepcopy(page[0])
    del status["uri"]
    with pytest.raises(ParseError, match="uri"):
        parse_status(status, "localhost:3000", NOW)
    status = copy.deepcopy(page[0])
    status["account"] = None
    with pytest.raises(ParseError, match="account"):
        parse_status(status, "localhost:3000", NOW)


def test_minimal_status_with_nulls_and_hashtags_only_in_text() -> None:
    status: dict[str, Any] = {
        "id": "7",
        "uri": "https://eu.social/users/ana/statuses/7",
        "content": "<p>Saubere Luft! #SaubereLuft #CleanAir&nbsp;<a href=\"https://eci.eu/\">eci.eu</a></p>",
        "language": None,
        "tags": [{"name": "CleanAir"}],
        "mentions": None,
        "emojis": None,
        "poll": {"options": [{"title": "ja"}]},
        "account": {"id": "1", "uri": "https://eu.social/users/ana", "acct": "ana",
                    "display_name": None, "note": None, "fields": None},
    }  # fmt: skip
    parsed = parse_status(status, "eu.social", NOW)
    (post,) = parsed.posts
    assert post.hashtags == ["cleanair", "saubereluft"]
    assert post.links == ["https://eci.eu/"]
    assert post.lang is None and post.url == status["uri"]
    (acc,) = parsed.accounts
    assert acc.handle == "ana@eu.social" and acc.bio is None and acc.fields == []
    assert acc.followers_count is None and acc.discoverable is None


def test_parse_account_fields_emoji_and_consent_flags() -> None:
    instance, acc = body(SOCIAL / "test_entity_account.yaml", "/accounts/23972")
    item = parse_account(acc, instance, NOW)
    assert item.account_id == "mastodon:https://icosahedron.website/users/halcy"
    assert item.handle == "halcy@icosahedron.website"
    assert item.instance == "icosahedron.website"
    assert item.display_name == "halcy :icosahedron:"  # zero-width space removed, emoji kept
    assert [(f.name, f.value) for f in item.fields] == [
        ("Web", "halcy.de/"),
        ("Demogroup", "demoscene.vc/"),
        ("Pronouns", "He/Him"),
        ("Priv", "@halcy2"),
    ]
    assert item.fields[0].verified_at == datetime(2026, 4, 11, 12, 8, 0, 687000, tzinfo=UTC)
    assert item.fields[1].verified_at is None
    # the link itself, whole (Mastodon cuts the text of a long one with an ellipsis)
    assert [f.url for f in item.fields] == [
        "https://halcy.de/",
        "https://demoscene.vc/",
        None,
        None,
    ]
    assert item.discoverable is True and item.indexable is True
    assert item.locked is False  # follows need no approval
    assert item.noindex is None  # not published for remote accounts
    assert item.created_at == datetime(2017, 2, 3, tzinfo=UTC)
    assert item.local_refs == ["mastodon.social#23972"]
    assert item.bio is not None and item.bio.startswith("i am exactly like all the other guys.")
    assert (item.followers_count, item.posts_count) == (3553, 75076)

    _, own = body(SOCIAL / "test_entity_account.yaml", "/verify_credentials")
    own_item = parse_account(own, "mastodon.social", NOW)
    assert own_item.handle == "halcy@mastodon.social"
    assert (own_item.discoverable, own_item.indexable, own_item.noindex) == (False, False, True)


def test_parse_account_null_discoverable_date_only_and_flags() -> None:
    instance, acc = body(DEV / "test_account.yaml", "/accounts/117020457910412882")
    acc = copy.deepcopy(acc)
    acc.update(discoverable=None, created_at="2026-08-01", bot=True, group=True)
    acc["moved"] = copy.deepcopy(acc)
    item: AccountItem = parse_account(acc, instance, NOW)
    assert item.discoverable is None
    assert item.created_at == datetime(2026, 8, 1, tzinfo=UTC)
    assert item.is_bot and item.is_group


def test_identity_helpers() -> None:
    assert qualified_handle("alice", "mastodon.social") == "alice@mastodon.social"
    assert qualified_handle("alice@Example.ORG", "mastodon.social") == "alice@example.org"
    assert qualified_handle("@bob", "127.0.0.1:39401") == "bob@127.0.0.1:39401"
    assert host_key("http://127.0.0.1:39401") == "127.0.0.1:39401"
    assert host_key("https://Mastodon.Social/") == "mastodon.social"
    assert account_id_of({"uri": "https://a.eu/users/x", "url": "https://a.eu/@x"}) == (
        "mastodon:https://a.eu/users/x"
    )
    assert account_id_of({"url": "https://a.eu/@x"}) == "mastodon:https://a.eu/@x"
    with pytest.raises(ParseError):
        account_id_of({"id": "1"})


def test_link_header_paging_hashtag_tl() -> None:
    rec = next(r for r in load_cassette(DEV / "test_hashtag_tl.yaml") if "/timelines/tag/" in r.uri)
    link = rec.header("link")
    assert parse_link_header(link) == {
        "next": "http://localhost:3000/api/v1/timelines/tag/hoot?max_id=117020593741189701",
        "prev": "http://localhost:3000/api/v1/timelines/tag/hoot?min_id=117020593741189701",
    }
    assert next_max_id(link) == "117020593741189701"
    assert prev_min_id(link) == "117020593741189701"


def test_link_header_paging_reaches_the_end() -> None:
    pages = [r for r in load_cassette(DEV / "test_fetch_remaining.yaml") if "/timelines/" in r.uri]
    assert len(pages) == 4
    for page, following in zip(pages, pages[1:], strict=False):
        max_id = next_max_id(page.header("link"))
        assert max_id is not None
        assert following.uri.endswith(f"max_id={max_id}")
        # Every status on the next page is older than the cursor.
        assert all(int(s["id"]) < int(max_id) for s in following.json())
        # The prev cursor is the newest id of this page.
        assert prev_min_id(page.header("link")) == page.json()[0]["id"]
    last = pages[-1]
    assert last.json() == [] and last.header("link") is None
    assert next_max_id(last.header("link")) is None and parse_link_header(None) == {}


def test_link_header_tolerates_bytes_commas_and_extra_params() -> None:
    value = b'<https://a.eu/x?q=a,b&max_id=5>; rel="next"; title="x, y", <https://a.eu/x?min_id=9>; rel=prev'
    assert parse_link_header(value) == {
        "next": "https://a.eu/x?q=a,b&max_id=5",
        "prev": "https://a.eu/x?min_id=9",
    }
    assert next_max_id(value) == "5" and prev_min_id(value) == "9"
