"""Country inference: gazetteer, flags, TLDs, language prior; None when unsure."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.country import find_places, flags, infer_country


@pytest.mark.parametrize(
    ("bio", "fields", "name", "instance", "lang", "expected"),
    [
        ("Aktivistin aus Wien", [], "Anna", None, "de", "AT"),
        ("", [{"name": "Location", "value": "Wien"}], "Anna", None, "de", "AT"),
        ("Mieszkam w Łodzi, pracuję w Warszawa", [], "Ola", None, "pl", "PL"),
        ("Δημοσιογράφος, Αθήνα", [], "Γιώργος", None, "el", "GR"),
        ("Journalistin in München", [], "Eva", None, "de", "DE"),
        ("Live from Lodz", [], "Ola", None, "en", "PL"),
        ("Climate nerd", [], "Marie 🇫🇷", None, "fr", "FR"),
        ("", [{"name": "Ort", "value": "Kraków, Polska"}], "Jan", None, None, "PL"),
        ("Activist based in London", [], "Sam", None, "en", None),
        ("Zürich, Schweiz", [], "Urs", None, "de", None),
        ("Reading, running, coffee", [], "Kim", None, "en", None),
        ("Reading, running, coffee", [], "Kim", None, None, None),
        # Language alone is only a weak prior: not enough for a country.
        ("Lubię góry i książki", [], "Ola", None, "pl", None),
        # A weak link TLD plus the language prior is enough.
        ("", [{"name": "Web", "value": "https://example.pl/o-mnie"}], "Ola", None, "pl", "PL"),
        # English and German are spoken in several states: no prior.
        ("I like mountains and books", [], "Ola", "mastodon.social", "en", None),
        # Case-sensitive ambiguous names: "nice" is an English word, "Nice" a French city.
        ("nice people only", [], "Kim", None, "en", None),
        ("Born and raised in Nice", [], "Kim", None, "en", "FR"),
    ],
)
def test_infer_country(
    bio: str,
    fields: list[dict[str, str]],
    name: str,
    instance: str | None,
    lang: str | None,
    expected: str | None,
) -> None:
    code, conf, reasons = infer_country(bio, fields, name, instance, lang)
    assert code == expected, reasons
    if expected is None:
        assert conf == 0.0
    else:
        assert 0.0 < conf <= 1.0
    assert reasons


def test_reason_format_for_location_field() -> None:
    code, _, reasons = infer_country("", [{"name": "Location", "value": "Wien"}], "", None, None)
    assert code == "AT"
    assert "field Location: 'Wien' -> AT" in reasons


def test_language_prior_reason() -> None:
    code, _, reasons = infer_country("", [], "", "mastodon.pl", "pl")
    assert code == "PL"
    assert "language pl -> PL (weak)" in reasons
    assert "instance mastodon.pl -> PL (weak)" in reasons


def test_non_eu_city_outweighs_solidarity_flag() -> None:
    assert infer_country("London 🇺🇦", [], "", None, "en")[0] is None


def test_eu_city_beats_solidarity_flag() -> None:
    assert infer_country("Berlin 🇺🇦", [], "", None, "de")[0] == "DE"


def test_two_countries_tied_is_none() -> None:
    assert infer_country("Berlin | Paris", [], "", None, "en")[0] is None


def test_flags_and_places_helpers() -> None:
    assert flags("🇪🇺🇩🇪🇬🇷") == [("🇩🇪", "DE"), ("🇬🇷", "GR")]
    names = [p.country for _, p in find_places("From Northern Ireland, now in Dublin")]
    assert names == ["--", "IE"]


def test_gazetteer_file_is_the_builders_output(tmp_path: Path) -> None:
    from nlp.build_gazetteer import write
    from nlp.lexicon import LEXICON_DIR

    out = tmp_path / "gazetteer.tsv"
    write(out)
    assert out.read_text(encoding="utf-8") == (LEXICON_DIR / "gazetteer.tsv").read_text(
        encoding="utf-8"
    ), "run `python -m nlp.build_gazetteer` and commit data/lexicons/gazetteer.tsv"


@pytest.mark.parametrize(
    ("bio", "name", "lang", "expected"),
    [
        # exonyms and country names in other EU languages (CLDR, GeoNames)
        ("Wohnhaft in Mailand", "Luca", "de", "IT"),
        ("Basée à Varsovie", "Anna", "fr", "PL"),
        ("Trabajo en Kopenhagen", "Ana", "es", "DK"),
        ("Живея във Виена", "Иван", "bg", "AT"),
        ("Asun Ranskassa ja rakastan Ranska", "Aino", "fi", "FR"),
        # a non-member country named in another language: no member state
        ("Wohnhaft in der Schweiz", "Urs", "de", None),
        ("Installé au Royaume-Uni", "Paul", "fr", None),
        # first names and words that are also places give no country
        ("Pensionist, elsker vandreture", "Sofie Jørgensen", "da", None),
        ("Estudante de ciências do ambiente", "Sofia Pereira", "pt", None),
        ("para todos", "Maria", "pt", None),
    ],
)
def test_gazetteer_names_in_every_language(
    bio: str, name: str, lang: str, expected: str | None
) -> None:
    code, _, reasons = infer_country(bio, [], name, None, lang)
    assert code == expected, reasons


def test_own_website_in_a_field_answers_alone() -> None:
    fields = [{"name": "Website", "value": "https://www.aimplas.es"}]
    code, _, reasons = infer_country(
        "Technology centre for plastics", fields, "AIMPLAS", None, "en"
    )
    assert code == "ES"
    assert "field Website: website www.aimplas.es -> ES" in reasons
    # a profile on a federated service is no website of the account's own
    fields = [{"name": "Pixelfed", "value": "https://pixelfed.de/anna"}]
    assert infer_country("Fotos", fields, "Anna", None, "en")[0] is None
    fields = [{"name": "Also", "value": "https://mastodon.nl/@anna"}]
    assert infer_country("Fotos", fields, "Anna", None, "en")[0] is None
    # a geographic TLD names its member state
    fields = [{"name": "Web", "value": "https://verein.bayern"}]
    assert infer_country("", fields, "Verein", None, "de")[0] == "DE"


def test_instance_country_from_known_list_and_city_in_host() -> None:
    # weak alone, enough with the language prior of a one-state language
    code, _, reasons = infer_country("", [], "", "mastodon.uno", "it")
    assert code == "IT", reasons
    assert "instance mastodon.uno (known instance) -> IT (weak)" in reasons
    assert infer_country("", [], "", "mastodon.uno", "en")[0] is None
    code, _, reasons = infer_country("Ich fahre Rad", [], "", "graz.social", "de")
    assert code is None  # German is spoken in several states: the instance is weak
    code, _, reasons = infer_country("Radfahrerin, Steiermark 🇦🇹", [], "", "graz.social", "de")
    assert code == "AT"
    assert any("graz.social names Graz" in r for r in reasons)


def test_an_imprints_address_outweighs_the_sites_domain() -> None:
    from nlp.classify import Classifier
    from nlp.profile import site_countries

    assert site_countries(
        [
            {"url": "https://www.luft.example.de/kontakt", "country": "AT"},
            {"url": "http://luft.example.de", "country": "AT"},  # the same host, once
            {"url": "https://other.example", "country": "US"},  # not a member state
            {"url": "", "country": "DE"},
            "not a row",
        ]
    ) == [("luft.example.de", "AT")]
    assert site_countries(7) == site_countries("AT") == site_countries(None) == []
    clf = Classifier()
    profile = {
        "display_name": "Saubere Luft",
        "bio": "Für saubere Luft.",
        "fields": [{"name": "Web", "value": "https://luft.example.de"}],
    }
    assert clf.classify(profile)["country"] == "DE"  # the ccTLD alone
    out = clf.classify({**profile, "sites": [{"url": "https://luft.example.de/", "country": "AT"}]})
    assert out["country"] == "AT", out["reasons"]
    assert "website luft.example.de: imprint address in AT" in out["reasons"]


def test_an_imprints_legal_form_decides_the_type_not_the_role() -> None:
    from crawler.sites.legal import LEGAL_FORMS
    from nlp.classify import IMPRINT_FORM_TYPES, IMPRINT_FORMS_SHARED, Classifier

    # every form the website pass can store is either a type or deliberately none
    labels = {label.lower() for label, _ in LEGAL_FORMS}
    assert labels == set(IMPRINT_FORM_TYPES) | IMPRINT_FORMS_SHARED
    clf = Classifier()
    org = {
        "display_name": "Saubere Luft für Kinder",
        "bio": "Wir fördern Projekte für saubere Luft an Schulen in ganz Deutschland.",
    }
    plain = clf.classify(org)
    assert plain["role"] == "organization" and plain["org_type"] != "company"
    site = {"url": "https://www.luft-projekte.example/impressum", "legal_form": "GmbH"}
    found = clf.classify({**org, "sites": [site]})
    assert found["org_type"] == "company", found["reasons"]
    assert (
        "website luft-projekte.example: imprint legal form 'GmbH' (company)" in (found["reasons"])
    )
    # the forms associations, NGOs, unions and operating foundations share change nothing
    for form in ("e.V.", "Stichting", "Fundacja", "Ltd"):
        shared = clf.classify({**org, "sites": [{**site, "legal_form": form}]})
        assert (shared["org_type"], shared["reasons"]) == (plain["org_type"], plain["reasons"])
    # a journalist whose site a publisher runs stays a journalist
    reporter = {"display_name": "Anna Weber", "bio": "Journalistin. Umwelt und Klima."}
    assert clf.classify(reporter)["role"] == "journalist"
    published = {"url": "https://verlag.example", "legal_form": "GmbH"}
    assert clf.classify({**reporter, "sites": [published]})["role"] == "journalist"


def test_a_bluesky_handle_on_an_own_domain_names_the_country() -> None:
    from crawler.core.identity import own_handle_domain
    from nlp.classify import Classifier

    assert own_handle_domain("bluesky", "Luft-Berlin.de.") == "luft-berlin.de"
    assert own_handle_domain("bluesky", "@luft-berlin.de") == "luft-berlin.de"
    assert own_handle_domain("bluesky", "ola@mastodon.pl") is None
    assert own_handle_domain("bluesky", "luft berlin.de") is None
    assert own_handle_domain("bluesky", "anna.bsky.social") is None
    assert own_handle_domain("bluesky", "jay.bsky.team") is None
    assert own_handle_domain("bluesky", "anna.mastodon.social.ap.brid.gy") is None
    assert own_handle_domain("bluesky", "handle.invalid") is None
    assert own_handle_domain("mastodon", "anna@social.example.de") is None
    assert own_handle_domain(None, "luft.de") is None
    clf = Classifier()
    profile = {"platform": "bluesky", "display_name": "Saubere Luft", "bio": "Für saubere Luft."}
    assert clf.classify({**profile, "handle": "luft.bsky.social"})["country"] is None
    own = clf.classify({**profile, "handle": "saubereluft.at"})
    assert own["country"] == "AT"
    assert "handle saubereluft.at: own domain -> AT" in own["reasons"]
    # a generic or outside-EU domain names no member state
    assert clf.classify({**profile, "handle": "saubereluft.org"})["country"] is None
    uk = clf.classify({**profile, "handle": "cleanair.co.uk"})
    assert uk["country"] is None
    assert "handle cleanair.co.uk: own domain (outside the EU, weak)" in uk["reasons"]


def test_a_mastodon_handle_names_the_instance_when_none_is_given() -> None:
    """`scout classify` input without `instance`: a Mastodon handle's host is the
    account's server (as the crawler stores it), weak country evidence."""
    from nlp.classify import Classifier
    from nlp.profile import instance_of

    assert instance_of({"platform": "mastodon", "handle": "@ola@Mastodon.PL"}) == "mastodon.pl"
    assert instance_of({"platform": "mastodon", "handle": "ola", "instance": "x.de"}) == "x.de"
    assert instance_of({"platform": "bluesky", "handle": "ola.bsky.social"}) is None
    assert instance_of({"platform": "mastodon", "handle": "ola"}) is None
    profile = {"platform": "mastodon", "handle": "ola@mastodon.pl", "display_name": "Ola",
               "bio": "Lubię góry i książki", "post_langs": ["pl"]}  # fmt: skip
    out = Classifier().classify(profile)
    assert out["country"] == "PL"
    assert "instance mastodon.pl -> PL (weak)" in out["reasons"]
    assert Classifier().classify({**profile, "platform": "bluesky"})["country"] is None
