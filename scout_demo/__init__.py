"""The built-in demo network: a generated campaign world served like Mastodon and Bluesky.

``scout_demo.world`` builds the world (pure, deterministic) from the text tables in
``scout_demo/data``; ``scout_demo.httpd`` serves it on loopback and
``scout_demo.network.DemoNetwork`` runs that in a subprocess.  Server names are loaded
lazily so ``python -m scout_demo`` does not import them twice.  Uses ``crawler.core``
at most (one-way layers).
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
    if name in ("DemoNetwork", "write_demo_campaign"):
        from scout_demo import network

        return getattr(network, name)
    if name in ("start_servers", "DemoServers"):
        from scout_demo import httpd

        return getattr(httpd, name)
    raise AttributeError(name)
