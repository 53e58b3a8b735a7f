"""URLs and hosts, one meaning each.

- :func:`host_key`: ``host[:port]`` in lower case, the key of budgets, cursors and the
  instances table (``https://Mastodon.Social/`` -> ``mastodon.social``).
- :func:`base_url`: ``scheme://host[:port]`` of any http(s) URL, or ``None``.
- :func:`url_refusal` / :func:`check_url` / :func:`address_refusal`: the one address
  policy (below) for every URL the tool fetches.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from urllib.parse import urlsplit


def host_key(url: str) -> str:
    """``host[:port]`` of a URL in lower case (``""`` when it has none)."""
    try:
        return urlsplit(url.strip()).netloc.lower()
    except ValueError:
        return ""


def hostname(url: str) -> str:
    """The host name of a URL, lower case, without port or brackets (``""`` if none)."""
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def base_url(url: str | None, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    """``scheme://host[:port]`` of a URL with one of ``schemes`` and no user info;
    ``None`` for anything else."""
    if not url or not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        return None
    netloc = parts.hostname.lower()
    if ":" in netloc:  # IPv6 literal
        netloc = f"[{netloc}]"
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port else "")


# -- the address policy (DESIGN.md "Address policy") ----------------------------------
#
# Every URL the tool fetches passes :func:`url_refusal`: http(s) (ws(s) for Jetstream),
# public hosts only; loopback and private hosts only when ``SCOUT_ALLOWED_HOSTS`` names
# them as ``host:port``; link-local and cloud metadata addresses never. Host names are
# judged as written (after IDNA and the legacy numeric IPv4 forms a resolver accepts:
# ``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``); the address actually
# connected to is judged by :func:`address_refusal` (the Scrapy middleware
# ``crawler.fetch.address.AddressPolicyMiddleware``), so a public name that resolves to a
# private address is refused too.

ALLOWED_HOSTS_ENV = "SCOUT_ALLOWED_HOSTS"
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# cloud metadata services: refused even when SCOUT_ALLOWED_HOSTS names them
_METADATA_IPS = frozenset(
    ipaddress.ip_address(a)
    for a in ("100.100.100.200", "fd00:ec2::254", "192.0.0.192", "169.254.169.254")
)
_METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
        "metadata.packet.net",
    }
)
# names that only mean something on a private network
_PRIVATE_SUFFIXES = (
    ".localhost",
    ".local",
    ".internal",
    ".lan",
    ".home",
    ".home.arpa",
    ".intranet",
    ".corp",
    ".localdomain",
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HOST_CHARS = re.compile(r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$")
_NUMERIC_LABEL = re.compile(r"^(0[xX][0-9a-fA-F]*|[0-9]+)$")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address ``inet_aton`` makes of ``host`` (1 to 4 dot-separated numbers, each
    decimal, ``0x`` hex or ``0`` octal, the last filling the remaining bytes); ``None``
    if it is not of that form."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    nums: list[int] = []
    for part in parts:
        if re.fullmatch(r"0[xX][0-9a-fA-F]*", part):
            nums.append(int(part[2:] or "0", 16))
        elif re.fullmatch(r"0[0-7]*", part):
            nums.append(int(part, 8))
        elif re.fullmatch(r"[1-9][0-9]*", part):
            nums.append(int(part))
        else:
            return None
    *head, last = nums
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def canonical_host(host: str) -> str | IPAddress:
    """A host as the network sees it: an IP address object (every numeric form, IPv6
    with or without brackets, IPv4-mapped IPv6 kept as IPv6) or a lower-case ASCII name
    without trailing dot. Raises ``ValueError`` for what is neither."""
    h = host.strip()
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    if ":" in h:
        try:
            return ipaddress.IPv6Address(h)
        except ValueError:
            raise ValueError(f"not a valid IPv6 address: {host!r}") from None
    try:
        # IDNA (nameprep folds full-width digits and dots, so they are caught below)
        ascii_host = h.encode("idna").decode("ascii").lower() if h else ""
    except UnicodeError:
        raise ValueError(f"not a valid host name: {host!r}") from None
    ascii_host = ascii_host.rstrip(".")
    if not ascii_host:
        raise ValueError("no host name")
    labels = ascii_host.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):  # ends in a number: an address or nothing
        ip = _legacy_ipv4(ascii_host)
        if ip is None:
            raise ValueError(f"not a valid IPv4 address: {host!r}")
        return ip
    if len(ascii_host) > 253 or not all(_HOST_CHARS.match(label) for label in labels):
        raise ValueError(f"not a valid host name: {host!r}")
    return ascii_host


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    out: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        out.append(ip.ipv4_mapped)
    packed = int(ip)
    if packed >> 32 == 0 and packed > 1:  # ::a.b.c.d (deprecated "compatible" form)
        out.append(ipaddress.IPv4Address(packed & 0xFFFFFFFF))
    if ip in _NAT64:
        out.append(ipaddress.IPv4Address(packed & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        out.append(ip.sixtofour)
    if ip.teredo is not None:
        out.extend(ip.teredo)
    return out


def ip_class(ip: IPAddress) -> str:
    """``public``, ``private`` (allowed when named) or ``never`` (link-local, metadata,
    unspecified, multicast, reserved)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = [ip_class(a) for a in _embedded_ipv4(ip)]
        if inner:  # as unsafe as the worst IPv4 address it carries
            return "never" if "never" in inner else "private" if "private" in inner else "public"
    if ip in _METADATA_IPS or ip.is_link_local or ip.is_unspecified or ip.is_multicast:
        return "never"
    if ip.is_loopback:
        return "private"
    if ip.is_reserved:  # 240.0.0.0/4 with the broadcast address, unassigned IPv6
        return "never"
    if isinstance(ip, ipaddress.IPv6Address) and ip in ipaddress.ip_network("fec0::/10"):
        return "private"  # deprecated site-local
    return "public" if ip.is_global else "private"


def _name_class(name: str) -> str:
    if name in _METADATA_NAMES or any(name.endswith("." + m) for m in _METADATA_NAMES):
        return "never"
    if name == "localhost" or "." not in name or name.endswith(_PRIVATE_SUFFIXES):
        return "private"
    return "public"


def host_class(host: str) -> str:
    """:func:`ip_class` of a host as written (a name is ``public`` unless it only means
    something on a private network); raises ``ValueError`` for no valid host."""
    h = canonical_host(host)
    return _name_class(h) if isinstance(h, str) else ip_class(h)


def _host_port(host: str | IPAddress, port: int) -> str:
    if isinstance(host, ipaddress.IPv6Address):
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def allowed_hosts(value: str | None = None) -> frozenset[str]:
    """The canonical ``host:port`` entries of ``SCOUT_ALLOWED_HOSTS`` (or ``value``);
    an entry without a port names the default http and https ports; entries that are not
    a host are ignored."""
    return _parse_allowed(os.environ.get(ALLOWED_HOSTS_ENV, "") if value is None else value)


@lru_cache(maxsize=16)
def _parse_allowed(raw: str) -> frozenset[str]:
    """:func:`allowed_hosts` of one value, parsed once: every fetched URL is judged
    against it, and a demo network names thousands of ports (one per demo website), so
    parsing it per request cost about 2 s a request (follower walks, issue 10's bench)."""
    out: set[str] = set()
    for entry in raw.split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            parts = urlsplit("//" + entry)
            host = canonical_host(parts.hostname or "")
            ports = [parts.port] if parts.port else [80, 443]
        except ValueError:
            continue
        out.update(_host_port(host, p) for p in ports)
    return frozenset(out)


def _scheme_words(schemes: tuple[str, ...]) -> str:
    if set(schemes) == {"http", "https"}:
        return "an http(s)"
    if set(schemes) == {"ws", "wss"}:
        return "a ws(s)"
    return "a " + "/".join(schemes)


# True inside :func:`nothing_fetched`
_NOTHING_FETCHED: ContextVar[bool] = ContextVar("scout_nothing_fetched", default=False)


@contextmanager
def nothing_fetched() -> Iterator[None]:
    """For reading a campaign file in a command that fetches nothing (``scout leads``,
    ``export``, ``report``...): loopback and private hosts pass :func:`url_refusal`
    whatever ``SCOUT_ALLOWED_HOSTS`` says (that setting is about what may be fetched, and
    the analyst reading the database may not have it); every other rule still holds."""
    token = _NOTHING_FETCHED.set(True)
    try:
        yield
    finally:
        _NOTHING_FETCHED.reset(token)


def url_refusal(
    url: str, schemes: tuple[str, ...] = ("http", "https"), *, allowed: frozenset[str] | None = None
) -> str | None:
    """``None`` if the address policy lets the tool fetch ``url``, else why not, in words
    (``loopback or private host 127.0.0.1:8731 not named in SCOUT_ALLOWED_HOSTS``)."""
    if not isinstance(url, str):
        return "not a URL"
    if any(ord(c) < 0x21 or 0x7F <= ord(c) <= 0x9F or c == "\\" for c in url.strip()):
        return "control characters, spaces or backslashes in the URL"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme not in schemes:
        return f"not {_scheme_words(schemes)} URL"
    if parts.username is not None or parts.password is not None:
        return "user name or password in the URL"
    try:
        host = canonical_host(parts.hostname or "")
    except ValueError as exc:
        return str(exc)
    kind = _name_class(host) if isinstance(host, str) else ip_class(host)
    shown = _host_port(host, port or _DEFAULT_PORTS.get(parts.scheme, 0))
    if kind == "never":
        return f"link-local, metadata or reserved address {shown} is never fetched"
    if kind == "private" and not _NOTHING_FETCHED.get():
        names = allowed_hosts() if allowed is None else allowed
        if shown not in names:
            return f"loopback or private host {shown} not named in {ALLOWED_HOSTS_ENV}"
    return None


def check_url(url: str, schemes: tuple[str, ...] = ("http", "https")) -> str:
    """``url`` stripped of spaces and trailing slashes if :func:`url_refusal` lets it
    pass; raises ``ValueError`` with the reason (one line) otherwise."""
    reason = url_refusal(url, schemes)
    if reason is not None:
        raise ValueError(f"{reason}: {str(url)[:200]!r}")
    return url.strip().rstrip("/")


def address_refusal(ip: str | IPAddress, url: str) -> str | None:
    """``None`` if the address a request to ``url`` actually connected to is allowed:
    public, or private with the URL's ``host:port`` named in ``SCOUT_ALLOWED_HOSTS``;
    link-local and metadata never."""
    try:
        addr = ipaddress.ip_address(str(ip).strip("[]"))
    except ValueError:
        return f"not an IP address: {ip!r}"
    kind = ip_class(addr)
    if kind == "never":
        return f"connected to link-local, metadata or reserved address {addr}"
    if kind == "private":
        try:
            parts = urlsplit(url)
            host = canonical_host(parts.hostname or "")
            shown = _host_port(host, parts.port or _DEFAULT_PORTS.get(parts.scheme, 0))
        except ValueError:
            return f"connected to private address {addr} for an invalid URL"
        if shown not in allowed_hosts():
            return f"{shown} resolved to private address {addr}, not named in {ALLOWED_HOSTS_ENV}"
    return None


def resolved_refusal(url: str) -> str | None:
    """``None`` if every address ``url``'s host name resolves to passes
    :func:`address_refusal`; else why not. For clients that connect by themselves (the
    atproto SDK, Mastodon.py, the Jetstream socket), where the Scrapy middleware that
    judges the connected address does not run: a public name pointing at a private or
    metadata address is refused before any request. A name that does not resolve passes
    (the client then fails with its own error); IP literals were judged as written."""
    import socket

    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    try:
        ipaddress.ip_address(host.strip("[]"))
        return None  # a literal: url_refusal judged it
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None
    for info in infos:
        refusal = address_refusal(str(info[4][0]), url)
        if refusal is not None:
            return refusal
    return None


def ensure_resolved_allowed(url: str) -> None:
    """Raise :class:`~crawler.core.errors.AddressRefused` (one line) when
    :func:`resolved_refusal` refuses ``url``."""
    from crawler.core.errors import AddressRefused

    refusal = resolved_refusal(url)
    if refusal is not None:
        raise AddressRefused(f"refused {url[:200]}: {refusal}")
