"""Items as the Mastodon parser makes them, for storage and erasure tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crawler.core.items import AccountItem, PostItem

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def mastodon_account(
    user: str, host: str = "eu.social", *, t0: datetime = T0, **kw: object
) -> AccountItem:
    base: dict[str, object] = {
        "account_id": f"mastodon:https://{host}/users/{user}",
        "platform": "mastodon",
        "handle": f"{user}@{host}",
        "display_name": user.title(),
        "url": f"https://{host}/@{user}",
        "seen_at": t0,
    }
    base.update(kw)
    return AccountItem(**base)  # type: ignore[arg-type]


def mastodon_post(
    user: str, n: int, host: str = "eu.social", *, t0: datetime = T0, **kw: object
) -> PostItem:
    base: dict[str, object] = {
        "post_id": f"mastodon:https://{host}/users/{user}/statuses/{n}",
        "platform": "mastodon",
        "account_id": f"mastodon:https://{host}/users/{user}",
        "url": f"https://{host}/@{user}/{n}",
        "created_at": t0 - timedelta(hours=n),
        "collected_at": t0,
        "source": host,
    }
    base.update(kw)
    return PostItem(**base)  # type: ignore[arg-type]
