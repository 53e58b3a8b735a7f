"""Mastodon REST JSON (decoded dicts) -> items.

All functions are pure; parsers raise only :class:`~crawler.core.errors.ParseError`.  ``instance_host`` is the ``netloc`` of the instance that served
the JSON (``mastodon.social``, ``127.0.0.1:39401``): local accounts' ``acct`` lacks a
host, and server-local ids are only meaningful together with it (refs ``"host#id"``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from requests.utils import parse_header_links
from w3lib.url import url_query_parameter

from crawler.core.errors import ParseError, one_line
from crawler.core.items import AccountItem, InteractionItem, ParsedStatus, PostItem, ProfileField
from crawler.core.text import (
    clean_name,
    hashtags_in_text,
    html_to_text,
    html_to_text_and_links,
    normalise_tag,
    parse_timestamp,
)
from crawler.core.text import (
    count as _int,
)

PLATFORM = "mastodon"
# Quotes of quotes nest; stop following them after this many levels.
MAX_NESTING = 8


def account_id_of(acc: dict[str, Any]) -> str:
    """``"mastodon:" + uri`` (ActivityPub actor), falling back to the profile ``url``."""
    if not isinstance(acc, dict):
        raise ParseError("Mastodon account is not an object")
    ident = acc.get("uri") or acc.get("url")
    if not ident or not isinstance(ident, str):
        raise ParseError(f"Mastodon account without uri or url (id={acc.get('id')!r})")
    return PLATFORM + ":" + ident


def qualified_handle(acct: str, host: str) -> str:
    """``user@host`` for any ``acct``: local accounts get the serving instance's host."""
    acct = acct.strip().lstrip("@")
    if "@" in acct:
        user, _, domain = acct.partition("@")
        return f"{user}@{domain.lower()}"
    return f"{acct}@{host.lower()}"


def _opt_bool(v: Any) -> bool | None:
    return v if isinstance(v, bool) else None


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def parse_account(acc: dict[str, Any], instance_host: str, seen_at: datetime) -> AccountItem:
    """One Mastodon ``Account`` entity; :class:`ParseError` when it cannot be read."""
    try:
        return _account(acc, instance_host, seen_at)
    except ParseError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ParseError(f"unreadable Mastodon account: {one_line(exc)}") from exc


def _account(acc: dict[str, Any], instance_host: str, seen_at: datetime) -> AccountItem:
    if not isinstance(acc, dict):
        raise ParseError("Mastodon account is not an object")
    account_id = account_id_of(acc)
    acct = _str(acc.get("acct")) or _str(acc.get("username"))
    if acct is None:
        raise ParseError(f"Mastodon account without acct ({account_id})")
    handle = qualified_handle(acct, instance_host)
    fields: list[ProfileField] = []
    for f in acc.get("fields") or []:
        if not isinstance(f, dict):
            continue
        value, links = html_to_text_and_links(f.get("value") or "")
        fields.append(
            ProfileField(
                name=clean_name(html_to_text(f.get("name") or "")) or "",
                value=value,
                verified_at=parse_timestamp(f.get("verified_at")),
                url=links[0] if links else None,
            )
        )
    note = acc.get("note")
    local_id = acc.get("id")
    return AccountItem(
        account_id=account_id,
        platform=PLATFORM,
        handle=handle,
        display_name=clean_name(acc.get("display_name")),
        bio=html_to_text(note) if isinstance(note, str) else None,
        url=_str(acc.get("url")),
        followers_count=_int(acc.get("followers_count")),
        following_count=_int(acc.get("following_count")),
        posts_count=_int(acc.get("statuses_count")),
        is_bot=acc.get("bot") is True,
        is_group=acc.get("group") is True,
        created_at=parse_timestamp(acc.get("created_at")),
        fields=fields,
        discoverable=_opt_bool(acc.get("discoverable")),
        indexable=_opt_bool(acc.get("indexable")),
        noindex=_opt_bool(acc.get("noindex")),
        locked=_opt_bool(acc.get("locked")),
        instance=handle.rpartition("@")[2],
        local_refs=[f"{instance_host}#{local_id}"] if local_id not in (None, "") else [],
        seen_at=seen_at,
    )


def parse_account_list(
    page: Any, instance_host: str, seen_at: datetime
) -> tuple[list[AccountItem], int]:
    """One page of an account list (``/accounts/:id/followers``, ``/following``,
    ``reblogged_by``) -> (the accounts read, how many entries could not be read);
    :class:`ParseError` when the page is not a list."""
    if not isinstance(page, list):
        raise ParseError("Mastodon account list is not a list")
    accounts: list[AccountItem] = []
    unreadable = 0
    for acc in page:
        try:
            accounts.append(parse_account(acc, instance_host, seen_at))
        except ParseError:
            unreadable += 1
    return accounts, unreadable


def hides_collections(acc: Any) -> bool:
    """The account hides whom it follows and who follows it (Mastodon 4.x
    ``hide_collections``; ``null`` on servers that do not say)."""
    return isinstance(acc, dict) and acc.get("hide_collections") is True


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class _Collector:
    """Accumulates the items of one top-level status, accounts deduplicated."""

    def __init__(self, host: str, collected_at: datetime) -> None:
        self.host = host
        self.collected_at = collected_at
        self.posts: list[PostItem] = []
        self.accounts: dict[str, AccountItem] = {}
        self.interactions: list[InteractionItem] = []

    def account(self, acc: Any, what: str) -> AccountItem:
        if not isinstance(acc, dict):
            raise ParseError(f"{what} has no account")
        item = _account(acc, self.host, self.collected_at)
        known = self.accounts.get(item.account_id)
        if known is None:
            self.accounts[item.account_id] = item
            return item
        for ref in item.local_refs:
            if ref not in known.local_refs:
                known.local_refs.append(ref)
        return known

    def result(self) -> ParsedStatus:
        return ParsedStatus(
            posts=self.posts,
            accounts=list(self.accounts.values()),
            interactions=self.interactions,
        )

    def ref(self, local_id: Any) -> str | None:
        if local_id is None or local_id == "":
            return None
        return f"{self.host}#{local_id}"

    def status(self, status: Any, depth: int) -> PostItem:
        if not isinstance(status, dict):
            raise ParseError("Mastodon status is not an object")
        uri = _str(status.get("uri"))
        if uri is None:
            raise ParseError(f"Mastodon status without uri (id={status.get('id')!r})")
        post_id = PLATFORM + ":" + uri
        author = self.account(status.get("account"), f"status {uri}")
        created_at = parse_timestamp(status.get("created_at"))
        reblog = status.get("reblog")
        if isinstance(reblog, dict):
            return self._repost(status, post_id, author, created_at, reblog, depth)
        return self._original(status, post_id, author, created_at, depth)

    def _repost(
        self,
        status: dict[str, Any],
        post_id: str,
        author: AccountItem,
        created_at: datetime | None,
        reblog: dict[str, Any],
        depth: int,
    ) -> PostItem:
        original = self.status(reblog, depth + 1)
        post = PostItem(
            post_id=post_id,
            platform=PLATFORM,
            account_id=author.account_id,
            url=_str(status.get("url")) or _str(status.get("uri")),
            created_at=created_at,
            text="",
            lang=_str(status.get("language")),
            hashtags=list(original.hashtags),
            repost_of=original.post_id,
            like_count=_int(status.get("favourites_count")),
            repost_count=_int(status.get("reblogs_count")),
            reply_count=_int(status.get("replies_count")),
            collected_at=self.collected_at,
            source=self.host,
            local_ref=self.ref(status.get("id")),
            sensitive=status.get("sensitive") is True or original.sensitive,
        )
        self.posts.append(post)
        self.interactions.append(
            InteractionItem(
                src_account_id=author.account_id,
                dst_account_id=original.account_id,
                kind="repost",
                post_id=post_id,
                created_at=created_at,
            )
        )
        return post

    def _original(
        self,
        status: dict[str, Any],
        post_id: str,
        author: AccountItem,
        created_at: datetime | None,
        depth: int,
    ) -> PostItem:
        body, links = html_to_text_and_links(status.get("content") or "")
        spoiler = html_to_text(status.get("spoiler_text") or "")
        text = f"{spoiler}\n{body}" if spoiler and body else (spoiler or body)

        hashtags: list[str] = []
        for tag in status.get("tags") or []:
            name = normalise_tag(tag.get("name") if isinstance(tag, dict) else None)
            if name:
                hashtags.append(name)
        hashtags = _unique(hashtags + hashtags_in_text(text))

        card = status.get("card")
        card_url = _str(card.get("url")) if isinstance(card, dict) else None
        if card_url and card_url not in links:
            links = [*links, card_url]

        mentions: list[str] = []
        mentioned_ids: list[Any] = []
        for m in status.get("mentions") or []:
            if not isinstance(m, dict):
                continue
            acct = _str(m.get("acct")) or _str(m.get("username"))
            if acct is None:
                continue
            mentions.append(qualified_handle(acct, self.host))
            mentioned_ids.append(m.get("id"))

        author_local_id = status["account"].get("id")
        reply_to_account_local = status.get("in_reply_to_account_id")
        quote_of, quote_account_id = self._quote(status.get("quote"), depth)

        post = PostItem(
            post_id=post_id,
            platform=PLATFORM,
            account_id=author.account_id,
            url=_str(status.get("url")) or _str(status.get("uri")),
            created_at=created_at,
            text=text,
            lang=_str(status.get("language")),
            hashtags=hashtags,
            mentions=mentions,
            mention_ids=[None] * len(mentions),
            links=links,
            reply_to_ref=self.ref(status.get("in_reply_to_id")),
            reply_to_account_ref=self.ref(reply_to_account_local),
            quote_of=quote_of,
            quote_account_id=quote_account_id,
            like_count=_int(status.get("favourites_count")),
            repost_count=_int(status.get("reblogs_count")),
            reply_count=_int(status.get("replies_count")),
            collected_at=self.collected_at,
            source=self.host,
            local_ref=self.ref(status.get("id")),
            sensitive=status.get("sensitive") is True,
        )
        self.posts.append(post)

        for handle, local_id in zip(mentions, mentioned_ids, strict=True):
            if handle.lower() == author.handle.lower() or (
                local_id is not None and local_id == author_local_id
            ):
                continue
            self.interactions.append(
                InteractionItem(
                    src_account_id=author.account_id,
                    dst_account_id=None,
                    kind="mention",
                    post_id=post_id,
                    created_at=created_at,
                    dst_handle=handle,
                )
            )
        if post.reply_to_account_ref and reply_to_account_local != author_local_id:
            self.interactions.append(
                InteractionItem(
                    src_account_id=author.account_id,
                    dst_account_id=None,
                    kind="reply",
                    post_id=post_id,
                    created_at=created_at,
                    dst_handle="ref:" + post.reply_to_account_ref,
                )
            )
        if quote_of is not None:
            self.interactions.append(
                InteractionItem(
                    src_account_id=author.account_id,
                    dst_account_id=quote_account_id,
                    kind="quote",
                    post_id=post_id,
                    created_at=created_at,
                )
            )
        return post

    def _quote(self, quote: Any, depth: int) -> tuple[str | None, str | None]:
        """(post_id, account_id) of an accepted quote whose status is included."""
        if not isinstance(quote, dict) or depth >= MAX_NESTING:
            return None, None
        if "content" in quote and "account" in quote:
            quoted: Any = quote  # forks that put the quoted Status itself in `quote`
        elif quote.get("state") == "accepted":
            quoted = quote.get("quoted_status")
        else:
            return None, None
        if not isinstance(quoted, dict) or not _str(quoted.get("uri")):
            return None, None
        if not isinstance(quoted.get("account"), dict):
            return None, None
        try:
            item = self.status(quoted, depth + 1)
        except ParseError:
            return None, None  # an unreadable quoted status must not lose the quoting one
        return item.post_id, item.account_id


def parse_status(
    status: dict[str, Any], instance_host: str, collected_at: datetime
) -> ParsedStatus:
    """One Mastodon ``Status`` (as in a tag timeline) -> posts, accounts, interactions.

    Reblogs yield the original's items plus a repost ``PostItem`` (empty text, the
    original's hashtags, ``repost_of``) and a ``repost`` interaction.  Accepted quotes
    yield the quoted status's items plus ``quote_of`` and a ``quote`` interaction.
    Mentions become ``mention`` interactions with ``dst_handle`` = qualified handle;
    replies a ``reply`` interaction with ``dst_handle = "ref:" + reply_to_account_ref``
    (storage resolves both).  Mentions of and replies to oneself give no interaction.
    Raises :class:`ParseError` (naming what is missing when a status lacks ``uri`` or its
    account) and nothing else.
    """
    out = _Collector(instance_host, collected_at)
    try:
        out.status(status, 0)
    except ParseError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ParseError(f"unreadable Mastodon status: {one_line(exc)}") from exc
    return out.result()


def parse_link_header(value: str | bytes | None) -> dict[str, str]:
    """RFC 8288 ``Link`` header -> ``{rel: url}`` (first URL per rel wins)."""
    if not value:
        return {}
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    out: dict[str, str] = {}
    for link in parse_header_links(value):
        for rel in link.get("rel", "").split():
            out.setdefault(rel.lower(), link["url"])
    return out


def _query_param(url: str | None, name: str) -> str | None:
    return url_query_parameter(url, name) or None if url else None


def next_url(value: str | bytes | None) -> str | None:
    """The ``rel="next"`` URL (older page) of a ``Link`` header, or ``None``."""
    return parse_link_header(value).get("next")


def next_max_id(value: str | bytes | None) -> str | None:
    """``max_id`` of the ``rel="next"`` link (older page), or ``None`` on the last page."""
    return _query_param(parse_link_header(value).get("next"), "max_id")


def prev_min_id(value: str | bytes | None) -> str | None:
    """``min_id`` of the ``rel="prev"`` link (newer page), or ``None``."""
    links = parse_link_header(value)
    url = links.get("prev") or links.get("previous")
    return _query_param(url, "min_id") or _query_param(url, "since_id")
