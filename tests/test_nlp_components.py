"""The scout_roles component on a blank multilingual pipeline."""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language

import nlp.components  # noqa: F401  (registers the factory)
from crawler.core.vocab import EU_LANGUAGES
from nlp.components import Evidence, decide
from nlp.lexicon import load_lexicon


@pytest.fixture(scope="module")
def pipe() -> Language:
    nlp = spacy.blank("xx")
    nlp.add_pipe("scout_roles")
    return nlp


def run(pipe: Language, text: str, lang: str | None = None) -> spacy.tokens.Doc:
    doc = pipe.make_doc(text)
    doc._.scout_lang = lang
    return pipe(doc)


def run_profile(pipe: Language, name: str, bio: str, lang: str | None) -> spacy.tokens.Doc:
    """A display name and a bio, as nlp.profile joins them (with their sections)."""
    text = f"{name}\n{bio}"
    doc = pipe.make_doc(text)
    doc._.scout_lang = lang
    doc._.scout_sections = [(0, len(name), "name"), (len(name) + 1, len(text), "bio")]
    return pipe(doc)


# One bio per official EU language, written for these tests.
MULTILINGUAL = [
    (
        "bg",
        "Неправителствена организация за защита на природата в България.",
        "organization",
        "ngo",
    ),
    ("cs", "Novinářka a redaktorka zpravodajského webu, píšu o klimatu.", "journalist", None),
    ("da", "Folketingsmedlem for Socialdemokratiet. Borgmester i 8 år.", "politician", None),
    (
        "de",
        "Wir sind die Gewerkschaft für den öffentlichen Dienst. Unsere Mitglieder zuerst.",
        "organization",
        "union",
    ),
    ("el", "Δημοσιογράφος και ανταποκριτής στις Βρυξέλλες.", "journalist", None),
    ("en", "Official account of the Ministry of Environment.", "organization", "public_body"),
    ("es", "Eurodiputada del grupo socialista. Antes alcaldesa de mi pueblo.", "politician", None),
    ("et", "Mittetulundusühing, mis kaitseb Eesti metsi. Liitu meiega!", "organization", "ngo"),
    ("fi", "Olemme ympäristöjärjestö. Tule mukaan toimintaan!", "organization", "ngo"),
    (
        "fr",
        "Syndicat des travailleurs de la santé. Nous défendons nos membres.",
        "organization",
        "union",
    ),
    ("ga", "Iriseoir agus láithreoir ar raidió náisiúnta.", "journalist", None),
    ("hr", "Saborska zastupnica i bivša gradonačelnica.", "politician", None),
    ("hu", "Országgyűlési képviselő, korábban polgármester.", "politician", None),
    ("it", "Fondazione che sostiene la ricerca sul cancro dal 1965.", "organization", "foundation"),
    ("lt", "Žurnalistė ir laidų vedėja, rašau apie politiką.", "journalist", None),
    (
        "lv",
        "Biedrība, kas aizstāv dzīvnieku tiesības. Pievienojies!",
        "organization",
        "association",
    ),
    ("mt", "Aħna għaqda volontarja li taħdem għall-ambjent f'Malta.", "organization", "ngo"),
    ("nl", "Wethouder en gemeenteraadslid voor GroenLinks in Utrecht.", "politician", None),
    ("pl", "Dziennikarka, reporterka, korespondentka w Brukseli.", "journalist", None),
    ("pt", "Sindicato dos professores. Defendemos a escola pública.", "organization", "union"),
    ("ro", "Scriitoare și poetă. Autoare a trei romane.", "public_figure", None),
    ("sk", "Mimovládna organizácia pomáhajúca ľuďom bez domova.", "organization", "ngo"),
    ("sl", "Evroposlanka in nekdanja županja.", "politician", None),
    ("sv", "Riksdagsledamot för Miljöpartiet. Kommunalråd i Malmö tidigare.", "politician", None),
]


def test_every_official_language_has_a_case() -> None:
    assert sorted(lang for lang, *_ in MULTILINGUAL) == sorted(EU_LANGUAGES)


@pytest.mark.parametrize(("lang", "bio", "role", "org_type"), MULTILINGUAL)
def test_multilingual_roles(
    pipe: Language, lang: str, bio: str, role: str, org_type: str | None
) -> None:
    doc = run(pipe, bio, lang)
    assert doc._.scout_role == role, doc._.scout_reasons
    assert doc._.scout_org_type == org_type
    assert 0.0 < doc._.scout_confidence <= 1.0
    assert doc._.scout_reasons and all(isinstance(r, str) for r in doc._.scout_reasons)


@pytest.mark.parametrize(
    ("text", "role", "org_type", "needle"),
    [
        # German compound: organisation word as the compound's head.
        ("Landessportverband Bayern", "organization", "association", "compound"),
        # Finnish compound with a case ending.
        ("Toimin ympäristöjärjestössä vapaaehtoisena", "organization", "ngo", "compound"),
        # Organisation word as a modifier of a person's job title.
        ("Gewerkschaftssekretärin, Mutter von zwei Kindern", "individual", None, "job title"),
        # Journalist at a newspaper is a journalist, not the newspaper.
        ("Journalist at The Daily Herald newspaper", "journalist", None, "journalist"),
        (
            "Wirtschaftsjournalistin beim Handelsblatt",
            "journalist",
            None,
            "Wirtschaftsjournalistin",
        ),
    ],
)
def test_compounds_and_affiliations(
    pipe: Language, text: str, role: str, org_type: str | None, needle: str
) -> None:
    lang = "en" if text.startswith("Journalist") else None
    doc = run(pipe, text, lang)
    assert doc._.scout_role == role, doc._.scout_reasons
    assert doc._.scout_org_type == org_type
    assert any(needle in r for r in doc._.scout_reasons), doc._.scout_reasons


def test_reason_names_word_category_and_language(pipe: Language) -> None:
    doc = run(pipe, "Gewerkschaft der Polizei, Landesbezirk Hessen", "de")
    assert "text: 'Gewerkschaft' (union, de)" in doc._.scout_reasons


def test_sections_label_reasons_and_legal_forms_weigh_in_names(pipe: Language) -> None:
    doc = run_profile(pipe, "Tierschutz Aktiv e.V.", "Für Tiere in Not.", "de")
    assert doc._.scout_role == "organization"
    assert doc._.scout_org_type == "association"
    assert any(r.startswith("name: 'e.V.'") for r in doc._.scout_reasons)


@pytest.mark.parametrize(
    ("name", "form", "org_type"),
    [
        # dotted forms in capitals: the tokenizer keeps "S.A." whole but splits "s.a."
        ("Cementos del Norte S.A.", "S.A.", "company"),
        ("Soros Gabinete S.L.U.", "S.L.U.", "company"),
        ("ΕΤΑΙΡΕΙΑ ΤΟΠΙΚΗΣ ΑΝΑΠΤΥΞΗΣ Α.Ε.", "Α.Ε.", "company"),
        ("ACME POLSKA SP. Z O.O.", "SP. Z O.O.", "company"),
        ("RegioJet a.s.", "a.s.", "company"),
        ("Kelley Drye & Warren LLP", "LLP", "company"),
        ("Omega Networking UG", "UG", "company"),
        ("Pulse Europe Policy SPRL", "SPRL", "company"),
        ("European Sunlight Association a.s.b.l.", "a.s.b.l.", "association"),
    ],
)
def test_legal_forms_in_any_case(pipe: Language, name: str, form: str, org_type: str) -> None:
    doc = run_profile(pipe, name, "", None)
    assert (doc._.scout_role, doc._.scout_org_type) == ("organization", org_type)
    assert f"name: '{form}' (legal form, {org_type})" in doc._.scout_reasons


def test_a_professional_partnership_in_the_bio(pipe: Language) -> None:
    bio = "Perez Law Group, PLLC provides bankruptcy services in Tampa."
    doc = run_profile(pipe, "Cristina Perez", bio, "en")
    found = {(e.org_type, e.weight, e.reason) for e in doc._.scout_evidence}
    assert ("company", 1.0, "bio: 'PLLC' (legal form, company)") in found


def test_short_terms_of_other_languages_do_not_count(pipe: Language) -> None:
    # "lega" is an Italian party name but an ordinary word elsewhere; in Italian it counts.
    assert run(pipe, "Lega", "it")._.scout_role == "organization"
    assert run(pipe, "Lega", "sl")._.scout_role == "individual"


@pytest.mark.parametrize(
    "name", ["Gupta Consulting", "Kesho Clothing", "Zenzi Lounge", "Penrhyn Studios"]
)
def test_business_words_in_a_name(pipe: Language, name: str) -> None:
    doc = run_profile(pipe, name, "Since 2009.", "en")
    assert (doc._.scout_role, doc._.scout_org_type) == ("organization", "company")


def test_job_titles_of_one_language_count_only_in_it(pipe: Language) -> None:
    # Latvian "students" is an English word too: not a person's job in an English bio.
    doc = run(pipe, "UAID empowers students and communities", "en")
    assert not any("'students'" in r for r in doc._.scout_reasons)
    doc = run(pipe, "Esmu students Rīgā", "lv")
    assert "text: 'students' (individual, lv)" in doc._.scout_reasons


def test_first_person_plural_only_in_its_language(pipe: Language) -> None:
    # Danish "i" means "in": not a first-person cue in a Danish text.
    doc = run(pipe, "Vi er en forening i Aarhus", "da")
    assert doc._.scout_role == "organization"
    assert not any("first person singular" in r for r in doc._.scout_reasons)


def test_pronouns_make_a_person(pipe: Language) -> None:
    doc = run(pipe, "she/her · climate, books, cats", "en")
    assert doc._.scout_role == "individual"
    assert any("she/her" in r for r in doc._.scout_reasons)


def test_no_evidence_is_low_confidence_individual(pipe: Language) -> None:
    doc = run(pipe, "🌻🌻🌻", None)
    assert doc._.scout_role == "individual"
    assert doc._.scout_confidence <= 0.3
    assert doc._.scout_org_type is None


def test_bot_marker(pipe: Language) -> None:
    doc = run(pipe, "I am a bot. Automated posts from the city's RSS feed.", "en")
    assert doc._.scout_bot is True


def test_decide_prefers_stronger_evidence_and_is_order_independent() -> None:
    ev = [
        Evidence("a", "organization", "media", 1.0, "r1"),
        Evidence("b", "journalist", "", 1.6, "r2"),
        Evidence("a", "organization", "media", 0.5, "r1 weaker duplicate"),
    ]
    d1 = decide(ev)
    d2 = decide(list(reversed(ev)))
    assert d1 == d2
    assert d1.role == "journalist"
    assert d1.reasons == ["r2"]


def test_lexicon_covers_all_languages_in_every_category() -> None:
    lex = load_lexicon()
    by_cat: dict[str, set[str]] = {}
    for term in lex.terms:
        if term.category not in {"legal_form", "esco"}:
            by_cat.setdefault(term.category, set()).update(term.langs)
    assert {"ngo", "union", "party", "politician", "journalist", "public_figure"} <= set(by_cat)
    for cat, langs in by_cat.items():
        assert langs == set(EU_LANGUAGES), (cat, set(EU_LANGUAGES) - langs)
    assert any(t.category == "esco" for t in lex.terms)


@pytest.mark.parametrize("bio", ["Everything is possible :)", "books ;-D and <3 for cats", "xoxo"])
def test_an_emoticon_in_the_bio_counts_for_a_person(pipe: Language, bio: str) -> None:
    doc = run_profile(pipe, "rizki adelia", bio, "en")
    assert any(r.startswith("bio: emoticon '") for r in doc._.scout_reasons)
    assert doc._.scout_role == "individual"


@pytest.mark.parametrize(
    "text",
    [
        "See https://example.org/p:D/x and http://x.eu:D",  # in an address: not one
        "Kesho Clothing: colour, prints (D) and fun outfits",
        "Plan A:D-Day",
    ],
)
def test_no_emoticon_in_addresses_or_letters(pipe: Language, text: str) -> None:
    doc = run(pipe, text, "en")
    assert not any("emoticon" in r for r in doc._.scout_reasons)


def test_an_emoticon_does_not_outweigh_a_legal_form(pipe: Language) -> None:
    doc = run_profile(pipe, "Tierschutz Aktiv e.V.", "Wir retten Tiere :)", "de")
    assert doc._.scout_role == "organization"
    assert "style:emoticon" in {ev.key for ev in doc._.scout_evidence}  # weighed, outweighed


@pytest.mark.parametrize(
    ("text", "lang", "org_type", "surface"),
    [
        # capitals drop the tonos: "ΕΝΩΣΗ" is "Ένωση" (association)
        ("ΕΝΩΣΗ ΑΣΦΑΛΙΣΤΙΚΩΝ ΕΤΑΙΡΙΩΝ ΕΛΛΑΔΟΣ", "el", "association", "ΕΝΩΣΗ"),
        # Greek typed without accents
        ("Είμαστε μια μη κερδοσκοπικη οργανωση για το περιβάλλον", "el", "ngo", "μη κερδοσκοπικη"),
        # capitals drop the accents in French too
        ("UNIVERSITE DE LILLE, FACULTE DES SCIENCES", "fr", "academic", "UNIVERSITE"),
    ],
)
def test_accents_missing_where_that_is_the_convention(
    pipe: Language, text: str, lang: str, org_type: str, surface: str
) -> None:
    doc = run(pipe, text, lang)
    assert doc._.scout_role == "organization"
    assert doc._.scout_org_type == org_type
    assert surface in {m.surface for m in doc._.scout_matches}


def test_unaccented_lower_case_latin_is_not_stretched(pipe: Language) -> None:
    # "Ένωση" written "ενωση" counts (Greek); a lower-case Latin word does not get its
    # accents back: "elu" is not "élu" (French for an elected official)
    assert run(pipe, "ενωση καταναλωτων", "el")._.scout_role == "organization"
    with_accent = run(pipe, "Jeune élu local à Lyon", "fr")
    without = run(pipe, "Jeune elu local à Lyon", "fr")
    assert any("'élu'" in r for r in with_accent._.scout_reasons)
    assert not any("'elu'" in r for r in without._.scout_reasons)
