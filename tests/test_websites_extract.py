"""What the website pass reads from a page: e-mails (plain and obfuscated), contact
forms, profile links with rel=me, the pages to read next, legal form, register number,
country and languages, on imprints written as real ones are, in several languages."""

from __future__ import annotations

import json

import pytest

from crawler.sites.candidates import site_urls, urls_in_text
from crawler.sites.extract import emails_in_text, read_page
from crawler.sites.legal import address_country, legal_form, register_id

IMPRESSUM = """<!doctype html><html lang="de-DE"><head><title>Impressum</title>
<link rel="alternate" hreflang="en" href="/en/imprint"></head><body>
<nav><a href="/">Start</a> <a href="/ueber-uns/">Über uns</a> <a href="/kontakt">Kontakt</a>
<a href="/impressum" title="Impressum">Impressum</a> <a href="https://other.example/impressum">x</a></nav>
<h1>Impressum</h1><p>Angaben gemäß § 5 TMG</p>
<p>Netzwerk Saubere Luft Berlin e.V.<br>Oranienstraße 25<br>10999 Berlin</p>
<p>Vertreten durch den Vorstand. Registergericht: Amtsgericht Charlottenburg,
Registernummer: VR 38472 B</p>
<p>E-Mail: vorstand [at] saubere-luft-berlin [dot] de · Presse: presse(at)saubere-luft-berlin.de</p>
<p>&#105;&#110;&#102;&#111;&#64;saubere-luft-berlin.de</p>
<footer><a rel="me" href="https://climatejustice.social/@saubereluft">Mastodon</a>
<a href="https://bsky.app/profile/saubere-luft-berlin.de">Bluesky</a>
<script>var x = "tracker@analytics.example";</script></footer></body></html>"""

MENTIONS = """<html lang="fr"><body><a href="/contactez-nous">Contactez-nous</a>
<a href="/mentions-l%C3%A9gales">Mentions légales</a><a href="/qui-sommes-nous">Qui sommes-nous ?</a>
<h1>Mentions légales</h1><p>Le site est édité par Respire, association loi 1901,
SIRET : 512 345 678 00023, 12 rue de la Roquette, 75011 Paris, France.</p>
<p>Contact : <a href="mailto:contact%40respire.example?subject=Bonjour">écrivez-nous</a></p>
<form role="search"><textarea></textarea></form></body></html>"""

COLOFON = """<html><body><p>Stichting Schone Lucht Nederland · Keizersgracht 123, 1015 CJ Amsterdam
· KvK-nummer: 41234567 · info<span>@</span>schonelucht<!-- no -->.example</p>
<form action="/verstuur" method="post"><input type="email"><textarea></textarea></form>
</body></html>"""

NOTE_LEGALI = """<html lang="it"><body><p>Aria Pulita APS – Via Roma 10, 00184 Roma –
C.F. 97123450580</p></body></html>"""

POLISH = """<html lang="pl"><body><p>Fundacja Czyste Niebo, ul. Marszałkowska 10,
00-590 Warszawa, KRS: 0000123456, kontakt: biuro&#64;czyste-niebo.example</p></body></html>"""


def test_german_impressum() -> None:
    facts = read_page(IMPRESSUM, "https://saubere-luft-berlin.de/impressum")
    assert facts.languages == ["de", "en"]
    assert facts.emails == [
        "vorstand@saubere-luft-berlin.de",
        "presse@saubere-luft-berlin.de",
        "info@saubere-luft-berlin.de",
    ]
    assert facts.pages == {
        "contact": ["https://saubere-luft-berlin.de/kontakt"],
        "about": ["https://saubere-luft-berlin.de/ueber-uns/"],
    }  # the page itself and other sites' pages are not listed
    assert [(p.platform, p.url, p.rel_me) for p in facts.profiles] == [
        ("mastodon", "https://climatejustice.social/@saubereluft", True),
        ("bluesky", "https://bsky.app/profile/saubere-luft-berlin.de", False),
    ]
    assert facts.contact_form is None
    assert legal_form(facts.text) == "e.V."
    assert register_id(facts.text) == "VR 38472 B"
    assert address_country(facts.text, facts.languages) == "DE"


def test_french_mentions_legales() -> None:
    facts = read_page(MENTIONS, "https://respire.example/")
    assert facts.emails == ["contact@respire.example"]
    assert facts.contact_form is None  # a search form is not a contact form
    assert set(facts.pages) == {"contact", "imprint", "about"}
    assert legal_form(facts.text) == "association loi 1901"
    assert register_id(facts.text) == "SIRET 512 345 678 00023"
    assert address_country(facts.text, facts.languages) == "FR"


def test_dutch_colofon_without_lang() -> None:
    facts = read_page(COLOFON, "https://schonelucht.example/colofon")
    assert facts.languages == []
    assert facts.emails == ["info@schonelucht.example"]
    assert facts.contact_form == "https://schonelucht.example/verstuur"
    assert legal_form(facts.text) == "Stichting"
    assert register_id(facts.text) == "KvK 41234567"
    assert address_country(facts.text, ["nl"]) == "NL"


@pytest.mark.parametrize(
    ("page", "form", "register", "country"),
    [
        (NOTE_LEGALI, "APS", "C.F. 97123450580", "IT"),
        (POLISH, "fundacja", "KRS 0000123456", "PL"),
    ],
)
def test_more_imprints(page: str, form: str, register: str, country: str) -> None:
    facts = read_page(page, "https://x.example/")
    assert legal_form(facts.text) == form
    assert register_id(facts.text) == register
    assert address_country(facts.text, facts.languages) == country


@pytest.mark.parametrize(
    ("text", "emails"),
    [
        ("info [at] air [dot] eu", ["info@air.eu"]),
        ("kontakt(at)verein.de", ["kontakt@verein.de"]),
        ("hello {at} clean-air {dot} org", ["hello@clean-air.org"]),
        ("contact AT respire DOT fr", ["contact@respire.fr"]),
        ("logo@2x.png and icon@3x.jpg", []),
        ("no address at all, meet at noon", []),
    ],
)
def test_obfuscations(text: str, emails: list[str]) -> None:
    assert emails_in_text(text) == emails


def test_no_country_without_an_address() -> None:
    assert address_country("We campaign across Europe for clean air.", ["en"]) is None
    assert legal_form("We campaign for clean air.") is None


def test_site_urls_order_and_filters() -> None:
    fields = json.dumps(
        [
            {"name": "Blog", "value": "https://blog.klima.example/", "verified_at": None},
            {
                "name": "Website",
                "value": "https://klima.example",
                "verified_at": "2026-01-01T00:00:00Z",
            },
            {"name": "Mastodon", "value": "https://mastodon.social/@x", "verified_at": None},
            {
                "name": "Sign",
                "value": "https://citizens-initiative.europa.eu/x",
                "verified_at": None,
            },
        ]
    )
    got = site_urls(
        "a",
        "mastodon",
        "x@eu.social",
        "Mehr: klima.example/kontakt & bit.ly/x",
        fields,
        ("mastodon.social",),
    )
    assert [(c.url, c.source, c.verified) for c in got] == [
        ("https://klima.example/", "field", True),
        ("https://blog.klima.example/", "field", False),
    ]
    assert [c.url for c in site_urls("b", "bluesky", "respire.fr", None, None)] == [
        "https://respire.fr/"
    ]
    assert site_urls("c", "bluesky", "someone.bsky.social", None, None) == []
    assert urls_in_text("see www.air.eu.") == ["https://www.air.eu"]
