"""The built-in demo network: a generated campaign world served like Mastodon and Bluesky.

``scout_demo.world`` builds the world (pure, deterministic); ``scout_demo.server``
serves it on loopback (``DemoNetwork`` runs it in a subprocess).  Server names are
loaded lazily so ``python -m scout_demo.server`` does not import itself twice.
"""

from __future__ import annotations

from typing import Any

from scout_demo.world import (
    DEMO_BSKY_HANDLE,
    DEMO_BSKY_PASSWORD,
    DEMO_CAMPAIGN_NAME,
    DEMO_HASHTAGS,
    DEMO_KEYWORDS,
    World,
    build_world,
)

__all__ = [
    "DEMO_BSKY_HANDLE",
    "DEMO_BSKY_PASSWORD",
    "DEMO_CAMPAIGN_NAME",
    "DEMO_HASHTAGS",
    "DEMO_KEYWORDS",
    "DemoNetwork",
    "World",
    "build_world",
    "write_demo_campaign",
]


def __getattr__(name: str) -> Any:
    if name in ("DemoNetwork", "write_demo_campaign", "start_servers", "DemoServers"):
        from scout_demo import server

        return getattr(server, name)
    raise AttributeError(name)
