"""crawler.core.ratelimit: X-RateLimit-* (Mastodon) and RateLimit-* (Bluesky) headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from crawler.core.ratelimit import (
    RESET_MARGIN_SECONDS,
    RateLimit,
    parse_rate_limit,
    parse_reset,
    retry_after,
)
from tests.support.fixtures import FIXTURES_DIR, fixture_params, load_cassette

NOW = datetime(2026, 8, 1, 13, 55, 0, tzinfo=UTC)


def test_mastodon_iso_reset_from_cassette() -> None:
    recs = load_cassette(FIXTURES_DIR / "mastodon/dev-server-4.6.4/test_hashtag_tl.yaml")
    timeline = next(r for r in recs if "/timelines/tag/" in r.uri)
    rl = parse_rate_limit(timeline.headers, NOW)
    assert rl == RateLimit(
        limit=300,
        remaining=299,
        reset_at=datetime(2026, 8, 1, 14, 0, 0, 70144, tzinfo=UTC),
        window_seconds=None,
    )


@pytest.mark.parametrize("path", fixture_params("mastodon/*/*.yaml"))
def test_every_mastodon_response_with_headers_parses(path: Path) -> None:
    for rec in load_cassette(path):
        if rec.header("x-ratelimit-limit") is None:
            continue
        rl = parse_rate_limit(rec.headers, NOW)
        assert rl is not None
        assert rl.limit == int(rec.header("x-ratelimit-limit") or 0)
        assert rl.remaining is not None and 0 <= rl.remaining <= rl.limit
        reset = rec.header("x-ratelimit-reset") or ""
        assert rl.reset_at == datetime.fromisoformat(reset.replace("Z", "+00:00"))
        assert rl.reset_at is not None and rl.reset_at.utcoffset() == timedelta(0)
        date = rec.header("date")
        if date:
            # Windows are 5 minutes (posting: 3 hours), so the reset is close to the
            # response date (cached responses may carry a reset already passed).
            ahead = (rl.reset_at - parsedate_to_datetime(date)).total_seconds()
            assert abs(ahead) <= 3 * 3600 + 60
            if ahead <= 0:
                assert rl.wait_seconds(parsedate_to_datetime(date)) == 0.0


@pytest.mark.parametrize("path", fixture_params("bluesky/bsky-social-2025/*.yml"))
def test_every_bluesky_response_parses(path: Path) -> None:
    for rec in load_cassette(path):
        rl = parse_rate_limit(rec.headers, NOW)
        assert rl is not None
        assert rl.limit == int(rec.header("ratelimit-limit") or 0)
        assert rl.reset_at == datetime.fromtimestamp(int(rec.header("ratelimit-reset") or 0), UTC)
        policy = rec.header("ratelimit-policy") or ""
        assert rl.window_seconds == int(policy.split("w=")[1])


def test_bluesky_create_session_policy() -> None:
    recs = load_cassette(FIXTURES_DIR / "bluesky/bsky-social-2025/repo_auth_cache.yml")
    rl = parse_rate_limit(recs[0].headers, NOW)
    assert rl is not None
    assert (rl.limit, rl.remaining, rl.window_seconds) == (10, 7, 86400)
    assert rl.reset_at == datetime(2025, 5, 23, 16, 7, 34, tzinfo=UTC)


def test_scrapy_style_bytes_headers_and_case() -> None:
    headers = {
        b"X-RateLimit-Limit": [b"300"],
        b"X-RATELIMIT-REMAINING": [b"0"],
        b"x-ratelimit-reset": [b"2026-08-01T13:57:30.123456+00:00"],
    }
    rl = parse_rate_limit(headers, NOW)
    assert rl is not None
    assert (rl.limit, rl.remaining) == (300, 0)
    assert rl.reset_at == datetime(2026, 8, 1, 13, 57, 30, 123456, tzinfo=UTC)
    assert rl.wait_seconds(NOW) == pytest.approx(150.123456 + RESET_MARGIN_SECONDS)
    assert rl.wait_seconds(NOW, margin=0) == pytest.approx(150.123456)


def test_pairs_epoch_and_delta_resets() -> None:
    epoch = int((NOW + timedelta(seconds=90)).timestamp())
    rl = parse_rate_limit([("RateLimit-Limit", "3000"), ("RateLimit-Reset", str(epoch))], NOW)
    assert rl is not None and rl.reset_at == NOW + timedelta(seconds=90)
    assert rl.remaining is None and rl.window_seconds is None
    rl = parse_rate_limit([("x-ratelimit-remaining", "5"), ("x-ratelimit-reset", "42")], NOW)
    assert rl is not None and rl.reset_at == NOW + timedelta(seconds=42)
    rl = parse_rate_limit({"X-RateLimit-Reset": str(epoch * 1000)}, NOW)
    assert rl is not None and rl.reset_at == NOW + timedelta(seconds=90)


def test_no_rate_limit_headers() -> None:
    assert parse_rate_limit({"content-type": "application/json"}, NOW) is None
    assert parse_rate_limit(None, NOW) is None
    assert parse_reset("garbage", NOW) is None


def test_policy_with_several_quotas() -> None:
    rl = parse_rate_limit(
        {"ratelimit-limit": "100", "ratelimit-policy": "3000;w=300, 100;w=10"}, NOW
    )
    assert rl is not None and rl.window_seconds == 10


@pytest.mark.parametrize(
    ("remaining", "reserve", "reset_in", "expected"),
    [
        (10, 0, 60, 0.0),  # budget left
        (5, 5, 60, 60.0 + RESET_MARGIN_SECONDS),  # would go below the reserve
        (0, 0, 60, 60.0 + RESET_MARGIN_SECONDS),  # spent
        (0, 0, -5, 0.0),  # reset passed
        # a whole-second reset (rounded down) that just passed: the window may still run
        # for most of a second, so the margin is still waited (the Bluesky 429s)
        (1, 2, -0.4, RESET_MARGIN_SECONDS - 0.4),
        (None, 0, 60, 0.0),  # unknown
    ],
)
def test_wait_seconds(
    remaining: int | None, reserve: int, reset_in: float, expected: float
) -> None:
    rl = RateLimit(300, remaining, NOW + timedelta(seconds=reset_in), 300)
    assert rl.wait_seconds(NOW, reserve=reserve) == pytest.approx(expected)


def test_wait_without_reset_uses_window_and_pace() -> None:
    assert RateLimit(300, 0, None, 300).wait_seconds(NOW) == 300.0
    assert RateLimit(300, 0, None, None).wait_seconds(NOW) == 0.0
    rl = RateLimit(300, 101, NOW + timedelta(seconds=200), None)
    assert rl.pace_seconds(NOW, reserve=1) == pytest.approx(2.0)
    assert rl.pace_seconds(NOW + timedelta(seconds=300)) == 0.0


def test_retry_after() -> None:
    assert retry_after({"Retry-After": "120"}, NOW) == 120.0
    assert retry_after({b"retry-after": [b"1.5"]}, NOW) == 1.5
    assert retry_after({"Retry-After": "Sat, 01 Aug 2026 13:56:00 GMT"}, NOW) == 60.0
    assert retry_after({"Retry-After": "Sat, 01 Aug 2026 13:00:00 GMT"}, NOW) == 0.0
    assert retry_after({"Retry-After": "soon"}, NOW) is None
    assert retry_after({}, NOW) is None
