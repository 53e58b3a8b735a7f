"""Items every collector yields and every pipeline consumes.

The fields mirror the public DuckDB contract (``../shared/DESIGN.md``); a few extra
fields carry what the consent filter and the classifier need (``discoverable``,
``labels``, ``fields``...) or what storage needs to resolve server-local references
(``*_ref``).  Scrapy accepts dataclass items through itemadapter, so the same classes
flow through spiders and through the API collectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ProfileField:
    """One Mastodon profile field (``name``/``value`` as plain text; ``url`` the link
    it holds, whole: the text of a long link is cut with an ellipsis by Mastodon)."""

    name: str
    value: str
    verified_at: datetime | None = None
    url: str | None = None


@dataclass
class AccountItem:
    account_id: str  # "mastodon:" + ActivityPub URI, or "bluesky:" + DID
    platform: str  # "mastodon" | "bluesky"
    handle: str  # "user@host" (always qualified) or the Bluesky handle
    display_name: str | None = None  # plain text, custom emoji shortcodes kept
    bio: str | None = None  # plain text
    url: str | None = None  # public profile page
    followers_count: int | None = None
    following_count: int | None = None
    posts_count: int | None = None
    is_bot: bool = False
    is_group: bool = False
    created_at: datetime | None = None
    fields: list[ProfileField] = field(default_factory=list)
    # Consent signals as published by the platform (None = not published).
    discoverable: bool | None = None
    indexable: bool | None = None
    noindex: bool | None = None
    labels: list[str] = field(
        default_factory=list
    )  # Bluesky self-labels, e.g. "!no-unauthenticated"
    instance: str | None = None  # Mastodon: host of the account's home server
    # how a stranger reaches them: Mastodon ``locked`` (follows need approval), Bluesky
    # ``associated.chat.allowIncoming`` (all | following | none); None = not published
    locked: bool | None = None
    chat_allow_incoming: str | None = None
    local_refs: list[str] = field(default_factory=list)  # Mastodon: "host#local_id" aliases
    seen_at: datetime | None = None


@dataclass
class PostItem:
    post_id: str  # "mastodon:" + status URI, or "bluesky:" + at:// URI
    platform: str
    account_id: str
    url: str | None = None
    created_at: datetime | None = None
    text: str = ""  # plain text, hashtags and link text kept as words
    lang: str | None = None  # ISO 639-1 when the platform says
    hashtags: list[str] = field(default_factory=list)  # lower case, no "#", unique, in order
    mentions: list[str] = field(default_factory=list)  # account handles ("user@host" / bsky handle)
    mention_ids: list[str | None] = field(
        default_factory=list
    )  # account_ids when known (Bluesky DIDs)
    links: list[str] = field(default_factory=list)  # external URLs (not hashtag/mention links)
    reply_to: str | None = None  # post_id of the parent when known
    reply_to_account_id: str | None = None
    reply_to_ref: str | None = None  # Mastodon: "host#in_reply_to_id" (server-local id)
    reply_to_account_ref: str | None = None  # Mastodon: "host#in_reply_to_account_id"
    repost_of: str | None = None  # post_id of the original (this item is the repost)
    quote_of: str | None = None  # post_id of the quoted post
    quote_account_id: str | None = None
    like_count: int | None = None
    repost_count: int | None = None
    reply_count: int | None = None
    collected_at: datetime | None = None
    source: str | None = None  # where it was read: instance host or Bluesky service host
    local_ref: str | None = None  # Mastodon: "host#local_id" of this status on `source`
    sensitive: bool = False


@dataclass
class InteractionItem:
    src_account_id: str
    dst_account_id: str | None  # None when only the handle is known yet
    kind: str  # mention | reply | repost | quote
    post_id: str
    created_at: datetime | None = None
    dst_handle: str | None = None


@dataclass
class ParsedStatus:
    """What one Mastodon status or Bluesky post view turns into."""

    posts: list[PostItem] = field(default_factory=list)
    accounts: list[AccountItem] = field(default_factory=list)
    interactions: list[InteractionItem] = field(default_factory=list)

    def all_items(self) -> list[Any]:
        return [*self.accounts, *self.posts, *self.interactions]


@dataclass
class CursorItem:
    """Emitted by a collector after everything before it: storage flushes, then saves
    the cursor, so a killed run never skips data it did not store."""

    source: str  # e.g. "mastodon:host:port" or "bluesky:host"
    key: str  # e.g. "tag:cleanaireci"
    value: str


@dataclass
class FollowItem:
    """One follow edge: ``src_account_id`` follows ``dst_account_id``. Collectors yield it
    after the AccountItems of both ends, so the consent step has judged them."""

    src_account_id: str
    dst_account_id: str
    platform: str
    seen_at: datetime | None = None


@dataclass
class ListMemberItem:
    """An account listed in a seed list that is not a follow edge (a Bluesky starter
    pack's members); ``list_id`` is the list's id as in :class:`SeedListItem`."""

    list_id: str
    account_id: str
    platform: str
    seen_at: datetime | None = None


@dataclass
class SeedListItem:
    """The end of one walk of a seed's list, yielded after every item of the walk.

    ``list_id`` is ``<seed account_id>#followers`` / ``#following`` or a starter pack's
    at:// URI; ``kind`` is ``followers``, ``following`` or ``starter_pack``. ``status``:
    ``complete`` (the whole list was read: edges of this list not seen since
    ``started_at`` are marked gone), ``truncated`` (``followers_max`` reached),
    ``hidden`` (the account hides its lists), ``refused`` (the server refused or gave an
    empty list where the count says otherwise), ``failed`` (gave up after retries),
    ``not_found`` (the seed does not exist or is opted out)."""

    list_id: str
    campaign: str
    seed: str  # as written in the campaign file
    account_id: str | None  # the seed account (a starter pack: its creator)
    kind: str
    platform: str
    status: str
    started_at: datetime
    items: int = 0
    reason: str | None = None
