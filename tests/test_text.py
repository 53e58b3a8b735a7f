"""crawler.core.text: Mastodon HTML to text, links, hashtags, names, UTF-8 slices, timestamps."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawler.core.text import (
    clean_name,
    extract_links,
    hashtags_in_text,
    html_to_text,
    html_to_text_and_links,
    parse_timestamp,
    utf8_slice,
)
from tests.support.fixtures import fixture_params, json_bodies, walk_dicts

TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>")

# Real content from mastodon.social (test_entity_previewcard / test_entity_status).
CARD_HTML = (
    '<p><a href="https://soundcloud.com/wakarangirl/popstars-dj-wakaran-girl-khard-bass-flex-1"'
    ' target="_blank" rel="nofollow noopener" translate="no"><span class="invisible">https://'
    '</span><span class="ellipsis">soundcloud.com/wakarangirl/pop</span><span class="invisible">'
    "stars-dj-wakaran-girl-khard-bass-flex-1</span></a> link to soundcloud that should generate"
    " a card</p>"
)
MENTION_TAG_HTML = (
    '<p><span class="h-card"><a href="https://icosahedron.website/@halcy" class="u-url mention"'
    ' rel="nofollow noopener" target="_blank">@<span>halcy</span></a></span> you&#39;re a'
    ' doo-doo head</p><p>edit: <a href="https://icosahedron.website/tags/ThisIsAHashtag"'
    ' class="mention hashtag" rel="tag">#<span>ThisIsAHashtag</span></a> and'
    ' <a href="https://example.org/page" rel="nofollow">example.org/page</a></p>'
)


def test_invisible_spans_dropped_ellipsis_kept() -> None:
    text = html_to_text(CARD_HTML)
    assert text == "soundcloud.com/wakarangirl/pop link to soundcloud that should generate a card"
    assert "https://" not in text
    assert "stars-dj" not in text


def test_mentions_hashtags_links_kept_as_words_and_entities_unescaped() -> None:
    text = html_to_text(MENTION_TAG_HTML)
    assert text == ("@halcy you're a doo-doo head\n\nedit: #ThisIsAHashtag and example.org/page")
    assert "<" not in text


def test_extract_links_skips_mentions_and_hashtags() -> None:
    assert extract_links(MENTION_TAG_HTML) == ["https://example.org/page"]
    assert extract_links(CARD_HTML) == [
        "https://soundcloud.com/wakarangirl/popstars-dj-wakaran-girl-khard-bass-flex-1"
    ]
    # rel=tag without a class is a hashtag link too; duplicates collapse; mailto is no URL.
    html = (
        '<p><a href="https://x.social/tags/eci" rel="tag">#eci</a>'
        ' <a href="https://a.eu/">a</a> <a href="https://a.eu/">again</a>'
        ' <a href="mailto:x@y.eu">mail</a></p>'
    )
    assert extract_links(html) == ["https://a.eu/"]


def test_br_and_paragraphs() -> None:
    html = "<p>Line one<br>line   two<br/>three</p><p>Second\tparagraph </p><p></p><p>Third</p>"
    assert html_to_text(html) == "Line one\nline two\nthree\n\nSecond paragraph\n\nThird"


def test_quote_inline_fallback_dropped() -> None:
    html = (
        '<p>my comment <span class="quote-inline"><br><br>RE: <a href="https://bsky.app/x">'
        "https://bsky.app/x</a></span></p>"
    )
    assert html_to_text(html) == "my comment"
    assert extract_links(html) == []


def test_zero_width_removed_and_nested_spans() -> None:
    html = "<p>Clean\u200b air\u2060 for\ufeff <span><span>all</span></span>\u200d!</p>"
    assert html_to_text(html) == "Clean air for all!"


def test_plain_text_fast_path_and_empty() -> None:
    assert html_to_text("") == ""
    assert html_to_text(None) == ""
    assert html_to_text("  just   text \u200b ") == "just text"
    assert html_to_text_and_links("a &amp; b") == ("a & b", [])


def test_html_to_text_is_fast() -> None:
    html = MENTION_TAG_HTML + CARD_HTML
    start = time.perf_counter()
    for _ in range(2000):
        html_to_text(html)
    elapsed = time.perf_counter() - start
    assert elapsed < 3.0, f"2000 conversions took {elapsed:.2f}s"


@pytest.mark.parametrize("path", fixture_params("mastodon/*/*.yaml"))
def test_every_recorded_html_converts_without_tags(path: Path) -> None:
    seen = 0
    for _uri, body in json_bodies(path):
        for d in walk_dicts(body):
            for key in ("content", "note"):
                html = d.get(key)
                if isinstance(html, str) and html:
                    text = html_to_text(html)
                    if "&lt;" not in html:  # escaped "<" in the text is legitimate
                        assert not TAG_RE.search(text), text
                    assert "\u200b" not in text
                    seen += 1
    if path.name in {"test_hashtag_tl.yaml", "test_entity_status.yaml"}:
        assert seen > 0


def test_clean_name() -> None:
    assert clean_name("  halcy \u200b:icosahedron:\u200d  ") == "halcy :icosahedron:"
    assert clean_name("A\n\tB") == "A B"
    assert clean_name("\u200b") is None
    assert clean_name("") is None
    assert clean_name(None) is None


def test_hashtags_in_text_unicode_and_urls() -> None:
    text = (
        "Łódź 🇵🇱 #CzystePowietrze #czystepowietrze #ΚαθαρόςΑέρας #ЧистВъздух #eci_2026 "
        "#1 #Ελλάδα. see https://example.org/page#section and https://x.eu/#frag x#no "
        "(#Luft) &#39;"
    )
    assert hashtags_in_text(text) == [
        "czystepowietrze",
        "καθαρόςαέρας",
        "чиствъздух",
        "eci_2026",
        "ελλάδα",
        "luft",
    ]
    assert hashtags_in_text("") == []
    assert hashtags_in_text("no tags here") == []


def test_utf8_slice_multibyte() -> None:
    text = "Łódź 🇵🇱 #CzystePowietrze @alice.bsky.social"
    data = text.encode("utf-8")
    start = data.index(b"#")
    end = start + len(b"#CzystePowietrze")
    assert utf8_slice(text, start, end) == "#CzystePowietrze"
    # Indexing the str with byte offsets would be wrong for this text.
    assert text[start:end] != "#CzystePowietrze"
    m = data.index(b"@")
    assert utf8_slice(text, m, len(data)) == "@alice.bsky.social"


@pytest.mark.parametrize(("start", "end"), [(-1, 3), (0, 999), (5, 5), (6, 3), (1, 2)])
def test_utf8_slice_rejects_bad_ranges(start: int, end: int) -> None:
    # (1, 2) splits the two-byte "Ł".
    with pytest.raises(ValueError):
        utf8_slice("Łódź", start, end)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-08-01T13:55:55.867Z", datetime(2026, 8, 1, 13, 55, 55, 867000, tzinfo=UTC)),
        ("2024-11-30T16:20:25.023354Z", datetime(2024, 11, 30, 16, 20, 25, 23354, tzinfo=UTC)),
        ("2024-11-30T16:20:25.023354789Z", datetime(2024, 11, 30, 16, 20, 25, 23354, tzinfo=UTC)),
        ("2023-07-21T01:33:51.481951", datetime(2023, 7, 21, 1, 33, 51, 481951, tzinfo=UTC)),
        ("2024-02-22T19:58:13.903293+00:00", datetime(2024, 2, 22, 19, 58, 13, 903293, tzinfo=UTC)),
        ("2024-02-22T21:58:13+02:00", datetime(2024, 2, 22, 19, 58, 13, tzinfo=UTC)),
        ("2026-08-01", datetime(2026, 8, 1, tzinfo=UTC)),
        ("not a date", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_timestamp(value: str | None, expected: datetime | None) -> None:
    got = parse_timestamp(value)
    assert got == expected
    if got is not None:
        assert got.utcoffset() == timedelta(0)


def test_parse_timestamp_converts_aware_datetimes() -> None:
    cet = timezone(timedelta(hours=1))
    got = parse_timestamp(datetime(2026, 1, 1, 12, tzinfo=cet))
    assert got == datetime(2026, 1, 1, 11, tzinfo=UTC)
    assert got is not None and got.tzinfo == UTC
