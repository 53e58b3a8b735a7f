"""The parts of the Jetstream consumer that read records: the campaign test on raw
``app.bsky.feed.post`` records, the items of a repost, and the ``time_us`` helpers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from atproto import AtUri

from crawler.bluesky.facets import FACET_TAG
from crawler.bluesky.parse import account_id_of, post_id_of
from crawler.core.items import InteractionItem, PostItem
from crawler.core.matching import CampaignMatcher
from crawler.core.text import parse_timestamp

STATS = "scout/jetstream/"  # the prefix of the consumer's counters


class Matcher:
    """The campaign's :class:`CampaignMatcher`, applied to raw Jetstream records (their
    text, ``tags`` and tag facets) and to parsed posts."""

    def __init__(self, campaign: CampaignMatcher) -> None:
        self.campaign = campaign
        self.tags = campaign.tags

    @staticmethod
    def _record_tags(record: dict[str, Any]) -> Iterator[str]:
        tags = record.get("tags")
        for t in tags if isinstance(tags, list) else ():
            if isinstance(t, str):
                yield t
        facets = record.get("facets")
        for facet in facets if isinstance(facets, list) else ():
            features = facet.get("features") if isinstance(facet, dict) else None
            for f in features if isinstance(features, list) else ():
                if isinstance(f, dict) and f.get("$type") == FACET_TAG:
                    tag = f.get("tag")
                    if isinstance(tag, str):
                        yield tag

    def candidate(self, record: dict[str, Any]) -> bool:
        """The test on a raw ``app.bsky.feed.post`` record: False means no match."""
        text = record.get("text")
        return self.campaign.matches(
            text if isinstance(text, str) else None, self._record_tags(record)
        )

    def matches(self, post: PostItem) -> bool:
        return self.campaign.matches(post.text, post.hashtags)


def repost_items(
    did: str, uri: str, record: dict[str, Any], subject_uri: str, hashtags: list[str], source: str
) -> list[Any]:
    """A repost (``uri``, by ``did``) of a stored campaign post: a repost post (empty
    text, the original's ``hashtags``, ``repost_of``) and a ``repost`` interaction, as on
    Mastodon."""
    post_id, author = post_id_of(uri), account_id_of(did)
    created = parse_timestamp(record.get("createdAt"))
    post = PostItem(
        post_id=post_id,
        platform="bluesky",
        account_id=author,
        url=None,
        created_at=created,
        text="",
        hashtags=list(hashtags),
        repost_of=post_id_of(subject_uri),
        collected_at=datetime.now(UTC),
        source=source,
    )
    inter = InteractionItem(
        src_account_id=author,
        dst_account_id=account_id_of(AtUri.from_str(subject_uri).host),
        kind="repost",
        post_id=post_id,
        created_at=created,
    )
    return [post, inter]


def time_us_of(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if value > 0 else None


def iso_us(time_us: int) -> str:
    return datetime.fromtimestamp(time_us / 1e6, UTC).isoformat()
