"""``scrapy crawl mastodon_tags -a campaign=FILE`` follows the accepted related hashtags
as ``scout crawl`` does (``[campaign] follow_related = true``): the spider is built the
way Scrapy builds it, on a store holding accepted tags, and the timeline requests its
``start()`` yields are read (nothing is sent)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from scrapy.utils.test import get_crawler

from crawler.core.config import MAX_TERMS, load_campaign
from crawler.core.protocols import STORE_ATTR
from crawler.core.related import with_accepted_hashtags
from crawler.db.store import Store
from spiders.mastodon_tags import MastodonTagSpider

CAMPAIGN = """\
[campaign]
name = "Clean Air for Europe"
hashtags = ["CleanAir", "CleanAirECI"]
follow_related = {follow}

[mastodon]
instances = ["https://eu.social", "https://mastodon.pl"]
discover = false
"""
TAG_PATH = "/api/v1/timelines/tag/"


def _campaign_file(tmp_path: Path, follow: bool) -> Path:
    path = tmp_path / "clean-air.toml"
    path.write_text(CAMPAIGN.format(follow="true" if follow else "false"), encoding="utf-8")
    return path


def _timelines(campaign: Any, store: Store) -> set[tuple[str, str]]:
    """(host, tag) of every tag timeline the spider starts with."""
    crawler = get_crawler(MastodonTagSpider)
    setattr(crawler, STORE_ATTR, store)
    spider = MastodonTagSpider.from_crawler(crawler, campaign=campaign)

    async def requests() -> list[Any]:
        return [r async for r in spider.start()]

    out = set()
    for request in asyncio.run(requests()):
        parts = urlsplit(request.url)
        if parts.path.startswith(TAG_PATH):
            out.add((parts.netloc, unquote(parts.path.removeprefix(TAG_PATH))))
    return out


def _expected(tags: list[str]) -> set[tuple[str, str]]:
    return {(host, tag) for host in ("eu.social", "mastodon.pl") for tag in tags}


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with Store(tmp_path / "scout.duckdb") as store:
        store.accept_hashtags("Clean Air for Europe", ["airquality", "smog"])
        store.accept_hashtags("Another campaign", ["fussball"])
        yield store


def test_a_campaign_file_follows_the_accepted_tags(tmp_path: Path, store: Store) -> None:
    path = _campaign_file(tmp_path, follow=True)
    got = _timelines(str(path), store)
    assert got == _expected(["cleanair", "cleanaireci", "airquality", "smog"])


def test_without_follow_related_only_the_files_tags(tmp_path: Path, store: Store) -> None:
    path = _campaign_file(tmp_path, follow=False)
    assert _timelines(str(path), store) == _expected(["cleanair", "cleanaireci"])


def test_a_handed_campaign_is_crawled_as_handed(tmp_path: Path, store: Store) -> None:
    """The app hands the campaign it already followed (``followed_campaign``): the spider
    adds nothing to it, so a tag the app left out stays out."""
    campaign = load_campaign(_campaign_file(tmp_path, follow=True))
    assert _timelines(campaign, store) == _expected(["cleanair", "cleanaireci"])
    handed = with_accepted_hashtags(campaign, ["smog"])
    assert _timelines(handed, store) == _expected(["cleanair", "cleanaireci", "smog"])


def test_accepted_tags_join_within_the_limit_and_once(tmp_path: Path) -> None:
    campaign = load_campaign(_campaign_file(tmp_path, follow=True))
    got = with_accepted_hashtags(campaign, ["smog", "cleanair", "smog", "airquality"])
    assert got.campaign.hashtags == ["cleanair", "cleanaireci", "smog", "airquality"]
    assert got.matcher.matches_text("Ozone again #AirQuality")
    assert campaign.campaign.hashtags == ["cleanair", "cleanaireci"]  # a copy
    many = [f"tag{i}" for i in range(MAX_TERMS)]
    assert len(with_accepted_hashtags(campaign, many).campaign.hashtags) == MAX_TERMS
    off = load_campaign(_campaign_file(tmp_path, follow=False))
    assert with_accepted_hashtags(off, ["smog"]) is off
