"""Classifier end to end: schema, flags, determinism, and the labelled real bios."""

from __future__ import annotations

import csv
import time
from typing import Any

import pytest

from nlp.classify import Classifier, ClassifierConfig
from tests.support.fixtures import SHARED_DIR

SHARED = SHARED_DIR
HUMANIZR = SHARED / "data" / "labels" / "humanizr_dev.csv"

# The lexicon alone on humanizr_dev.csv (1,016 bios): accuracy 0.833, F1 0.810; the
# floors leave a margin for lexicon edits.  (The shipped model was trained on these
# rows, so the full classifier is scored by cross-validation below, not here.)
# Short social bios of organisations that name what they are: the labelled data's only
# social bios of organisations are media outlets', so the model alone reads these as
# media; the profile's own type word and the absence of any media word decide.
SOCIAL_ORGS = [
    ("Vélo Cité Toulouse", "Association pour le vélo et des villes respirables. Toulouse", "fr"),
    ("Radentscheid", "Verein für Radverkehr und lebenswerte Städte e.V | Hamburg", "de"),
    ("Respirons Ensemble", "ONG environnementale. Nous luttons pour un air pur", "fr"),
    ("Transportforbundet", "Fagforbund for ansatte i transport og sundhed", "da"),
    ("Cidade de Bicicleta", "Associação pela bicicleta e cidades saudáveis.", "pt"),
]


@pytest.mark.parametrize(("name", "bio", "lang"), SOCIAL_ORGS)
def test_a_social_bio_naming_its_type_is_not_media(
    clf: Classifier, name: str, bio: str, lang: str
) -> None:
    out = clf.classify(
        {"platform": "mastodon", "display_name": name, "bio": bio, "post_langs": [lang]}
    )
    assert out["role"] == "organization"
    assert out["org_type"] not in (None, "media"), out["reasons"]


# Social bios as campaign communities write them, each with what it must read as:
# - organisations naming no type: the model reads them as NGOs, and the combiner, which
#   learned "no type word -> media" from the register (its media entries state no
#   type), must not overrule it (all four were media);
# - the EU's office-holders an ECI is addressed to (all were individuals);
# - everyday cyclists, skiers and sporty parents: sport words are public-figure evidence
#   only as a profession (all were public figures, so influencers);
# - "política" / "politica" mostly mean politics or policy: an interest, not an office
#   (five dev rows, individuals and organisations, were politicians through them).
SOCIAL_BIOS: list[tuple[str, str, dict[str, str]]] = [
    ("Amnesty International", "We are a global movement of more than 10 million people "
     "fighting injustice and promoting human rights.", {"org_type": "ngo"}),
    ("ILGA-Europe", "We work for human rights and equality for LGBTI people at European "
     "level.", {"org_type": "ngo"}),
    ("Milieudefensie", "Wij strijden voor een eerlijke en groene wereld.", {"org_type": "ngo"}),
    ("Ecologistas en Acción", "Confederación de más de 300 grupos ecologistas. Defendemos "
     "el medio ambiente.", {"org_type": "ngo"}),
    ("Jessika Roswall", "European Commissioner for Environment and a Circular Economy.",
     {"role": "politician", "scope": "european"}),
    ("Maria Muster", "EU-Kommissarin für Umwelt", {"role": "politician", "scope": "european"}),
    ("Pina Picierno", "Vicepresidente del Parlamento europeo",
     {"role": "politician", "scope": "european"}),
    ("Ewa Kopacz", "Wiceprzewodnicząca Parlamentu Europejskiego",
     {"role": "politician", "scope": "european"}),
    ("Jean Martin", "Commissaire européen à l'environnement",
     {"role": "politician", "scope": "european"}),
    ("Teresa Ribera", "Executive Vice-President of the European Commission",
     {"role": "politician", "scope": "european"}),
    ("Giulia", "mamma, ciclista urbana, amo il mare", {"role": "individual"}),
    ("Marie", "Cycliste du quotidien, maman de deux enfants", {"role": "individual"}),
    ("Tom", "Runner, cyclist, dad of two", {"role": "individual"}),
    ("Kasia", "Narciarka i mama, Kraków", {"role": "individual"}),
    ("Chiara", "Sportiva, insegnante, Torino", {"role": "individual"}),
    ("Jan Bakker", "Profwielrenner bij Team Visma", {"role": "public_figure"}),
    ("Lucía", "Me apasiona la política y la bici. Sevilla", {"role": "individual"}),
    ("Maria Rossi", "Appassionata di politica e ambiente, mamma", {"role": "individual"}),
    ("Ana", "Interessado em política europeia e ciclismo", {"role": "individual"}),
    ("Lucía Pérez", "Diputada en el Congreso por Sevilla", {"role": "politician"}),
    ("Maria Rossi", "Consigliera comunale a Bologna", {"role": "politician"}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "bio", "expected"), SOCIAL_BIOS)
def test_social_bios_read_as_what_they_are(
    clf: Classifier, name: str, bio: str, expected: dict[str, str]
) -> None:
    out = clf.classify({"platform": "mastodon", "display_name": name, "bio": bio})
    if "org_type" in expected:
        expected = {"role": "organization", **expected}
    assert {k: out[k] for k in expected} == expected, out["reasons"]


def test_media_with_a_media_word_stays_media(clf: Classifier) -> None:
    for name, bio, lang in [
        ("Le Progrès Lyon", "Quotidien régional : l'actualité de Lyon et de sa région", "fr"),
        ("Radio Lublin", "Rozgłośnia regionalna, wiadomości z regionu", "pl"),
        ("Stadtmagazin", "Das Magazin für Leipzig: Kultur, Politik und Verein", "de"),
    ]:
        out = clf.classify(
            {"platform": "mastodon", "display_name": name, "bio": bio, "post_langs": [lang]}
        )
        assert (out["role"], out["org_type"]) == ("organization", "media"), (name, out["reasons"])


def test_the_set_aside_reading_is_explained() -> None:
    from nlp.combine import combine
    from nlp.components import Decision, Evidence
    from nlp.textcat import ModelPrediction

    probs = {
        "individual": 0.02,
        "politician": 0.01,
        "organization/media": 0.8,
        "organization/ngo": 0.1,
        "organization/company": 0.06,
        "organization/association": 0.01,
    }
    pred = ModelPrediction(0.95, probs, "organization/media")
    ev = [
        Evidence(
            "assoc:association",
            "organization",
            "association",
            2.0,
            "bio: 'Association' (association, fr)",
        )
    ]
    lexicon = Decision("organization", "association", 0.8, [], False, {"organization": 2.0})
    out = combine(pred, lexicon, ev)
    assert out.org_type == "ngo"  # the model's next reading, the lexicon's weak type beside it
    assert (
        "the model's media reading set aside: no media word, and association named" in out.reasons
    )
    # with a media word, the model's reading stands
    media = Evidence("media:radio", "organization", "media", 1.0, "name: 'Radio' (media)")
    assert combine(pred, lexicon, [*ev, media]).org_type == "media"


def test_a_type_the_model_barely_saw_comes_from_the_lexicon(clf: Classifier) -> None:
    from nlp.textcat import cached_model

    # the shipped model's training data has 19 religious rows: too few to learn the type
    assert "religious" in cached_model().thin_types
    assert "company" not in cached_model().thin_types
    for name, bio, lang in [
        ("Comunità ebraiche italiane", "L'unione delle comunità ebraiche in Italia", "it"),
        ("Zentralkomitee", "Zusammenschluss der Katholiken in Deutschland", "de"),
        ("Rada Kościołów", "Porozumienie kościołów chrześcijańskich w Polsce", "pl"),
        ("Council of Churches", "The national fellowship of churches in Ireland", "en"),
    ]:
        out = clf.classify(
            {"platform": "bluesky", "display_name": name, "bio": bio, "post_langs": [lang]}
        )
        assert (out["role"], out["org_type"]) == ("organization", "religious"), (
            name,
            out["reasons"],
        )


ACCURACY_FLOOR = 0.78
F1_FLOOR = 0.75
# The full classifier (model + lexicon) by grouped cross-validation (docs/EVALUATION.md):
# org vs person macro-F1 0.928, org_type macro-F1 0.654, role accuracy 0.950, 14 of 14
# languages >= 0.90; floors a small margin below.
CV_FLOORS = {
    "org_person_macro_f1": 0.90,
    "org_type_macro_f1": 0.60,
    "role_accuracy": 0.92,
    "languages_role_ok": 12,
}

ROLES = {"politician", "journalist", "public_figure", "individual", "organization"}
ORG_TYPES = {
    "ngo",
    "union",
    "association",
    "party",
    "public_body",
    "media",
    "company",
    "foundation",
    "academic",
    "other",
}


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier()


PROFILES: list[dict[str, Any]] = [
    {
        "platform": "mastodon",
        "handle": "verdi@social.example.de",
        "display_name": "ver.di Bundesvorstand",
        "bio": "Wir sind die Vereinte Dienstleistungsgewerkschaft. Hier twittert die Pressestelle.",
        "fields": [
            {"name": "Web", "value": "https://www.verdi.de"},
            {"name": "Ort", "value": "Berlin"},
        ],
        "followers_count": 12000,
        "bot": False,
        "posts": ["Heute Warnstreik im öffentlichen Dienst. Kommt alle!"],
        "instance": "social.example.de",
    },
    {
        "platform": "bluesky",
        "handle": "anna.bsky.social",
        "display_name": "Anna Kowalska",
        "bio": "Dziennikarka Gazety. Piszę o klimacie. Warszawa.",
        "posts": ["Nowy tekst o smogu w Krakowie."],
        "post_langs": ["pl", "pl"],
    },
    {
        "platform": "mastodon",
        "handle": "weather@bots.example",
        "display_name": "Hourly weather",
        "bio": "Posts the weather every hour.",
        "bot": True,
        "posts": [],
    },
    {
        "platform": "bluesky",
        "handle": "news.example.com",
        "display_name": "News mirror",
        "bio": "Headlines, every hour",
        "labels": ["bot"],
        "posts": [],
    },
    {"platform": "mastodon", "handle": "x@y.z", "display_name": "", "bio": "", "posts": []},
]


def test_output_schema(clf: Classifier) -> None:
    out = list(clf.classify_many(PROFILES, batch_size=2))
    assert len(out) == len(PROFILES)
    for o in out:
        assert set(o) == {
            "role",
            "org_type",
            "confidence",
            "language",
            "country",
            "country_confidence",
            "scope",
            "is_bot",
            "reasons",
        }
        assert o["role"] in ROLES
        assert (
            (o["org_type"] in ORG_TYPES) if o["role"] == "organization" else o["org_type"] is None
        )
        assert 0.0 <= o["confidence"] <= 1.0
        assert 0.0 <= o["country_confidence"] <= 1.0
        assert isinstance(o["is_bot"], bool)
        assert o["reasons"] and all(isinstance(r, str) for r in o["reasons"])


def test_realistic_profiles(clf: Classifier) -> None:
    union, journalist, bot, labelled, empty = clf.classify_many(PROFILES)
    assert (union["role"], union["org_type"]) == ("organization", "union")
    assert union["language"] == "de"
    assert union["country"] == "DE"
    assert "field Ort: 'Berlin' -> DE" in union["reasons"]
    assert union["is_bot"] is False

    assert journalist["role"] == "journalist"
    assert journalist["language"] == "pl"
    assert journalist["country"] == "PL"

    assert bot["is_bot"] is True and "bot: platform bot flag" in bot["reasons"]
    assert labelled["is_bot"] is True
    assert empty["role"] == "individual" and empty["confidence"] <= 0.3
    assert empty["country"] is None and empty["language"] is None


def test_pronoun_field_and_group_flag(clf: Classifier) -> None:
    person = clf.classify(
        {
            "display_name": "Sam",
            "bio": "Books and bikes.",
            "fields": [{"name": "Pronouns", "value": "they/them"}],
        }
    )
    assert person["role"] == "individual"
    assert any("pronouns" in r for r in person["reasons"])
    group = clf.classify(
        {"display_name": "Bike lanes Ghent", "bio": "Cycling news.", "group": True}
    )
    assert group["role"] == "organization"


def test_deterministic_and_batch_independent(clf: Classifier) -> None:
    a = list(clf.classify_many(PROFILES, batch_size=256))
    b = list(clf.classify_many(PROFILES, batch_size=1))
    c = list(Classifier().classify_many(PROFILES))
    assert a == b == c


def _humanizr() -> list[dict[str, str]]:
    if not HUMANIZR.exists():
        pytest.skip(f"labelled bios not found at {HUMANIZR}")
    with HUMANIZR.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_humanizr_organization_detection_lexicon_only() -> None:
    clf = Classifier(ClassifierConfig(model_dir="-"))
    rows = _humanizr()
    profiles = [
        {
            "platform": "twitter",
            "handle": r["handle"],
            "display_name": r["display_name"],
            "bio": r["bio"],
        }
        for r in rows
    ]
    start = time.perf_counter()
    out = list(clf.classify_many(profiles))
    elapsed = time.perf_counter() - start
    tp = fp = fn = tn = 0
    for row, o in zip(rows, out, strict=True):
        pred = o["role"] == "organization"
        gold = row["label"] == "organization"
        tp += pred and gold
        fp += pred and not gold
        fn += gold and not pred
        tn += not pred and not gold
    precision = tp / max(1, tp + fp)
    recall = tp / max(1, tp + fn)
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    accuracy = (tp + tn) / len(rows)
    print(
        f"\nhumanizr_dev n={len(rows)} accuracy={accuracy:.3f} precision={precision:.3f} "
        f"recall={recall:.3f} f1={f1:.3f} ({len(rows) / elapsed:.0f} profiles/s)"
    )
    assert accuracy >= ACCURACY_FLOOR
    assert f1 >= F1_FLOOR


@pytest.mark.slow
def test_cross_validated_scores_of_the_full_classifier() -> None:
    """Nothing is scored on what it was trained on (see nlp/evaluate.py)."""
    if not (SHARED / "data" / "labels" / "multi_dev.csv").exists():
        pytest.skip("labelled rows not found")
    from nlp import evaluate

    rows = evaluate.default_rows()
    systems = evaluate.cross_validate(rows)
    got = evaluate.summary_scores(rows, systems)["full"]
    print(f"\ncross-validated full classifier: {got}")
    for key, floor in CV_FLOORS.items():
        assert got[key] >= floor, (key, got[key])
    # Country, with the register rows' websites as profile link fields and without:
    # precision 0.980 at coverage 0.567, and 0.943 at 0.202 (docs/EVALUATION.md).
    md = [r for r in rows if r.dev and r.source == "multi_dev"]
    for name, coverage in (("full", 0.5), ("no_site", 0.15)):
        c = evaluate.country_scores(
            [r.country for r in md], [systems[name][r.id]["country"] for r in md]
        )
        assert c["precision"] >= 0.9 and c["coverage"] >= coverage, (name, c)


@pytest.mark.parametrize(
    ("followers", "role"), [(150, "individual"), (1999, "individual"), (250_000, "public_figure")]
)
def test_public_figure_needs_an_audience(followers: int, role: str) -> None:
    profile = {
        "platform": "mastodon",
        "handle": "anna@social.example",
        "display_name": "Anna Rossi",
        "bio": "Attrice e regista. Teatro, cinema, televisione.",
        "followers_count": followers,
        "posts": [],
    }
    result = Classifier().classify(profile)
    assert result["role"] == role
    if role == "individual":
        assert any("followers" in r for r in result["reasons"])


def test_public_figure_without_follower_count_keeps_the_occupation() -> None:
    profile = {"platform": "bluesky", "handle": "a.bsky.social", "bio": "Attrice e regista."}
    assert Classifier().classify(profile)["role"] == "public_figure"
