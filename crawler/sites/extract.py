"""What one web page says about how to reach its owner: public e-mail addresses (also
written as ``name [at] org [dot] eu``, ``name(at)org.de``, HTML entities, ``mailto:``),
a contact form, links to Mastodon and Bluesky profiles (``rel="me"`` marked), the
contact / imprint / about pages it links to (by link text or URL, in the EU's
languages) and its languages (``<html lang>``, ``hreflang`` alternates).

Pure functions of the page's text and URL (parsel, which Scrapy uses, does the HTML);
the spider decides which pages to read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

from parsel import Selector

from crawler.core.net import host_key
from crawler.core.text import fold

# link text or URL words of the pages worth reading, in the EU's languages; order of the
# kinds = reading order (the imprint names the legal form and the address)
PAGE_WORDS: dict[str, tuple[str, ...]] = {
    "imprint": (
        "impressum", "imprint", "mentions legales", "mentions-legales", "mentionslegales",
        "aviso legal", "aviso-legal", "avisolegal", "colofon", "colophon", "kolofon",
        "note legali", "note-legali", "nota legale", "legal notice", "legal-notice",
        "informations legales", "informations-legales", "offenlegung", "nota prawna",
        "informacje prawne", "stopka redakcyjna", "ficha tecnica", "informacao legal",
        "impresszum", "tiraz", "juridische informatie", "wettelijke vermeldingen",
        "informatii legale", "rechtliche hinweise", "imprenta",
    ),
    "contact": (
        "contact", "kontakt", "contatti", "contatto", "contacto", "contato", "contactez",
        "kapcsolat", "kontakty", "kontaktai", "kontakti", "yhteystiedot", "epikoinonia",
        "get in touch", "write to us", "ecrivez-nous", "kontaktformular", "formulaire",
        "stik", "kontaktas", "contacte",
    ),
    "about": (
        "about", "uber uns", "ueber-uns", "uber-uns", "ueber uns", "wir uber uns",
        "qui sommes-nous", "qui-sommes-nous", "a propos", "a-propos", "chi siamo",
        "chi-siamo", "quienes somos", "quienes-somos", "sobre nosotros", "sobre nos",
        "over ons", "over-ons", "o nas", "o-nas", "om oss", "om os", "despre noi",
        "rolunk", "o nas", "meista", "verein", "association", "who we are", "wer wir sind",
    ),
}  # fmt: skip
PAGE_KINDS = tuple(PAGE_WORDS)

_AT = r"(?:\s*[\[\(\{<]\s*(?:at|@|ät|arroba|chez|bei|snabel-a|kukac|malpa)\s*[\]\)\}>]\s*|\s+(?:at|AT)\s+)"
_DOT = r"(?:\s*[\[\(\{<]\s*(?:dot|punkt|point|punto|pt|kropka|pont|tecka)\s*[\]\)\}>]\s*|\s+(?:dot|DOT)\s+|\.)"
_OBFUSCATED = re.compile(
    rf"(?<![\w.+-])([A-Za-z0-9][\w.+-]{{0,63}}){_AT}([A-Za-z0-9-]{{1,63}}(?:{_DOT}[A-Za-z0-9-]{{1,63}})+)",
    re.IGNORECASE,
)
_DOT_SPLIT = re.compile(_DOT, re.IGNORECASE)
_EMAIL = re.compile(
    r"(?<![\w.+-])([A-Za-z0-9][\w.+-]{0,63}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+)"
)
_NOT_TLDS = ("png", "jpg", "jpeg", "gif", "svg", "webp", "css", "js")
_MASTODON_PATH = re.compile(r"^/@[A-Za-z0-9_]{1,30}(?:@[\w.-]+)?/?$|^/users/[A-Za-z0-9_]{1,30}/?$")
_BSKY_PATH = re.compile(r"^/profile/([\w.:-]+)/?$")
_INLINE = re.compile(
    r"<!--.*?-->|</?(?:span|b|i|em|strong|code|font|small|kbd|tt|u)\b[^>]*>", re.S | re.I
)
_VISIBLE = (
    "//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)"
    " and not(ancestor::template)]"
)


@dataclass(frozen=True)
class ProfileLink:
    """A link from the page to a social profile."""

    url: str
    platform: str  # mastodon | bluesky
    rel_me: bool


@dataclass
class PageFacts:
    url: str
    languages: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    contact_form: str | None = None
    profiles: list[ProfileLink] = field(default_factory=list)
    rel_me: list[str] = field(default_factory=list)  # every rel="me" link (any host)
    pages: dict[str, list[str]] = field(default_factory=dict)  # kind -> same-site URLs
    text: str = ""  # the visible text, for legal facts and language detection


def _valid_email(address: str) -> str | None:
    local, _, domain = address.strip().strip(".").rpartition("@")
    domain = domain.lower().strip(".")
    if not local or "." not in domain or ".." in domain:
        return None
    tld = domain.rsplit(".", 1)[1]
    if not tld.isalpha() or not 2 <= len(tld) <= 24 or tld in _NOT_TLDS:
        return None
    return f"{local}@{domain}"


def emails_in_text(text: str) -> list[str]:
    """Addresses written in a text, plain or obfuscated, in order, without duplicates."""
    found: list[str] = []
    for m in _OBFUSCATED.finditer(text):
        domain = ".".join(p for p in _DOT_SPLIT.split(m.group(2)) if p)
        found.append(f"{m.group(1)}@{domain}")
    found += [m.group(1) for m in _EMAIL.finditer(text)]
    out: list[str] = []
    for raw in found:
        email = _valid_email(raw)
        if email and email.lower() not in (e.lower() for e in out):
            out.append(email)
    return out


def _mailto(href: str) -> str | None:
    if not href.lower().startswith("mailto:"):
        return None
    address = unquote(href[7:].split("?", 1)[0]).split(",")[0]
    return _valid_email(address)


def page_languages(sel: Selector) -> list[str]:
    """``<html lang>`` then ``hreflang`` alternates: primary subtags, lower case."""
    raw = sel.xpath("/html/@lang | /html/@xml:lang").getall()
    raw += sel.xpath(
        "//head/meta[@http-equiv='content-language' or @http-equiv='Content-Language']/@content"
    ).getall()
    raw += sel.xpath("//link[@rel='alternate']/@hreflang").getall()
    out: list[str] = []
    for value in raw:
        for part in value.split(","):
            code = part.strip().lower().replace("_", "-").split("-")[0]
            if re.fullmatch(r"[a-z]{2,3}", code) and code not in out:
                out.append(code)
    return out


def profile_link(url: str, own_hosts: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """``(platform, normalised URL)`` if ``url`` is a Mastodon or Bluesky profile."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if host in ("bsky.app", "staging.bsky.app") and _BSKY_PATH.match(parts.path):
        return "bluesky", f"https://bsky.app{parts.path.rstrip('/')}"
    if _MASTODON_PATH.match(parts.path) and host_key(url) not in own_hosts:
        return "mastodon", f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"
    return None


def _page_kind(text: str, href: str) -> str | None:
    words = fold(" ".join(text.split()))
    path = fold(unquote(urlsplit(href).path)).replace("_", "-")
    for kind, vocabulary in PAGE_WORDS.items():
        for word in vocabulary:
            if word in words or word.replace(" ", "-") in path:
                return kind
    return None


def _contact_form(sel: Selector, url: str) -> str | None:
    for form in sel.xpath("//form"):
        if form.xpath("@role").get() == "search":
            continue
        if form.xpath(".//textarea"):
            action = form.xpath("@action").get() or ""
            target = urljoin(url, action) if action and not action.startswith("#") else url
            return target if urlsplit(target).scheme in ("http", "https") else url
    return None


def read_page(html: str, url: str) -> PageFacts:
    """Everything :mod:`crawler.sites` reads from one HTML page at ``url``."""
    sel = Selector(text=html or "<html></html>")
    facts = PageFacts(url=url, languages=page_languages(sel))
    site = host_key(url)
    nodes = [t for t in sel.xpath(_VISIBLE).getall() if t.strip()]
    facts.text = " ".join(" ".join(nodes).split())
    # "name<span>@</span>org.eu" reads as one address once inline tags are unwrapped
    tight = Selector(text=_INLINE.sub("", html or "<html></html>")).xpath(_VISIBLE).getall()
    emails = emails_in_text(facts.text) + emails_in_text(" ".join(tight))
    pages: dict[str, list[str]] = {k: [] for k in PAGE_KINDS}
    profiles: dict[str, ProfileLink] = {}
    for a in sel.xpath("//a[@href] | //link[@href and @rel]"):
        href = (a.xpath("@href").get() or "").strip()
        rel = (a.xpath("@rel").get() or "").lower().split()
        mail = _mailto(href)
        if mail:
            emails.append(mail)
            continue
        target = urljoin(url, href)
        if urlsplit(target).scheme not in ("http", "https"):
            continue
        if "me" in rel and target not in facts.rel_me:
            facts.rel_me.append(target)
        found = profile_link(target, (site,))
        if found is not None:
            platform, norm = found
            old = profiles.get(norm)
            profiles[norm] = ProfileLink(norm, platform, "me" in rel or bool(old and old.rel_me))
            continue
        if a.root.tag != "a" or host_key(target) != site:
            continue
        kind = _page_kind(" ".join(a.xpath(".//text() | @title").getall()), target)
        clean = target.split("#", 1)[0]
        if kind and clean.rstrip("/") != url.split("#", 1)[0].rstrip("/"):
            if clean not in pages[kind]:
                pages[kind].append(clean)
    facts.emails = list({e.lower(): e for e in reversed(emails)}.values())[::-1]
    facts.contact_form = _contact_form(sel, url)
    facts.profiles = list(profiles.values())
    facts.pages = {k: v for k, v in pages.items() if v}
    return facts
