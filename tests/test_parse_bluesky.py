"""crawler.bluesky.parse on recorded bsky.social responses and constructed edge cases."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.bluesky.facets import facets_to_parts
from crawler.bluesky.parse import (
    account_id_of,
    did_of_uri,
    parse_post_record,
    parse_post_view,
    parse_profile,
    post_id_of,
)
from crawler.core.errors import ParseError
from crawler.core.text import parse_timestamp
from tests.support.fixtures import FIXTURES_DIR, fixture_params, json_bodies, require, walk_dicts

NOW = datetime(2026, 8, 1, 14, 0, tzinfo=UTC)
BSKY = FIXTURES_DIR / "bluesky/bsky-social-2025"
SDK = FIXTURES_DIR / "bluesky/sdk-2024"
ALICE = "did:plc:alice000000000000000000"


def is_post_view(d: dict[str, Any]) -> bool:
    return "uri" in d and "record" in d and "author" in d


def is_profile(d: dict[str, Any]) -> bool:
    return "did" in d and "handle" in d


def first_body(path: Path) -> Any:
    return next(json_bodies(path))[1]


def facet(kind: str, start: int, end: int, **feature: str) -> dict[str, Any]:
    return {
        "index": {"byteStart": start, "byteEnd": end},
        "features": [{"$type": f"app.bsky.richtext.facet#{kind}", **feature}],
    }


def byte_range(text: str, part: str) -> tuple[int, int]:
    data = text.encode("utf-8")
    start = data.index(part.encode("utf-8"))
    return start, start + len(part.encode("utf-8"))


@pytest.mark.parametrize(
    "path",
    fixture_params("bluesky/bsky-social-2025/*.yml") + fixture_params("bluesky/sdk-2024/*.json"),
)
def test_every_recorded_post_view_and_profile_parses(path: Path) -> None:
    for _uri, data in json_bodies(path):
        for d in walk_dicts(data):
            if is_post_view(d):
                parsed = parse_post_view(d, NOW, "bsky.social")
                post = parsed.posts[-1]
                assert post.post_id == "bluesky:" + d["uri"]
                assert post.account_id == "bluesky:" + d["author"]["did"]
                assert post.text == d["record"].get("text", "")
                assert all(t == t.lower() and not t.startswith("#") for t in post.hashtags)
                assert len(post.mentions) == len(post.mention_ids)
                assert all(m.startswith("bluesky:did:") for m in post.mention_ids if m)
                assert post.url and post.url.startswith("https://bsky.app/profile/")
                assert post.source == "bsky.social" and post.collected_at == NOW
                ids = [a.account_id for a in parsed.accounts]
                assert len(ids) == len(set(ids))
            if is_profile(d):
                acc = parse_profile(d, NOW)
                assert acc.account_id == "bluesky:" + d["did"]
                assert acc.handle == d["handle"].lower()
                assert acc.url == f"https://bsky.app/profile/{d['handle']}"


def test_post_view_from_get_posts() -> None:
    view = first_body(BSKY / "f_getposts.yml")["posts"][0]
    parsed = parse_post_view(view, NOW, "bsky.social")
    (post,) = parsed.posts
    (author,) = parsed.accounts
    assert (
        post.post_id
        == "bluesky:at://did:plc:ic6zqvuw5ulmfpjiwnhsr2ns/app.bsky.feed.post/3k7qmjev5lr2s"
    )
    assert post.url == "https://bsky.app/profile/soubhikbarari.bsky.social/post/3k7qmjev5lr2s"
    assert post.lang == "en"
    assert post.hashtags == ["rstats", "rgov"]  # no tag facets: found in the text
    assert post.links == ["http://localview.net", "https://rstats.ai/gov.html"]
    assert post.like_count == 4 and post.reply_count == 0 and post.repost_count == 0
    assert post.created_at == datetime(2023, 9, 19, 11, 32, 54, 574000, tzinfo=UTC)
    assert post.reply_to is None and post.quote_of is None
    assert author.handle == "soubhikbarari.bsky.social"
    assert author.display_name == "Soubhik Barari"
    assert parsed.interactions == []


def test_quotes_with_mentions_record_and_record_with_media() -> None:
    views = first_body(BSKY / "f_getquotes.yml")["posts"]
    quoted_uri = "at://did:plc:5c2r73erhng4bszmxlfdtscf/app.bsky.feed.post/3lc5c5qv72r2w"

    parsed = parse_post_view(views[0], NOW, "bsky.social")  # app.bsky.embed.record
    quoted, post = parsed.posts  # the embedded viewRecord is parsed as a post too
    assert quoted.post_id == post_id_of(quoted_uri)
    assert quoted.text.startswith("Test quote with :emoji: and 🔥")
    assert quoted.links == ["https://christophertkenny.com/bskyr/"]
    assert quoted.mentions == ["bskyr.bsky.social"]
    assert post.quote_of == post_id_of(quoted_uri)
    assert post.quote_account_id == "bluesky:did:plc:5c2r73erhng4bszmxlfdtscf"
    assert post.hashtags == ["rstats"]
    assert post.mentions == ["bskyr.bsky.social", "chriskenny.bsky.social"]
    assert post.mention_ids == [
        "bluesky:did:plc:5c2r73erhng4bszmxlfdtscf",
        "bluesky:did:plc:wpe35pganb6d4pg4ekmfy6u5",
    ]
    assert post.lang is None  # no langs in the record
    kinds = [
        (i.kind, i.dst_account_id, i.dst_handle)
        for i in parsed.interactions
        if i.post_id == post.post_id
    ]
    assert kinds == [
        ("mention", "bluesky:did:plc:5c2r73erhng4bszmxlfdtscf", "bskyr.bsky.social"),
        ("mention", "bluesky:did:plc:wpe35pganb6d4pg4ekmfy6u5", "chriskenny.bsky.social"),
        ("quote", "bluesky:did:plc:5c2r73erhng4bszmxlfdtscf", None),
    ]
    assert {a.handle for a in parsed.accounts} == {"randvegan.bsky.social", "bskyr.bsky.social"}

    parsed = parse_post_view(views[1], NOW, "bsky.social")  # recordWithMedia + external
    post = parsed.posts[-1]
    assert post.quote_of == post_id_of(quoted_uri)
    assert post.hashtags == ["rstats"]
    assert "https://christophertkenny.com/bskyr/" in post.links  # embed.external.uri
    assert len(post.links) == len(set(post.links))


def test_detached_quote_is_not_a_quote() -> None:
    view = copy.deepcopy(first_body(BSKY / "f_getquotes.yml")["posts"][0])
    quoted_uri = view["embed"]["record"]["uri"]
    view["embed"]["record"] = {
        "$type": "app.bsky.embed.record#viewDetached",
        "uri": quoted_uri,
        "detached": True,
    }
    parsed = parse_post_view(view, NOW, "bsky.social")
    (post,) = parsed.posts
    assert post.quote_of is None
    assert "quote" not in {i.kind for i in parsed.interactions}


def test_reply_from_constructed_view() -> None:
    view = copy.deepcopy(first_body(BSKY / "f_getposts.yml")["posts"][0])
    parent = "at://did:plc:wpe35pganb6d4pg4ekmfy6u5/app.bsky.feed.post/3lc5d6zspys2c"
    view["record"]["reply"] = {
        "root": {"uri": parent, "cid": "x"},
        "parent": {"uri": parent, "cid": "x"},
    }
    parsed = parse_post_view(view, NOW, "bsky.social")
    post = parsed.posts[0]
    assert post.reply_to == "bluesky:" + parent
    assert post.reply_to_account_id == "bluesky:did:plc:wpe35pganb6d4pg4ekmfy6u5"
    (inter,) = parsed.interactions
    assert (inter.kind, inter.dst_account_id) == ("reply", post.reply_to_account_id)

    # Replying to oneself is no interaction.
    own = f"at://{view['author']['did']}/app.bsky.feed.post/3k7aaaaaaaa2s"
    view["record"]["reply"]["parent"]["uri"] = own
    parsed = parse_post_view(view, NOW, "bsky.social")
    assert parsed.posts[0].reply_to == "bluesky:" + own
    assert parsed.interactions == []


def test_non_ascii_facets_sliced_by_bytes() -> None:
    text = "Łódź 🇵🇱 #CzystePowietrze @alice.bsky.social https://eci.eu"
    facets = [
        facet("tag", *byte_range(text, "#CzystePowietrze"), tag="CzystePowietrze"),
        facet("mention", *byte_range(text, "@alice.bsky.social"), did=ALICE),
        facet("link", *byte_range(text, "https://eci.eu"), uri="https://eci.eu/"),
    ]
    assert facets_to_parts(text, facets) == (["czystepowietrze"], [ALICE], ["https://eci.eu/"])
    view = {
        "uri": "at://did:plc:bob/app.bsky.feed.post/3labc",
        "author": {"did": "did:plc:bob", "handle": "bob.bsky.social"},
        "record": {"text": text, "facets": facets, "langs": ["pl-PL"], "tags": ["EU", "#eci"],
                   "createdAt": "2026-07-30T10:00:00Z"},
    }  # fmt: skip
    parsed = parse_post_view(view, NOW, "bsky.social")
    (post,) = parsed.posts
    assert post.mentions == ["alice.bsky.social"]
    assert post.mention_ids == [account_id_of(ALICE)]
    assert post.hashtags == ["czystepowietrze", "eu", "eci"]  # facets, record tags, text
    assert post.lang == "pl"
    assert post.links == ["https://eci.eu/"]
    assert parsed.accounts[0].display_name is None  # displayName missing
    (inter,) = parsed.interactions
    assert (inter.kind, inter.dst_account_id, inter.dst_handle) == (
        "mention",
        account_id_of(ALICE),
        "alice.bsky.social",
    )


@pytest.mark.parametrize(
    "bad_index",
    [
        {"byteStart": 0, "byteEnd": 999},  # out of range
        {"byteStart": 1, "byteEnd": 6},  # starts inside the two-byte "Ł"
        {"byteStart": 8, "byteEnd": 4},  # reversed
        {"byteStart": "0", "byteEnd": 4},  # not integers
        {},
    ],
)
def test_bad_facets_are_skipped(bad_index: dict[str, Any]) -> None:
    text = "Łódź #CleanAir"
    good = facet("tag", *byte_range(text, "#CleanAir"), tag="CleanAir")
    bad = {
        "index": bad_index,
        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://x.eu"}],
    }
    assert facets_to_parts(text, [bad, good, "junk", {"features": None}]) == (["cleanair"], [], [])  # type: ignore[list-item]


def test_profile_detailed_labels_and_bot() -> None:
    view = first_body(BSKY / "a_profile.yml")["profiles"][0]
    acc = parse_profile(view, NOW)
    assert acc.account_id == "bluesky:did:plc:wpe35pganb6d4pg4ekmfy6u5"
    assert acc.handle == "chriskenny.bsky.social"
    assert acc.display_name == "Chris Kenny"
    assert acc.bio is not None and acc.bio.startswith("PhD '25 Government @harvard.edu")
    assert (acc.followers_count, acc.following_count, acc.posts_count) == (554, 296, 65)
    assert acc.created_at == datetime(2023, 9, 19, 15, 47, 1, 417000, tzinfo=UTC)
    assert acc.url == "https://bsky.app/profile/chriskenny.bsky.social"
    assert acc.labels == [] and not acc.is_bot
    assert acc.platform == "bluesky" and acc.seen_at == NOW

    view = copy.deepcopy(view)
    self_label = {"src": view["did"], "uri": f"at://{view['did']}/app.bsky.actor.profile/self",
                  "cts": "2025-01-01T00:00:00Z"}  # fmt: skip
    view["labels"] = [
        {**self_label, "val": "!no-unauthenticated"},
        {**self_label, "val": "bot"},
        {**self_label, "val": "porn", "neg": True},
    ]
    view["displayName"] = ""
    view["associated"]["labeler"] = True
    acc = parse_profile(view, NOW)
    assert acc.labels == ["!no-unauthenticated", "bot"]
    assert acc.is_bot
    assert acc.display_name is None


def test_profile_says_who_may_message_them() -> None:
    """``associated.chat.allowIncoming`` (real recordings): how a stranger reaches them."""
    follows = [
        parse_profile(v, NOW)
        for _u, body in json_bodies(require(SDK / "get_follows.json"))
        for v in (body.get("follows") or [])
    ]
    why = next(a for a in follows if a.handle == "why.bsky.team")
    assert why.chat_allow_incoming == "all"
    assert {a.chat_allow_incoming for a in follows} <= {"all", "following", "none", None}
    view = first_body(BSKY / "a_profile.yml")["profiles"][0]
    view = copy.deepcopy(view)
    view["associated"] = {"chat": {"allowIncoming": "<script>"}}
    assert parse_profile(view, NOW).chat_allow_incoming is None  # only the lexicon's values


def test_profile_without_did_raises() -> None:
    with pytest.raises(ValueError, match="did"):
        parse_profile({"handle": "x.bsky.social"}, NOW)
    with pytest.raises(ValueError):
        parse_post_view({"uri": "at://did:plc:x/app.bsky.feed.post/1", "author": {}}, NOW, "s")


def test_sdk_thread_view_with_media_embed_self_quote() -> None:
    data = first_body(SDK / "thread_view_post_with_embed_media.json")
    parsed = parse_post_view(data["thread"]["post"], NOW, "bsky.social")
    post = parsed.posts[-1]
    assert (
        post.quote_of
        == "bluesky:at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kahesw26il2z"
    )
    assert len(parsed.accounts) == 1  # quoted post by the same author


def test_jetstream_post_record_reply() -> None:
    path = require(FIXTURES_DIR / "bluesky/jetstream/golden_v1.jsonl")
    events = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    posts = [
        e for e in events
        if e.get("kind") == "commit" and e["commit"].get("operation") == "create"
        and e["commit"].get("collection") == "app.bsky.feed.post"
    ]  # fmt: skip
    assert posts
    for e in posts:
        uri = f"at://{e['did']}/app.bsky.feed.post/{e['commit']['rkey']}"
        parsed = parse_post_record(uri, e["commit"]["record"], NOW, "jetstream")
        (post,) = parsed.posts
        assert post.account_id == "bluesky:" + e["did"]
        assert post.url == f"https://bsky.app/profile/{e['did']}/post/{e['commit']['rkey']}"
        assert parsed.accounts == []
        reply = e["commit"]["record"].get("reply")
        if reply:
            assert post.reply_to == "bluesky:" + reply["parent"]["uri"]
            assert post.reply_to_account_id == "bluesky:" + did_of_uri(reply["parent"]["uri"])  # type: ignore[operator]


def test_uri_helpers_and_timestamps() -> None:
    uri = "at://did:plc:abc/app.bsky.feed.post/3k7"
    assert did_of_uri(uri) == "did:plc:abc"
    assert did_of_uri("at://alice.bsky.social/app.bsky.feed.post/3k7") is None
    assert did_of_uri("https://bsky.app") is None
    assert post_id_of(uri) == "bluesky:" + uri
    assert parse_timestamp("2024-11-30T16:20:25.023354Z") == datetime(
        2024, 11, 30, 16, 20, 25, 23354, tzinfo=UTC
    )
    assert parse_timestamp("2023-07-21T01:33:51") == datetime(2023, 7, 21, 1, 33, 51, tzinfo=UTC)
    assert parse_timestamp("2024-02-22T19:58:13.903293+00:00") is not None
    assert parse_timestamp("yesterday") is None
    assert parse_timestamp(None) is None


# --- broken records: the public parsers raise exactly ParseError ---------------------
DELETE = object()


def broken(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``doc`` with the key at the dotted ``path`` set to ``value`` (or
    deleted when ``value`` is DELETE); a numeric part indexes a list."""
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = value
    return doc


def quoting_view() -> dict[str, Any]:
    """A real postView (getQuotes) with mention and tag facets, a quote and its view."""
    view: dict[str, Any] = first_body(BSKY / "f_getquotes.yml")["posts"][0]
    return view


def jetstream_reply() -> tuple[str, dict[str, Any]]:
    """``(uri, record)`` of the recorded Jetstream reply."""
    path = require(FIXTURES_DIR / "bluesky/jetstream/golden_v1.jsonl")
    for line in path.read_text(encoding="utf-8").splitlines():
        e = json.loads(line) if line else {}
        commit = e.get("commit") or {}
        if commit.get("collection") == "app.bsky.feed.post" and "reply" in commit.get("record", {}):
            return f"at://{e['did']}/app.bsky.feed.post/{commit['rkey']}", commit["record"]
    pytest.skip("no Jetstream reply recorded")


def assert_only_parse_error(call: Any) -> None:
    with pytest.raises(ParseError) as info:
        call()
    assert info.type is ParseError


BAD_AT_URI = "at://did:plc:5c2r73erhng4bszmxlfdtscf/app.bsky.feed.post/3lc5 c5qv"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("did", DELETE),
        ("did", 42),
        ("did", "chriskenny.bsky.social"),  # a handle is no DID
        ("did", None),
    ],
)
def test_broken_profile_raises_parse_error(path: str, value: Any) -> None:
    view = first_body(BSKY / "a_profile.yml")["profiles"][0]
    assert_only_parse_error(lambda: parse_profile(broken(view, path, value), NOW))


@pytest.mark.parametrize("view", [None, [], "did:plc:x", 7])
def test_profile_of_wrong_type_raises_parse_error(view: Any) -> None:
    assert_only_parse_error(lambda: parse_profile(view, NOW))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("uri", DELETE),
        ("uri", 12345),
        ("uri", "https://bsky.app/profile/randvegan.bsky.social/post/3lc5cgqmuhc2v"),
        ("uri", "at://did:plc:abc/app.bsky.feed.post/3k 7"),  # a space: no AT URI
        ("uri", "at:// did:plc:5c2r73erhng4bszmxlfdtscf"),
        ("record", DELETE),
        ("record", "This is my first post"),
        ("author", DELETE),
        ("author", "did:plc:5c2r73erhng4bszmxlfdtscf"),
        ("author.did", DELETE),
        ("author.did", ["did:plc:x"]),
        ("record.tags", 5),  # a list of strings in the lexicon
        ("record.embed.record.uri", BAD_AT_URI),  # the quoted post
        ("record.reply", {"parent": {"uri": BAD_AT_URI, "cid": "x"}}),
    ],
)
def test_broken_post_view_raises_parse_error(path: str, value: Any) -> None:
    view = broken(quoting_view(), path, value)
    assert_only_parse_error(lambda: parse_post_view(view, NOW, "bsky.social"))


@pytest.mark.parametrize("view", [None, [], "at://did:plc:x/app.bsky.feed.post/1"])
def test_post_view_of_wrong_type_raises_parse_error(view: Any) -> None:
    assert_only_parse_error(lambda: parse_post_view(view, NOW, "bsky.social"))


@pytest.mark.parametrize(
    ("uri", "path", "value"),
    [
        (None, "text", "ok"),  # no URI at all
        (42, "text", "ok"),
        ("at://randvegan.bsky.social/app.bsky.feed.post/3lc5", "text", "ok"),  # no DID
        ("at://did:plc:abc/app.bsky.feed.post/3k 7", "text", "ok"),
        ("", "tags", 3.5),  # a list of strings in the lexicon
        ("", "reply.parent.uri", BAD_AT_URI),
        ("", "reply.parent.uri", "at://did:plc:x/app.bsky.feed.post/a#b c"),
    ],
)
def test_broken_post_record_raises_parse_error(uri: Any, path: str, value: Any) -> None:
    real_uri, record = jetstream_reply()
    record = broken(record, path, value)
    assert_only_parse_error(
        lambda: parse_post_record(real_uri if uri == "" else uri, record, NOW, "jetstream")
    )


@pytest.mark.parametrize("record", [None, [], "Try RSV for a good time !!"])
def test_post_record_of_wrong_type_raises_parse_error(record: Any) -> None:
    uri, _ = jetstream_reply()
    assert_only_parse_error(lambda: parse_post_record(uri, record, NOW, "jetstream"))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("record.facets", {"index": {"byteStart": 28, "byteEnd": 46}}),  # not a list
        ("record.facets.0", "junk"),
        ("record.facets.0.index", [28, 46]),
        ("record.facets.0.index.byteEnd", 4096),
        ("record.facets.0.index.byteStart", "28"),
        ("record.facets.0.features", 5),
        ("record.facets.0.features", {"$type": "app.bsky.richtext.facet#mention"}),
        ("record.facets.0.features.0.did", "bskyr.bsky.social"),  # a handle, no DID
        ("record.facets.0.features.0.$type", "app.bsky.richtext.facet#unknown"),
    ],
)
def test_bad_facets_are_skipped_in_a_real_post(path: str, value: Any) -> None:
    """A malformed facet never fails the post: it is left out, as if it were absent."""
    view = quoting_view()
    without = copy.deepcopy(view)
    if path == "record.facets":
        without["record"]["facets"] = []
    else:
        del without["record"]["facets"][0]
    parsed = parse_post_view(broken(view, path, value), NOW, "bsky.social")
    assert parsed == parse_post_view(without, NOW, "bsky.social")
    assert "bskyr.bsky.social" not in parsed.posts[-1].mentions  # the first facet's
