"""Websites of the demo world's organisations and public figures (issue 11, item 5).

:func:`site_specs` picks the accounts that get a site (every non-individual, non-bot
account with a ``website``) and decides, deterministically from the account index,
what each site shows: home, contact, imprint and about pages in the account's
language, an imprint with the legal form, register number and postal address usual in
its country, a public e-mail written plainly or obfuscated (``[at]``/``[dot]``,
``(at)``, HTML entities, split by a tag) or only a contact form, a ``rel="me"`` link
back to the account's profile; a few disallow eci-scout in robots.txt (whole site or
the imprint) and a few are hostile (a page over the size cap, a redirect loop, a
redirect to a metadata or private address). :func:`render` answers one request.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import urlsplit

from scout_demo.model import Account, World
from scout_demo.tables import LANGS

# (contact, imprint, about, imprint path, "write to us", "contact form", "send")
WORDS: dict[str, tuple[str, str, str, str, str, str, str]] = {
    "de": ("Kontakt", "Impressum", "Über uns", "/impressum", "Schreiben Sie uns", "Kontaktformular", "Senden"),
    "fr": ("Contact", "Mentions légales", "Qui sommes-nous", "/mentions-legales", "Écrivez-nous", "Formulaire de contact", "Envoyer"),
    "nl": ("Contact", "Colofon", "Over ons", "/colofon", "Schrijf ons", "Contactformulier", "Verzenden"),
    "it": ("Contatti", "Note legali", "Chi siamo", "/note-legali", "Scriveteci", "Modulo di contatto", "Invia"),
    "es": ("Contacto", "Aviso legal", "Quiénes somos", "/aviso-legal", "Escríbenos", "Formulario de contacto", "Enviar"),
    "pt": ("Contacto", "Aviso legal", "Sobre nós", "/aviso-legal", "Escreva-nos", "Formulário de contacto", "Enviar"),
    "pl": ("Kontakt", "Nota prawna", "O nas", "/nota-prawna", "Napisz do nas", "Formularz kontaktowy", "Wyślij"),
    "cs": ("Kontakt", "Impressum", "O nás", "/impressum", "Napište nám", "Kontaktní formulář", "Odeslat"),
    "hu": ("Kapcsolat", "Impresszum", "Rólunk", "/impresszum", "Írjon nekünk", "Kapcsolatfelvételi űrlap", "Küldés"),
    "ro": ("Contact", "Informații legale", "Despre noi", "/informatii-legale", "Scrieți-ne", "Formular de contact", "Trimite"),
    "el": ("Επικοινωνία", "Νομική σημείωση", "Σχετικά", "/legal-notice", "Γράψτε μας", "Φόρμα επικοινωνίας", "Αποστολή"),
    "en": ("Contact", "Legal notice", "About us", "/legal-notice", "Write to us", "Contact form", "Send"),
    "sv": ("Kontakt", "Impressum", "Om oss", "/impressum", "Skriv till oss", "Kontaktformulär", "Skicka"),
    "fi": ("Yhteystiedot", "Imprint", "Meistä", "/imprint", "Kirjoita meille", "Yhteydenottolomake", "Lähetä"),
    "da": ("Kontakt", "Kolofon", "Om os", "/kolofon", "Skriv til os", "Kontaktformular", "Send"),
}  # fmt: skip

# country -> (postcode format with {n} digits filled, legal form of an association,
# register line, company form); 0 in a format is replaced by digits of the index
_LEGAL: dict[str, tuple[str, str, str]] = {
    "DE": ("10{n3}", "e.V.", "Eingetragen im Vereinsregister des Amtsgerichts Charlottenburg, VR {n5} B"),
    "AT": ("1{n3}", "Verein", "ZVR-Zahl: 9{n8}"),
    "FR": ("750{n2}", "association loi 1901", "SIREN : 8{n2} {n3} {n3}"),
    "BE": ("10{n2}", "asbl", "Numéro d'entreprise : 0{n3}.{n3}.{n3}"),
    "NL": ("10{n2} AB", "Stichting", "KvK-nummer: 4{n7}"),
    "IT": ("00{n3}", "APS", "C.F. 9{n10}"),
    "ES": ("280{n2}", "Asociación", "CIF: G{n8}"),
    "PT": ("1000-{n3}", "Associação", "NIPC: 5{n8}"),
    "PL": ("00-{n3}", "stowarzyszenie", "KRS: 0000{n6}"),
    "CZ": ("110 {n2}", "z. s.", "IČO: 6{n7}"),
    "HU": ("10{n2}", "egyesület", "Nyilvántartási szám: 01-02-{n7}"),
    "RO": ("010{n3}", "asociație", "CIF: RO{n8}"),
    "GR": ("105 {n2}", "Σωματείο", "ΑΦΜ: 99{n7}"),
    "IE": ("D02 X{n3}", "CLG", "CRO number: 6{n5}"),
    "MT": ("VLT {n4}", "VO", "VO/{n4}"),
    "SE": ("111 {n2}", "ideell förening", "Org.nr: 802{n3}-{n4}"),
    "FI": ("00{n3}", "ry", "Yhdistysrekisteri: 2{n5}"),
    "DK": ("1{n3}", "forening", "CVR: 3{n7}"),
}  # fmt: skip
HOSTILE = ("huge", "loop", "metadata", "private")
HUGE_BYTES = 3 * 1024 * 1024  # over the website spider's 2 MB cap


@dataclass
class SiteSpec:
    account: int  # index in world.accounts
    name: str
    domain: str  # the .example domain of the account's website (e-mail domain)
    lang: str
    country: str | None
    email: str  # plain | brackets | parens | entities | split | none
    form: bool
    rel_me: bool
    robots: str  # none | all | imprint
    hostile: str | None = None
    url: str = ""  # the served URL, set once bound
    profile: str = ""  # the account's profile URL, set once bound
    also: tuple[str, ...] = ()  # the profiles of its twin accounts (rel=me), once bound


def _digits(seed: int, n: int) -> str:
    return str((seed * 7919 + 104729) % 10**n).zfill(n)


def _fill(fmt: str, seed: int) -> str:
    out = fmt
    for n in range(10, 1, -1):
        out = out.replace(f"{{n{n}}}", _digits(seed + n, n))
    return out


def site_specs(world: World) -> list[SiteSpec]:
    """The demo sites, one per account with a website that is not an individual or a
    bot, in account order."""
    specs: list[SiteSpec] = []
    for acc in world.accounts:
        if not acc.website or acc.kind in ("individual", "bot") or acc.is_bot:
            continue
        i = acc.idx
        lang = acc.language if acc.language in WORDS else "en"
        specs.append(
            SiteSpec(
                account=i,
                name=acc.display_name,
                domain=urlsplit(acc.website).hostname or "site.example",
                lang=lang,
                country=acc.home_country,
                email=("plain", "brackets", "parens", "entities", "split", "none")[i % 6],
                form=i % 6 == 5 or i % 3 == 0,
                rel_me=any(v == acc.website and ok for _n, v, ok in acc.fields) or i % 2 == 0,
                robots="all" if i % 25 == 7 else "imprint" if i % 25 == 11 else "none",
            )
        )
    # the hostile ones: the first sites that let us in, never a twin's (its site proves
    # the twin: scout_demo.twins picks those before the sites are served)
    plain = [s for s in specs if s.robots == "none" and s.account not in world.twins]
    for spec, kind in zip(plain, HOSTILE, strict=False):
        spec.hostile = kind
    return specs


def profile_url(acc: Account, mastodon_urls: list[str]) -> str:
    if acc.platform == "mastodon":
        return f"{mastodon_urls[acc.instance or 0]}/@{acc.username}"
    return f"https://bsky.app/profile/{acc.username}"


def _email_html(spec: SiteSpec) -> str:
    user = "info" if spec.account % 2 else "kontakt" if spec.lang == "de" else "contact"
    address = f"{user}@{spec.domain}"
    host, _, tld = spec.domain.rpartition(".")
    if spec.email == "plain":
        return f'<a href="mailto:{address}">{address}</a>'
    if spec.email == "brackets":
        return f"{user} [at] {host} [dot] {tld}"
    if spec.email == "parens":
        return f"{user}(at){spec.domain}"
    if spec.email == "entities":
        return "".join(f"&#{ord(c)};" for c in address)
    if spec.email == "split":
        return f"{user}<span>@</span>{spec.domain}"
    return ""


def _page(spec: SiteSpec, title: str, body: str) -> bytes:
    contact, imprint, about, path, *_ = WORDS[spec.lang]
    nav = (
        f'<nav><a href="/">{html.escape(spec.name)}</a> · <a href="/about">{about}</a> · '
        f'<a href="/contact">{contact}</a> · <a href="{path}">{imprint}</a></nav>'
    )
    links = [f'<a rel="me" href="{html.escape(spec.profile)}">Social</a>'] if spec.rel_me else []
    links += [f'<a rel="me" href="{html.escape(p)}">Bluesky</a>' for p in spec.also]
    me = f"<footer>{' · '.join(links)}</footer>" if links else ""
    doc = (
        f'<!doctype html><html lang="{spec.lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>{nav}<main><h1>{html.escape(title)}</h1>"
        f"{body}</main>{me}</body></html>"
    )
    return doc.encode("utf-8")


def _address(spec: SiteSpec) -> str:
    if spec.country is None:
        return ""
    names = LANGS.get(spec.lang, {}).get("countries", {}).get(spec.country)
    if not names:
        names = next(
            (
                v["countries"][spec.country]
                for v in LANGS.values()
                if spec.country in v["countries"]
            ),
            None,
        )
    if not names:
        return ""
    country_name, _flag, cities = names
    city = cities[spec.account % len(cities)]
    fmt = _LEGAL.get(spec.country, ("1{n3}", "", ""))[0]
    return f"Hauptstraße {spec.account % 90 + 1}, {_fill(fmt, spec.account)} {city}, {country_name}"


def render(spec: SiteSpec, path: str) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of ``path`` on the site."""
    contact, imprint, about, imprint_path, write, form_label, send = WORDS[spec.lang]
    html_type = {"Content-Type": "text/html; charset=utf-8"}
    path = path.split("?", 1)[0]
    if path == "/robots.txt":
        rules = {"all": "Disallow: /", "imprint": f"Disallow: {imprint_path}", "none": "Disallow:"}
        body = (
            f"User-agent: eci-scout\n{rules[spec.robots]}\n\nUser-agent: *\nDisallow: /private/\n"
        )
        return 200, {"Content-Type": "text/plain"}, body.encode()
    if spec.hostile == "huge" and path == "/":
        return (
            200,
            html_type,
            b"<html><body>" + b"<p>clean air</p>" * (HUGE_BYTES // 16) + b"</body></html>",
        )
    if spec.hostile == "loop":
        return 302, {"Location": "/b" if path != "/b" else "/"}, b""
    if spec.hostile == "metadata":
        return 302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""
    if spec.hostile == "private":
        return 301, {"Location": "http://10.0.0.1/admin"}, b""
    if path == "/":
        body = f"<p>{html.escape(spec.name)}</p><p>Clean Air for All 🇪🇺</p>"
        return 200, html_type, _page(spec, spec.name, body)
    if path == "/about":
        return 200, html_type, _page(spec, about, f"<p>{html.escape(spec.name)}</p>")
    if path == "/contact":
        body = f"<p>{write}: {_email_html(spec)}</p><p>{html.escape(_address(spec))}</p>"
        if spec.form:
            body += (
                f'<h2>{form_label}</h2><form method="post" action="/contact/send">'
                f'<input name="name"><input type="email" name="email"><textarea name="message">'
                f"</textarea><button>{send}</button></form>"
            )
        return 200, html_type, _page(spec, contact, body)
    if path == imprint_path:
        fmt, form, register = _LEGAL.get(spec.country or "", ("", "", ""))
        name = f"{spec.name} {form}".strip()
        body = (
            f"<p>{html.escape(name)}</p><p>{html.escape(_address(spec))}</p>"
            f"<p>{html.escape(_fill(register, spec.account))}</p><p>{_email_html(spec)}</p>"
        )
        return 200, html_type, _page(spec, imprint, body)
    return 404, html_type, b"<html><body>not found</body></html>"
