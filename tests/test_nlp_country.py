"""Country inference: gazetteer, flags, TLDs, language prior; None when unsure."""

from __future__ import annotations

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
