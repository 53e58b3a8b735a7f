"""``scout check CAMPAIGN.toml``: does every configured source answer?

One :class:`Probe` per source, each with a short timeout and the crawl's user agent:

- each Mastodon instance: ``/.well-known/nodeinfo`` and the nodeinfo document it links
  (software and version), then the tag timeline of the campaign's first hashtag;
- Bluesky: with a login in the environment, the login itself (the stored session is
  reused, as the crawl does: Bluesky allows few logins a day); without, the public
  AppView (``[bluesky] appview``, else the service) answers a profile lookup;
- Jetstream (``[bluesky] jetstream``): the websocket opening handshake.

Every URL passes the address policy first (:func:`crawler.core.net.url_refusal`;
redirects are followed only to URLs that pass it too). Nothing is stored. Strings that
came from the network are reduced to printable text before they are reported.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

import requests

from crawler.core.config import Campaign
from crawler.core.errors import ScoutError
from crawler.core.net import resolved_refusal, url_refusal
from crawler.core.vocab import DEFAULT_DB, USER_AGENT
from crawler.mastodon.discovery import nodeinfo_href, nodeinfo_software

TIMEOUT = 10.0  # seconds per request
MAX_REDIRECTS = 3
# an account every Bluesky AppView serves
PROBE_ACTOR = "bsky.app"


class ProbeFailed(Exception):
    """One probe did not get the answer it needs; ``str()`` says why, in words."""


@dataclass
class Probe:
    source: str  # e.g. "mastodon https://mastodon.social"
    ok: bool
    detail: str  # what answered, or why not (one line)


def plain(text: object, limit: int = 120) -> str:
    """Network text as one short printable line (no control or escape characters)."""
    s = "".join(c if c.isprintable() else " " for c in str(text))
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def user_agent() -> str:
    contact = os.environ.get("SCOUT_CONTACT")
    return f"{USER_AGENT} contact: {contact}" if contact else USER_AGENT


class Http:
    """GET with the crawl's user agent, a short timeout and the address policy checked
    for the URL and every redirect."""

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent()
        self.session.headers["Accept"] = "application/json"

    def get(self, url: str, schemes: tuple[str, ...] = ("http", "https")) -> requests.Response:
        for _ in range(MAX_REDIRECTS + 1):
            refusal = url_refusal(url, schemes) or resolved_refusal(url)
            if refusal is not None:
                raise ProbeFailed(f"refused by the address policy: {refusal}")
            try:
                resp = self.session.get(url, timeout=self.timeout, allow_redirects=False)
            except requests.Timeout:
                raise ProbeFailed(f"no answer within {self.timeout:g} s") from None
            except requests.RequestException as exc:
                raise ProbeFailed(f"cannot connect ({plain(_reason(exc))})") from None
            if resp.is_redirect and resp.headers.get("Location"):
                url = urljoin(url, resp.headers["Location"])
                continue
            return resp
        raise ProbeFailed(f"more than {MAX_REDIRECTS} redirects")

    def json(self, url: str, what: str) -> Any:
        resp = self.get(url)
        if resp.status_code != 200:
            raise ProbeFailed(f"{what}: HTTP {resp.status_code}{_error_of(resp)}")
        try:
            return resp.json()
        except ValueError:
            raise ProbeFailed(f"{what}: the answer is not JSON") from None

    def close(self) -> None:
        self.session.close()


def _reason(exc: BaseException) -> str:
    # requests nests the socket error deep inside; its last words say what happened
    text = str(exc)
    return text.rsplit(": ", 1)[-1].rstrip(")'\"") or type(exc).__name__


def _error_of(resp: requests.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        msg = body.get("error_description") or body.get("message") or body.get("error")
        if msg:
            return f" ({plain(msg, 80)})"
    return ""


# --------------------------------------------------------------------------- sources


def probe_mastodon(http: Http, base: str, tag: str) -> str:
    """nodeinfo (software, version) and the tag timeline of one instance."""
    links = http.json(f"{base}/.well-known/nodeinfo", "nodeinfo")
    href = nodeinfo_href(links, base)
    if href is None:
        raise ProbeFailed("nodeinfo: no nodeinfo 2.x document linked on this server")
    software, version = nodeinfo_software(http.json(href, "nodeinfo"))
    resp = http.get(f"{base}/api/v1/timelines/tag/{quote(tag, safe='')}?limit=1")
    if resp.status_code in (401, 403, 422):
        raise ProbeFailed(
            f"tag timeline refused (HTTP {resp.status_code}{_error_of(resp)}): the server "
            "may restrict hashtag feeds to its users"
        )
    if resp.status_code != 200:
        raise ProbeFailed(f"tag timeline: HTTP {resp.status_code}{_error_of(resp)}")
    try:
        posts = resp.json()
    except ValueError:
        raise ProbeFailed("tag timeline: the answer is not JSON") from None
    if not isinstance(posts, list):
        raise ProbeFailed("tag timeline: the answer is not a list of posts")
    name = plain(f"{software or 'unknown software'} {version or ''}".strip(), 60)
    return f"nodeinfo: {name}; #{tag} timeline answers"


def probe_bluesky_login(campaign: Campaign, session_dir: Path, timeout: float) -> str:
    from atproto_core.exceptions import AtProtocolError

    from crawler.bluesky.collector import BlueskyCollector
    from crawler.bluesky.faults import RequestFailed
    from pipelines.stats import Stats

    bsky = campaign.bluesky
    assert bsky is not None
    collector = BlueskyCollector(
        campaign,
        stats=Stats(),
        cursors=_NoCursors(),
        session_dir=session_dir,
        max_retries=1,
        max_wait=timeout,
        timeout=timeout,
    )
    try:
        collector.login()
    except (ScoutError, AtProtocolError, RequestFailed, OSError, ValueError) as exc:
        raise ProbeFailed(f"login failed: {plain(exc, 160)}") from None
    return f"logged in as {plain(bsky.handle, 60)}"


class _NoCursors:
    def get_cursor(self, source: str, key: str) -> str | None:
        return None


def probe_bluesky_public(http: Http, base: str, campaign: Campaign) -> str:
    bsky = campaign.bluesky
    assert bsky is not None
    url = f"{base}/xrpc/app.bsky.actor.getProfile?actor={PROBE_ACTOR}"
    resp = http.get(url)
    # an XRPC answer, even "profile not found", shows the service is there and speaks it
    if resp.status_code == 200 or (resp.status_code == 400 and _error_of(resp)):
        return (
            f"public profile lookup answers; no login in {bsky.handle_env} and "
            f"{bsky.password_env}: `scout crawl` needs one to search Bluesky"
        )
    raise ProbeFailed(f"profile lookup: HTTP {resp.status_code}{_error_of(resp)}")


def probe_jetstream(url: str, timeout: float) -> str:
    from websockets.exceptions import InvalidStatus, WebSocketException
    from websockets.sync.client import connect

    refusal = url_refusal(url, ("ws", "wss")) or resolved_refusal(url)
    if refusal is not None:
        raise ProbeFailed(f"refused by the address policy: {refusal}")
    try:
        with connect(url, open_timeout=timeout, user_agent_header=user_agent()):
            pass
    except InvalidStatus as exc:
        raise ProbeFailed(f"handshake refused: HTTP {exc.response.status_code}") from None
    except TimeoutError:
        raise ProbeFailed(f"no answer within {timeout:g} s") from None
    except (OSError, WebSocketException) as exc:
        raise ProbeFailed(f"cannot connect ({plain(exc, 100)})") from None
    return "websocket opens"


def report_lines(path: Path, probes: list[Probe]) -> list[str]:
    """What ``scout check`` prints: the file, then one line per source."""
    head = f"{path}: campaign file OK ({len(probes)} sources)\n"
    return [head] + [f"{'ok    ' if p.ok else 'FAILED'} {p.source}: {p.detail}\n" for p in probes]


def _run(source: str, probe: Callable[[], str]) -> Probe:
    try:
        return Probe(source, True, probe())
    except ProbeFailed as exc:
        return Probe(source, False, str(exc))


def check_campaign(
    campaign: Campaign, *, session_dir: Path | None = None, timeout: float = TIMEOUT
) -> list[Probe]:
    """Probe every source the campaign configures, in the order of the file."""
    session_dir = session_dir or Path(DEFAULT_DB).parent / ".sessions"
    tag = campaign.campaign.hashtags[0] if campaign.campaign.hashtags else "eci"
    http = Http(timeout)
    probes: list[Probe] = []
    try:
        if campaign.mastodon is not None:
            for base in campaign.mastodon.instances:
                base = str(base).rstrip("/")
                probes.append(
                    _run(f"mastodon {base}", lambda b=base: probe_mastodon(http, b, tag))  # type: ignore[misc]
                )
        bsky = campaign.bluesky
        if bsky is not None:
            service = str(bsky.service).rstrip("/")
            if bsky.handle and bsky.app_password:
                probes.append(
                    _run(
                        f"bluesky {service}",
                        lambda: probe_bluesky_login(campaign, session_dir, timeout),
                    )
                )
            else:
                public = str(bsky.appview or bsky.service).rstrip("/")
                probes.append(
                    _run(f"bluesky {public}", lambda: probe_bluesky_public(http, public, campaign))
                )
            if bsky.jetstream:
                jet = str(bsky.jetstream)
                probes.append(_run(f"jetstream {jet}", lambda: probe_jetstream(jet, timeout)))
    finally:
        http.close()
    return probes
