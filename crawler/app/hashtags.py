"""Related hashtags (``scout hashtags``) and the campaign a crawl follows with them.

A related hashtag is a tag that co-occurs with the campaign in its posts
(``campaign_posts``). For each tag, over all languages and within each language
(``posts.lang``):

- ``posts``: campaign posts carrying it; ``accounts``: distinct accounts among them;
- ``share`` = P(tag | campaign posts) = posts / campaign posts;
- ``lift`` = share / P(tag | background), the background being the stored posts that
  did not match the campaign. The background rate is an m-estimate: the tag's rate over
  all posts of the slice, ``p_all``, weighs as :data:`BACKGROUND_PRIOR_POSTS` (m = 10)
  posts: ``(background_posts + m * p_all) / (background_total + m)``. So a tag never seen
  in the background gets a finite lift that grows with the evidence (the background's
  size), a tag as common inside as outside gets 1, and with no background at all every
  lift is 1 (no claim). Below :data:`FEW_BACKGROUND` background posts the CLI says the
  lift is rough.

Reposts are left out (they copy the original's tags), the campaign's own tags are left
out, and a tag needs :data:`MIN_POSTS` campaign posts from :data:`MIN_ACCOUNTS`
accounts (within its slice), so one account repeating a tag cannot push it.

An organizer accepts a tag (``--accept``, validated like the campaign file's hashtags);
when the campaign file says ``[campaign] follow_related = true``, :func:`followed_campaign`
adds the accepted tags to the campaign every crawl and live run follows (and matches
posts against).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from crawler.core.config import Campaign, Hashtag
from crawler.core.errors import UserError
from crawler.core.related import followed
from crawler.db.store import Store

MIN_POSTS = 3  # campaign posts carrying a tag, within its slice
MIN_ACCOUNTS = 2  # distinct accounts among them
BACKGROUND_PRIOR_POSTS = 10.0  # m of the background m-estimate (see above)
FEW_BACKGROUND = 100  # below this many background posts, lift is a rough guide

_HASHTAG: TypeAdapter[str] = TypeAdapter(Hashtag)
_LANG_RE = re.compile(r"^[a-z]{2,3}$")


class HashtagError(UserError):
    """A tag that cannot be accepted (one line for the user)."""


@dataclass(frozen=True)
class RelatedTag:
    tag: str
    posts: int
    accounts: int
    background_posts: int
    share: float
    lift: float
    languages: list[str]  # languages of its campaign posts, most posts first
    accepted: bool


@dataclass
class RelatedHashtags:
    """One slice (all languages when ``lang`` is None): its totals and its tags by lift."""

    campaign: str
    lang: str | None
    campaign_posts: int = 0
    background_posts: int = 0
    tags: list[RelatedTag] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)  # every accepted tag of the campaign

    @property
    def rough(self) -> bool:
        """Too few posts outside the campaign for the lift to mean much."""
        return self.background_posts < FEW_BACKGROUND


def check_tags(tags: Sequence[str], option: str = "--accept") -> list[str]:
    """The tags as the campaign file would store them (no ``#``, lower case), or a
    :class:`HashtagError` naming the option and the first bad tag."""
    out: list[str] = []
    for raw in tags:
        try:
            out.append(_HASHTAG.validate_python(raw))
        except ValidationError as exc:
            msg = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            raise HashtagError(f"{option}: {msg}") from None
    return list(dict.fromkeys(out))


def check_lang(lang: str | None) -> str | None:
    """``--lang``: a language code as posts carry it (ISO 639-1, or 639-3 where a
    platform says so), lower case; anything else is a :class:`HashtagError`."""
    if lang is None:
        return None
    code = lang.strip().lower()
    if not _LANG_RE.match(code):
        raise HashtagError(f"--lang: not a language code (ISO 639-1, e.g. de): {lang[:40]!r}")
    return code


def related_hashtags(
    store: Store,
    campaign: Campaign,
    *,
    lang: str | None = None,
    limit: int | None = None,
    min_posts: int = MIN_POSTS,
    min_accounts: int = MIN_ACCOUNTS,
) -> RelatedHashtags:
    """The campaign's related hashtags over all languages, or within ``lang`` (ISO 639-1),
    best lift first; ``limit`` keeps the first ones."""
    df = store.related_hashtags(
        campaign.name,
        campaign.campaign.hashtags,
        min_posts=min_posts,
        min_accounts=min_accounts,
        prior=BACKGROUND_PRIOR_POSTS,
    )
    want = None if lang is None else lang.strip().lower()
    result = RelatedHashtags(
        campaign=campaign.name, lang=want, accepted=store.accepted_hashtags(campaign.name)
    )
    for row in df.to_dict("records"):
        if bool(row["overall"]) != (want is None) or (want is not None and row["lang"] != want):
            continue
        result.campaign_posts = int(row["campaign_total"])
        result.background_posts = int(row["background_total"])
        if _missing(row["tag"]):
            continue
        result.tags.append(
            RelatedTag(
                tag=str(row["tag"]),
                posts=int(row["posts"]),
                accounts=int(row["accounts"]),
                background_posts=int(row["background_posts"]),
                share=float(row["share"]),
                lift=float(row["lift"]),
                languages=[str(x) for x in _list(row["languages"])],
                accepted=bool(row["accepted"]),
            )
        )
    if limit is not None:
        result.tags = result.tags[:limit]
    return result


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _list(value: Any) -> list[Any]:
    return [] if value is None or isinstance(value, float) else list(value)


def accept(store: Store, campaign: Campaign, tags: Sequence[str]) -> list[str]:
    """Validate and record ``tags`` as accepted; returns the newly accepted ones. The
    campaign's own hashtags are skipped (it follows them already)."""
    own = set(campaign.campaign.hashtags)
    return store.accept_hashtags(campaign.name, [t for t in check_tags(tags) if t not in own])


def drop(store: Store, campaign: Campaign, tags: Sequence[str]) -> list[str]:
    """Forget accepted ``tags``; returns the ones that were accepted."""
    return store.drop_hashtags(campaign.name, check_tags(tags, "--drop"))


def followed_campaign(campaign: Campaign, db: Store | Path) -> Campaign:
    """The campaign a crawl or live run follows: with ``follow_related = true``, its
    hashtags plus the accepted related ones (the file's first, then by acceptance);
    otherwise ``campaign`` itself. ``db`` is an open store or a database path (a path
    that does not exist yet has nothing accepted)."""
    if not campaign.campaign.follow_related:
        return campaign
    if isinstance(db, Store):
        return followed(campaign, db)
    if not Path(db).exists():
        return campaign
    with Store(db) as store:
        return followed(campaign, store)
