"""Plain-text helpers shared by the Mastodon and Bluesky parsers.

* Mastodon sends ``content``, ``note`` and profile field values as sanitised HTML.
  :func:`html_to_text` turns that into the plain text the database stores (hashtags,
  mentions and link texts kept as words), :func:`extract_links` returns the external
  links, :func:`html_to_text_and_links` does both in one pass.
* Bluesky facets address the post text by UTF-8 *byte* offsets: :func:`utf8_slice`.
* :func:`hashtags_in_text` finds ``#tags`` in any script; :func:`clean_name` tidies
  display names; :func:`parse_timestamp` reads the ISO-8601 variants both platforms use;
  :func:`fold` and :func:`strip_accents` compare words whatever their accents.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any

# U+200B ZERO WIDTH SPACE, U+200C ZWNJ, U+200D ZWJ, U+2060 WORD JOINER, U+FEFF BOM.
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_HORIZONTAL_WS = re.compile(r"[^\S\n]+")  # any whitespace except newline
_MANY_BLANK_LINES = re.compile(r"\n{3,}")

# Elements whose content Mastodon hides: the `invisible` parts of shortened links, and the
# `quote-inline` fallback ("RE: <link>") that quote-aware servers add for old clients.
_HIDDEN_CLASSES = frozenset({"invisible", "quote-inline"})
_VOID_TAGS = frozenset(
    {"br", "img", "hr", "wbr", "input", "meta", "link", "source", "area", "base", "col"}
)
_PARAGRAPH_TAGS = frozenset(
    {"p", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "div"}
)
_LINE_TAGS = frozenset({"li"})


def strip_accents(text: str) -> str:
    """The text without combining marks (``Ένωση`` -> ``Ενωση``, ``élu`` -> ``elu``)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lower case without accents (``Mentions légales`` -> ``mentions legales``)."""
    return strip_accents(text.lower())


def remove_zero_width(s: str) -> str:
    """Drop zero-width characters (U+200B..U+200D, U+2060, U+FEFF)."""
    return s.translate(_ZERO_WIDTH)


def _normalise_lines(s: str) -> str:
    """Collapse horizontal whitespace per line, strip lines, keep at most one blank line."""
    s = remove_zero_width(s).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_HORIZONTAL_WS.sub(" ", line).strip() for line in s.split("\n")]
    out = "\n".join(lines)
    out = _MANY_BLANK_LINES.sub("\n\n", out)
    return out.strip("\n")


def _classes(attrs: list[tuple[str, str | None]]) -> set[str]:
    for name, value in attrs:
        if name == "class" and value:
            return set(value.split())
    return set()


def _attr(attrs: list[tuple[str, str | None]], wanted: str) -> str | None:
    for name, value in attrs:
        if name == wanted:
            return value
    return None


class _MastodonHTML(HTMLParser):
    """Single-pass converter: collects visible text and external links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        # One entry per open non-void element: (tag, hidden).
        self._stack: list[tuple[str, bool]] = []
        self._hidden_depth = 0  # number of open elements that hide their content
        self._started = False  # some text has been emitted

    # -- helpers -----------------------------------------------------------------
    def _hidden(self) -> bool:
        return self._hidden_depth > 0

    def _break(self, text: str) -> None:
        if self._started and not self._hidden():
            self.parts.append(text)

    # -- HTMLParser callbacks ------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._break("\n")
            return
        if tag in _PARAGRAPH_TAGS:
            self._break("\n\n")
        elif tag in _LINE_TAGS:
            self._break("\n")
        if tag in _VOID_TAGS:
            return
        classes = _classes(attrs)
        hides = bool(classes & _HIDDEN_CLASSES)
        if tag == "a" and not self._hidden() and not hides:
            href = _attr(attrs, "href")
            rel = (_attr(attrs, "rel") or "").split()
            is_tag_or_mention = "mention" in classes or "hashtag" in classes or "tag" in rel
            if (
                href
                and not is_tag_or_mention
                and href.lower().startswith(("http://", "https://"))
                and href not in self.links
            ):
                self.links.append(href)
        self._stack.append((tag, hides))
        if hides:
            self._hidden_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <p/> ...: treat as a start tag that closes immediately.
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS:
            return
        # Pop up to and including the matching element; ignore stray end tags.
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                for _, hides in self._stack[i:]:
                    if hides:
                        self._hidden_depth -= 1
                del self._stack[i:]
                break
        if tag in _PARAGRAPH_TAGS:
            self._break("\n\n")

    def handle_data(self, data: str) -> None:
        if self._hidden() or not data:
            return
        self.parts.append(data)
        if not self._started and data.strip():
            self._started = True


def html_to_text_and_links(html: str | None) -> tuple[str, list[str]]:
    """Plain text and external links of Mastodon HTML in one parse."""
    if not html:
        return "", []
    if "<" not in html and "&" not in html:
        return _normalise_lines(html), []
    parser = _MastodonHTML()
    parser.feed(html)
    parser.close()
    return _normalise_lines("".join(parser.parts)), parser.links


def html_to_text(html: str | None) -> str:
    """Mastodon HTML (``content``, ``note``, field values) to plain text.

    ``<br>`` becomes a newline, paragraphs are separated by a blank line, the
    ``invisible`` parts of shortened links are dropped (the ``ellipsis`` part is kept
    as is), hashtag/mention/link texts are kept as words, entities are unescaped,
    zero-width characters removed and whitespace normalised per line.
    """
    return html_to_text_and_links(html)[0]


def extract_links(html: str | None) -> list[str]:
    """``href`` of every ``<a>`` that is not a hashtag or mention link (unique, in order)."""
    return html_to_text_and_links(html)[1]


def clean_name(s: str | None) -> str | None:
    """Display name without zero-width characters and with whitespace collapsed.

    Custom emoji shortcodes (``:blobcat:``) are kept.  ``None`` for a missing or
    blank name.
    """
    if s is None:
        return None
    out = " ".join(remove_zero_width(s).split())
    return out or None


# `#` must not follow a word character, `/`, `#` or `&` (URL fragments, entities, `##`).
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HASHTAG_RE = re.compile(r"(?<![\w/#&])[#＃]((?:\w|[\u0300-\u036f\u00b7])+)")


def hashtags_in_text(text: str | None) -> list[str]:
    """``#tags`` in plain text: any script, digits and ``_``; not inside URLs.

    Lower-cased, without ``#``, unique, in order of appearance.  Like Mastodon, a tag
    needs at least one letter (``#1`` is not a tag).
    """
    if not text or ("#" not in text and "＃" not in text):
        return []
    text = _URL_RE.sub(" ", text)
    seen: dict[str, None] = {}
    for m in _HASHTAG_RE.finditer(text):
        tag = m.group(1).strip("\u00b7").lower()
        if tag and any(c.isalpha() for c in tag):
            seen.setdefault(tag, None)
    return list(seen)


def normalise_tag(tag: str | None) -> str | None:
    """A platform-given tag name as stored: no leading ``#``, lower case, or ``None``."""
    if not tag:
        return None
    out = remove_zero_width(tag).strip().lstrip("#＃").strip().lower()
    return out or None


def utf8_slice(text: str, byte_start: int, byte_end: int) -> str:
    """The part of ``text`` between two UTF-8 byte offsets (Bluesky facet indices).

    Raises ``ValueError`` when the offsets are out of range, reversed, or split a
    multi-byte character.
    """
    return utf8_slice_bytes(text.encode("utf-8"), byte_start, byte_end)


def utf8_slice_bytes(data: bytes, byte_start: int, byte_end: int) -> str:
    """:func:`utf8_slice` on already encoded text (encode once for many facets)."""
    if (
        not isinstance(byte_start, int)
        or not isinstance(byte_end, int)
        or isinstance(byte_start, bool)
        or isinstance(byte_end, bool)
    ):
        raise ValueError(f"byte offsets must be integers: {byte_start!r}, {byte_end!r}")
    if byte_start < 0 or byte_end > len(data) or byte_start >= byte_end:
        raise ValueError(f"byte range {byte_start}..{byte_end} outside 0..{len(data)}")
    try:
        return data[byte_start:byte_end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"byte range {byte_start}..{byte_end} splits a multi-byte character"
        ) from exc


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_timestamp(s: str | datetime | date | None) -> datetime | None:
    """Tolerant ISO-8601 reader; always returns an aware UTC datetime or ``None``.

    Accepts ``Z``/``z`` or numeric offsets, no fraction or any number of fraction
    digits, date-only values (midnight UTC), naive values (taken as UTC).  Anything
    unreadable, empty or out of range gives ``None``.
    """
    if s is None:
        return None
    if isinstance(s, datetime):
        dt = s
    elif isinstance(s, date):
        dt = datetime(s.year, s.month, s.day)
    elif isinstance(s, str):
        v = s.strip()
        if not v:
            return None
        try:
            if _DATE_ONLY.match(v):
                dt = datetime.fromisoformat(v)
            else:
                if v[-1] in "zZ":
                    v = v[:-1] + "+00:00"
                v = _FRACTION.sub(r"\1", v)
                dt = datetime.fromisoformat(v)
        except ValueError:
            return None
    else:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def count(v: Any) -> int | None:
    """A count from API JSON: a non-negative integer, else ``None`` (booleans, junk)."""
    if isinstance(v, bool) or v is None:
        return None
    try:
        n = int(v)
    except (TypeError, ValueError):
        return None
    return n if n >= 0 else None
