"""Instance discovery helpers and the ``instances`` table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.core.net import base_url
from crawler.db.store import Store
from crawler.mastodon.discovery import (
    InstanceRegistry,
    may_crawl,
    nodeinfo_href,
    nodeinfo_software,
    speaks_mastodon_api,
)

NOW = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)


def test_base_url_of_actor_uris() -> None:
    assert base_url("https://Eu.Social/users/alice") == "https://eu.social"
    assert base_url("http://127.0.0.1:3001/users/bob") == "http://127.0.0.1:3001"
    assert base_url("https://user:pw@evil.example/users/x") is None
    assert base_url("ftp://x.example/a") is None
    assert base_url(None) is None


def test_posts_cannot_steer_the_crawler_to_private_addresses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configured = ["http://127.0.0.1:3001"]
    # a test network: its hosts are named in SCOUT_ALLOWED_HOSTS (the address policy)
    monkeypatch.setenv("SCOUT_ALLOWED_HOSTS", "127.0.0.1:3001,127.0.0.1:3002,10.0.0.5:443")
    assert may_crawl("https://mastodon.social", configured)
    assert may_crawl("http://127.0.0.1:3002", configured)  # named: the same test network
    assert may_crawl("https://10.0.0.5", configured)  # named: a self-hosted instance
    assert not may_crawl("http://127.0.0.1:3003", configured)  # same host, not named
    assert not may_crawl("http://mastodon.social", configured)  # public: https only
    assert not may_crawl("https://10.0.0.6", configured)
    assert not may_crawl("https://169.254.169.254", configured)
    assert not may_crawl("https://localhost:8080", [])
    assert not may_crawl("https://printer.local", [])
    assert not may_crawl("https://0x7f000001:3003", configured)  # numeric tricks: not named
    assert may_crawl("http://2130706433:3002", configured)  # the same address as named
    monkeypatch.delenv("SCOUT_ALLOWED_HOSTS")
    assert not may_crawl("http://127.0.0.1:3002", configured)
    assert not may_crawl("http://127.0.0.1:3001", configured)  # not even the configured one


def test_nodeinfo_documents() -> None:
    index = {
        "links": [
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                "href": "https://a.b/ni/2.0",
            },
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                "href": "https://a.b/ni/2.1",
            },
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": "https://x.y/2.1"},
        ]
    }
    assert nodeinfo_href(index, "https://a.b") == "https://a.b/ni/2.1"
    assert nodeinfo_href({"links": "nope"}, "https://a.b") is None
    assert nodeinfo_software({"software": {"name": "Mastodon", "version": "4.5.1"}}) == (
        "mastodon",
        "4.5.1",
    )
    assert nodeinfo_software({"software": "x"}) == (None, None)
    assert speaks_mastodon_api("gotosocial") and speaks_mastodon_api("akkoma")
    assert not speaks_mastodon_api("misskey") and not speaks_mastodon_api("peertube")


def test_registry_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        reg = InstanceRegistry(store)
        rec = reg.add("https://eu.social", "config", NOW)
        rec.software, rec.version, rec.speaks_mastodon_api = "mastodon", "4.5.1", True
        rec.restricted_tags = {"cleanaireci": "401"}
        rec.last_checked_at = NOW
        reg.add("https://fedi.example", "eu.social", NOW)
        assert reg.save() == 2
    with Store(db) as store:
        reg = InstanceRegistry(store)
        got = reg.get("eu.social")
        assert got is not None
        assert (got.software, got.speaks_mastodon_api) == ("mastodon", True)
        assert got.skips_tag("cleanaireci", NOW + timedelta(hours=1))
        assert not got.skips_tag("cleanaireci", NOW + timedelta(hours=25))  # recheck due
        assert not got.skips_tag("other", NOW)
        other = reg.get("fedi.example")
        assert other is not None and other.speaks_mastodon_api is None
        assert other.first_seen_at == NOW
        # config instances are crawled as configured, not as remembered discoveries
        assert [r.host for r in reg.crawlable()] == []
        other.speaks_mastodon_api = True
        assert [r.host for r in reg.crawlable()] == ["fedi.example"]
