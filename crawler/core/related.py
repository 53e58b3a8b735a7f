"""The campaign a run follows when the campaign file says ``[campaign] follow_related =
true``: its hashtags plus the related ones an organizer accepted (``scout hashtags
--accept``), the file's first, then in the order they were accepted, within
:data:`~crawler.core.config.MAX_TERMS`. Without ``follow_related`` the campaign is
returned as it is. ``crawler.app.hashtags.followed_campaign`` uses this rule for
``scout crawl`` and ``scout live``; a lower layer (the spider run by a plain ``scrapy
crawl``) reads the accepted tags through :class:`AcceptedHashtags`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from crawler.core.config import MAX_TERMS, Campaign


@runtime_checkable
class AcceptedHashtags(Protocol):
    """Where the accepted related hashtags are read (the run's store)."""

    def accepted_hashtags(self, campaign: str) -> list[str]: ...


def with_accepted_hashtags(campaign: Campaign, accepted: Sequence[str]) -> Campaign:
    """``campaign`` following ``accepted`` too (a copy), if it asks to; else itself."""
    if not campaign.campaign.follow_related:
        return campaign
    own = campaign.campaign.hashtags
    extra = [t for t in dict.fromkeys(accepted) if t not in own]
    extra = extra[: max(0, MAX_TERMS - len(own))]
    if not extra:
        return campaign
    section = campaign.campaign.model_copy(update={"hashtags": [*own, *extra]})
    return campaign.model_copy(update={"campaign": section})


def followed(campaign: Campaign, store: AcceptedHashtags) -> Campaign:
    """The campaign a run follows, the accepted tags read from ``store`` (only when the
    campaign asks to follow them: no read otherwise)."""
    if not campaign.campaign.follow_related:
        return campaign
    return with_accepted_hashtags(campaign, store.accepted_hashtags(campaign.name))
