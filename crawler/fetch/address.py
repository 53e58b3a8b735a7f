"""Downloader middleware that applies the address policy to every Scrapy request.

Every request passes here before it is sent (redirects and robots.txt requests too:
Scrapy schedules them as new requests), and every response after it arrives:

* the URL must pass :func:`crawler.core.net.url_refusal` (http(s), a public host, or a
  loopback/private ``host:port`` named in ``SCOUT_ALLOWED_HOSTS``; link-local and
  metadata never), whatever put it in the queue (campaign file, a discovered instance,
  a link in a post, a redirect);
* the address the response actually came from (``response.ip_address``) must pass
  :func:`crawler.core.net.address_refusal`, so a public name resolving to a private or
  metadata address is dropped before any callback reads it.

A refusal raises ``IgnoreRequest`` (the request's errback sees it) and counts
``scout/address_refused``.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.core.net import address_refusal, url_refusal

log = logging.getLogger(__name__)
STAT = "scout/address_refused"


class AddressPolicyMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def _refuse(self, url: str, reason: str) -> IgnoreRequest:
        if self.stats is not None:
            self.stats.inc_value(STAT)
        log.warning("address policy: refused %s (%s)", url[:300], reason)
        return IgnoreRequest(f"address policy: {reason}")

    def process_request(self, request: Request) -> Any:
        reason = url_refusal(request.url)
        if reason is not None:
            raise self._refuse(request.url, reason)
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        ip = getattr(response, "ip_address", None)
        if ip is not None:
            reason = address_refusal(ip, request.url)
            if reason is not None:
                raise self._refuse(request.url, reason)
        return response
