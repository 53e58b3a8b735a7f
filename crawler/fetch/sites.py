"""Downloader middleware of the website pass: one download slot per site.

Scrapy keys its download slots (concurrency, delay, AutoThrottle) by host name, so two
sites on one host with different ports would share one slot and a site's
``robots.txt`` request (made by Scrapy itself) would carry no slot of ours. Setting
``download_slot`` to ``host:port`` in ``process_request`` (which runs before the slot is
chosen) gives every site, robots.txt included, its own slot and its own pace.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request

from crawler.core.net import host_key


class SiteSlotMiddleware:
    def process_request(self, request: Request) -> Any:
        request.meta.setdefault("download_slot", host_key(request.url))
        return None
