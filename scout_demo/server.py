"""Loopback HTTP servers that serve the demo world like real Mastodon and Bluesky.

The names tests and the app import, gathered in one place: the servers themselves are
in :mod:`scout_demo.httpd` (HTTP), :mod:`scout_demo.mastodon_api` and
:mod:`scout_demo.bluesky_api` (the APIs), :mod:`scout_demo.service` (rate limits,
faults, ``/_demo/*`` control); the client in :mod:`scout_demo.network`.  JSON shapes,
paging (``Link`` headers, ``cursor``), rate-limit headers and errors mirror the
recorded responses in ``shared/fixtures``.  ``python -m scout_demo.server --state PATH``
is the same as ``python -m scout_demo --state PATH``.
"""

from __future__ import annotations

from scout_demo.bluesky_api import BlueskyApp
from scout_demo.httpd import DemoServers, main, start_servers
from scout_demo.mastodon_api import MastodonApp
from scout_demo.network import DemoNetwork, write_demo_campaign
from scout_demo.service import App, Control, RateWindow
from scout_demo.tables import DEMO_BSKY_HANDLE, DEMO_BSKY_PASSWORD

__all__ = [
    "DEMO_BSKY_HANDLE",
    "DEMO_BSKY_PASSWORD",
    "App",
    "BlueskyApp",
    "Control",
    "DemoNetwork",
    "DemoServers",
    "MastodonApp",
    "RateWindow",
    "main",
    "start_servers",
    "write_demo_campaign",
]

if __name__ == "__main__":
    raise SystemExit(main())
