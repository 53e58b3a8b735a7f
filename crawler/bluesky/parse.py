"""Bluesky (AT Protocol) JSON (decoded dicts) -> items.

Views follow the lexicons in ``../shared/fixtures/bluesky/lexicons``:
``app.bsky.feed.defs#postView`` (searchPosts, getPosts, getPostThread, getQuotes) and
``app.bsky.actor.defs#profileView*``.  Facet offsets are UTF-8 byte offsets.
:func:`parse_post_record` handles a bare ``app.bsky.feed.post`` record (Jetstream
commits, ``com.atproto.repo.getRecord``) where no view is available.  The public
parsers raise only :class:`crawler.core.errors.ParseError` on a record they cannot read,
including one whose own, parent or quoted ``at://`` URI is malformed (``atproto``'s
``AtUri`` decides); malformed facets and embeds are skipped instead.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from atproto import AtUri
from atproto.exceptions import InvalidAtUriError

from crawler.bluesky.embeds import (
    embed_external_uri,
    embed_quote_uri,
    quote_detached,
    strong_ref_uri,
)
from crawler.bluesky.facets import FACET_MENTION, FACET_TAG, facet_features, unique
from crawler.core.errors import ParseError, one_line
from crawler.core.items import AccountItem, InteractionItem, ParsedStatus, PostItem
from crawler.core.text import (
    clean_name,
    hashtags_in_text,
    normalise_tag,
    parse_timestamp,
    remove_zero_width,
)
from crawler.core.text import (
    count as _int,
)

PLATFORM = "bluesky"
POST_COLLECTION = "app.bsky.feed.post"
# Post labels (moderation or self-labels) that make a post "sensitive".
SENSITIVE_LABELS = frozenset({"porn", "sexual", "nudity", "graphic-media", "gore"})
_INVALID_HANDLE = "handle.invalid"

logger = logging.getLogger(__name__)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _raises_parse_error(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """A public parser raises only :class:`ParseError`, whatever a bad record breaks."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return func(*args, **kwargs)
        except ParseError:
            raise
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ParseError(f"Bluesky record: {one_line(exc)}") from exc

    return wrapper


def account_id_of(did: str) -> str:
    return PLATFORM + ":" + did


def post_id_of(at_uri: str) -> str:
    return PLATFORM + ":" + at_uri


def _at_uri(at_uri: Any) -> AtUri | None:
    """The parsed ``at://`` URI; None for anything else (not a string, another scheme).

    Raises :class:`ParseError` for an ``at://`` string that is not a valid AT URI.
    """
    if not isinstance(at_uri, str) or not at_uri.startswith("at://"):
        return None
    try:
        return _parsed_at_uri(at_uri)
    except InvalidAtUriError as exc:
        raise ParseError(f"Bluesky: invalid at:// URI {at_uri!r}") from exc


@functools.lru_cache(maxsize=1024)  # a post's own, parent and quoted URIs are read twice
def _parsed_at_uri(at_uri: str) -> AtUri:
    return AtUri.from_str(at_uri)


def did_of_uri(at_uri: str) -> str | None:
    """The DID authority of an ``at://`` URI, or ``None`` (not at://, or a handle).

    These URI helpers raise :class:`ParseError` for a malformed ``at://`` URI.
    """
    uri = _at_uri(at_uri)
    return uri.host if uri is not None and uri.host.startswith("did:") else None


def collection_of_uri(at_uri: str) -> str | None:
    """The collection (NSID) of an ``at://`` URI, or ``None``."""
    uri = _at_uri(at_uri)
    return (uri.collection or None) if uri is not None else None


def rkey_of_uri(at_uri: str) -> str | None:
    """The record key of an ``at://`` URI, or ``None``."""
    uri = _at_uri(at_uri)
    return (uri.rkey or None) if uri is not None else None


def profile_url(handle: str | None, did: str) -> str:
    who = handle if handle and handle != _INVALID_HANDLE else did
    return f"https://bsky.app/profile/{who}"


def post_url(handle: str | None, did: str, at_uri: str) -> str | None:
    rkey = rkey_of_uri(at_uri)
    if rkey is None:
        return None
    return f"{profile_url(handle, did)}/post/{rkey}"


def _label_values(labels: Any) -> list[str]:
    """``val``s of label objects (``com.atproto.label.defs#label``) or of a
    ``selfLabels`` object; negated labels are left out."""
    if isinstance(labels, dict):  # com.atproto.label.defs#selfLabels
        labels = labels.get("values")
    if not isinstance(labels, list):
        return []
    out: list[str] = []
    for label in labels:
        if isinstance(label, dict) and not label.get("neg"):
            val = label.get("val")
            if isinstance(val, str) and val:
                out.append(val)
        elif isinstance(label, str) and label:
            out.append(label)
    return unique(out)


@_raises_parse_error
def parse_profile(view: dict[str, Any], seen_at: datetime) -> AccountItem:
    """``profileViewDetailed`` / ``profileView`` / ``profileViewBasic`` -> AccountItem."""
    if not isinstance(view, dict):
        raise ParseError("Bluesky profile is not an object")
    did = view.get("did")
    if not isinstance(did, str) or not did.startswith("did:"):
        raise ParseError(f"Bluesky profile without did (handle={view.get('handle')!r})")
    handle = view.get("handle")
    if not isinstance(handle, str) or not handle:
        handle = _INVALID_HANDLE
    labels = _label_values(view.get("labels"))
    description = view.get("description")
    bio = remove_zero_width(description).strip() if isinstance(description, str) else None
    return AccountItem(
        account_id=account_id_of(did),
        platform=PLATFORM,
        handle=handle.lower(),
        display_name=clean_name(view.get("displayName")),
        bio=bio,
        url=profile_url(handle, did),
        followers_count=_int(view.get("followersCount")),
        following_count=_int(view.get("followsCount")),
        posts_count=_int(view.get("postsCount")),
        is_bot="bot" in labels,
        created_at=parse_timestamp(view.get("createdAt")),
        labels=labels,
        chat_allow_incoming=_chat_allow(view.get("associated")),
        seen_at=seen_at,
    )


def _chat_allow(associated: Any) -> str | None:
    """``associated.chat.allowIncoming`` (all | following | none), when published."""
    chat = associated.get("chat") if isinstance(associated, dict) else None
    value = chat.get("allowIncoming") if isinstance(chat, dict) else None
    return value if value in ("all", "following", "none") else None


def _embedded_view_record(embed: Any) -> dict[str, Any] | None:
    """The quoted post's ``viewRecord`` inside an embed view, when it is a post."""
    if not isinstance(embed, dict):
        return None
    kind = str(embed.get("$type") or "")
    rec: Any = None
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        inner = embed.get("record")
        rec = inner.get("record") if isinstance(inner, dict) else None
    elif kind.startswith("app.bsky.embed.record"):
        rec = embed.get("record")
    if not isinstance(rec, dict):
        return None
    value = rec.get("value")
    if (
        isinstance(value, dict)
        and value.get("$type", POST_COLLECTION) == POST_COLLECTION
        and isinstance(rec.get("author"), dict)
        and collection_of_uri(str(rec.get("uri") or "")) == POST_COLLECTION
    ):
        return rec
    return None


def _primary_lang(langs: Any) -> str | None:
    if isinstance(langs, list):
        for lang in langs:
            if isinstance(lang, str) and lang.strip():
                return lang.strip().split("-")[0].split("_")[0].lower()
    return None


class _Builder:
    def __init__(self, collected_at: datetime, source: str) -> None:
        self.collected_at = collected_at
        self.source = source
        self.posts: list[PostItem] = []
        self.accounts: dict[str, AccountItem] = {}
        self.interactions: list[InteractionItem] = []

    def result(self) -> ParsedStatus:
        return ParsedStatus(
            posts=self.posts, accounts=list(self.accounts.values()), interactions=self.interactions
        )

    def account(self, view: Any) -> AccountItem:
        item = parse_profile(view, self.collected_at)
        return self.accounts.setdefault(item.account_id, item)

    def view(self, view: dict[str, Any], record_key: str = "record") -> PostItem:
        if not isinstance(view, dict):
            raise ParseError("Bluesky post view is not an object")
        uri = view.get("uri")
        if not isinstance(uri, str) or _at_uri(uri) is None:
            raise ParseError("Bluesky post view without an at:// uri")
        record = view.get(record_key)
        if not isinstance(record, dict):
            raise ParseError(f"Bluesky post view without {record_key} ({uri})")
        author = self.account(view.get("author"))
        embed_view = view.get("embed")
        if record_key == "value":  # viewRecord: embeds is a list of views
            embeds = view.get("embeds")
            embed_view = embeds[0] if isinstance(embeds, list) and embeds else None
        # The quoted post's view, when the service included it: parse it too.
        quoted_view = _embedded_view_record(embed_view)
        if quoted_view is not None:
            try:
                self.view(quoted_view, "value")
            except ValueError as exc:  # the quoting post stands on its own
                logger.warning("skipped the malformed post quoted by %s: %s", uri, exc)
        labels = _label_values(view.get("labels"))
        return self.record(
            uri,
            record,
            author_did=author.account_id.removeprefix(PLATFORM + ":"),
            handle=author.handle,
            embed_view=embed_view,
            like_count=_int(view.get("likeCount")),
            repost_count=_int(view.get("repostCount")),
            reply_count=_int(view.get("replyCount")),
            labels=labels,
            indexed_at=view.get("indexedAt"),
        )

    def record(
        self,
        uri: str,
        record: dict[str, Any],
        *,
        author_did: str,
        handle: str | None,
        embed_view: Any = None,
        like_count: int | None = None,
        repost_count: int | None = None,
        reply_count: int | None = None,
        labels: list[str] | None = None,
        indexed_at: Any = None,
    ) -> PostItem:
        text = record.get("text")
        text = text if isinstance(text, str) else ""
        features = facet_features(text, record.get("facets"))
        tags: list[str] = []
        links: list[str] = []
        mentions: list[str] = []
        mention_dids: list[str] = []
        for kind, value, piece in features:
            if kind == FACET_TAG:
                tag = normalise_tag(value)
                if tag:
                    tags.append(tag)
            elif kind == FACET_MENTION:
                if value not in mention_dids:
                    mention_dids.append(value)
                    mentions.append(piece.strip().lstrip("@").lower())
            else:
                links.append(value)
        for t in record.get("tags") or []:
            tag = normalise_tag(t) if isinstance(t, str) else None
            if tag:
                tags.append(tag)
        tags.extend(hashtags_in_text(text))

        embed = record.get("embed")
        for ext in (embed_external_uri(embed), embed_external_uri(embed_view)):
            if ext:
                links.append(ext)

        quote_uri = embed_quote_uri(embed) or embed_quote_uri(embed_view)
        if quote_uri is not None and collection_of_uri(quote_uri) != POST_COLLECTION:
            quote_uri = None  # embedded feed generator, list, starter pack...
        if quote_detached(embed_view):
            quote_uri = None  # the quoted author detached this quote: honour it
        quote_did = did_of_uri(quote_uri) if quote_uri else None

        reply = record.get("reply")
        parent_uri = strong_ref_uri(reply.get("parent")) if isinstance(reply, dict) else None
        parent_did = did_of_uri(parent_uri) if parent_uri else None

        all_labels = [*(labels or []), *_label_values(record.get("labels"))]
        post_id = post_id_of(uri)
        author_id = account_id_of(author_did)
        created_at = parse_timestamp(record.get("createdAt")) or parse_timestamp(indexed_at)
        post = PostItem(
            post_id=post_id,
            platform=PLATFORM,
            account_id=author_id,
            url=post_url(handle, author_did, uri),
            created_at=created_at,
            text=remove_zero_width(text),
            lang=_primary_lang(record.get("langs")),
            hashtags=unique(tags),
            mentions=mentions,
            mention_ids=[account_id_of(d) for d in mention_dids],
            links=unique(links),
            reply_to=post_id_of(parent_uri) if parent_uri else None,
            reply_to_account_id=account_id_of(parent_did) if parent_did else None,
            quote_of=post_id_of(quote_uri) if quote_uri else None,
            quote_account_id=account_id_of(quote_did) if quote_did else None,
            like_count=like_count,
            repost_count=repost_count,
            reply_count=reply_count,
            collected_at=self.collected_at,
            source=self.source,
            sensitive=any(label in SENSITIVE_LABELS for label in all_labels),
        )
        self.posts.append(post)

        for did, handle_text in zip(mention_dids, mentions, strict=True):
            if did == author_did:
                continue
            self.interactions.append(
                InteractionItem(
                    src_account_id=author_id,
                    dst_account_id=account_id_of(did),
                    kind="mention",
                    post_id=post_id,
                    created_at=created_at,
                    dst_handle=handle_text or None,
                )
            )
        if post.reply_to_account_id and parent_did != author_did:
            self.interactions.append(
                InteractionItem(
                    src_account_id=author_id,
                    dst_account_id=post.reply_to_account_id,
                    kind="reply",
                    post_id=post_id,
                    created_at=created_at,
                )
            )
        if post.quote_of is not None:
            self.interactions.append(
                InteractionItem(
                    src_account_id=author_id,
                    dst_account_id=post.quote_account_id,
                    kind="quote",
                    post_id=post_id,
                    created_at=created_at,
                )
            )
        return post


@_raises_parse_error
def parse_post_view(view: dict[str, Any], collected_at: datetime, source: str) -> ParsedStatus:
    """``app.bsky.feed.defs#postView`` -> the post, its author, interactions.

    Hashtags = tag facets + record-level ``tags`` + ``#tags`` in the text (lower case,
    unique); ``mentions`` = the mentioned handles as written (byte slice without ``@``)
    with ``mention_ids`` = ``bluesky:`` + DID; links = link facets + external embed;
    replies and quotes (``app.bsky.embed.record`` / ``recordWithMedia`` of a post) become
    ``reply_to``/``quote_of`` and interactions; a quoted post included in the embed view
    is parsed as a post of its own.  Mentions of and replies to oneself give no
    interaction.  Raises :class:`ParseError` when ``uri``, ``record`` or the author's DID is
    missing.
    """
    b = _Builder(collected_at, source)
    b.view(view)
    return b.result()


@_raises_parse_error
def parse_post_record(
    uri: str,
    record: dict[str, Any],
    collected_at: datetime,
    source: str,
    handle: str | None = None,
) -> ParsedStatus:
    """A bare ``app.bsky.feed.post`` record (Jetstream commit, ``getRecord``) -> items.

    No view means no counts and no author profile: ``accounts`` is empty (the caller
    fetches profiles in batches); the URL uses ``handle`` when known, else the DID.
    """
    did = did_of_uri(uri)
    if did is None:
        raise ParseError(f"Bluesky post uri without a DID: {uri!r}")
    if not isinstance(record, dict):
        raise ParseError(f"Bluesky post record is not an object ({uri})")
    b = _Builder(collected_at, source)
    b.record(uri, record, author_did=did, handle=handle)
    return b.result()
