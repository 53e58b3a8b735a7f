"""Cities in an account's recent posts: weak country evidence that never answers alone."""

from __future__ import annotations

import csv

import pytest

from nlp.classify import Classifier
from nlp.country import MIN_SCORE, CountryComponent, _pipeline, infer_country
from nlp.phrases import text_doc
from nlp.post_places import CAP, MAX_POSTS, distinct_posts
from tests.support.fixtures import SHARED_DIR

LEIPZIG = [
    "Infostand morgen ab 10 Uhr am Hauptbahnhof Leipzig, kommt vorbei! #ECI",
    "Heute 212 Unterschriften in Leipzig gesammelt. Danke an alle!",
    "Podiumsdiskussion in Dresden am Donnerstag, wir sind dabei.",
]


def component() -> CountryComponent:
    found = _pipeline().get_pipe("scout_country")
    assert isinstance(found, CountryComponent)
    return found


def test_posts_alone_never_decide_a_country() -> None:
    # every post names Leipzig: still weak evidence, capped below the threshold
    posts = [f"Tag {i}: Aktion in Leipzig" for i in range(MAX_POSTS)]
    code, _, reasons = infer_country("Radfahrerin", [], "Anna", None, "de", posts)
    assert code is None
    assert "posts: 'Leipzig' in 20 posts -> DE (weak)" in reasons
    assert reasons[-1] == "country unknown: evidence too weak"
    assert CAP < MIN_SCORE


def test_posts_lift_a_weak_hint_of_the_same_country() -> None:
    # the instance's TLD (0.6) alone is too weak; with three posts naming Saxon cities it answers
    assert infer_country("Radfahrerin", [], "Anna", "mastodon.de", "de")[0] is None
    code, conf, reasons = infer_country("Radfahrerin", [], "Anna", "mastodon.de", "de", LEIPZIG)
    assert code == "DE" and conf > 0
    assert "posts: 'Leipzig', 'Dresden' in 3 posts -> DE (weak)" in reasons
    # Polish language prior (0.8) plus one post naming Kraków
    assert infer_country("Lubię góry", [], "Ola", None, "pl")[0] is None
    posts = ["Dziś zbieramy podpisy na Rynku, Kraków, 12:00", "Dzięki za wsparcie!"]
    code, _, reasons = infer_country("Lubię góry", [], "Ola", None, "pl", posts)
    assert code == "PL"
    assert reasons == ["posts: 'Kraków' in 1 post -> PL (weak)", "language pl -> PL (weak)"]


def test_posts_do_not_outweigh_evidence_that_answers_alone() -> None:
    posts = [f"Wieder in Leipzig, Tag {i}" for i in range(MAX_POSTS)]
    assert infer_country("Aktivistin aus Wien", [], "Anna", None, "de", posts)[0] == "AT"
    fields = [{"name": "Web", "value": "https://www.exemple-lyon.fr"}]
    assert infer_country("Militante", fields, "Marie", None, "fr", posts)[0] == "FR"


def test_eu_seats_country_names_and_places_outside_the_eu_do_not_count() -> None:
    seats = [
        "La Commission à Bruxelles doit agir",
        "Vote in Strasbourg next week!",
        "Η Επιτροπή στις Βρυξέλλες",
        "Demo vor dem Parlament in Straßburg",
        "Komisja w Brukseli", "Bruselas decide hoy",
    ]  # fmt: skip
    code, _, reasons = infer_country("Activiste", [], "Lou", "mastodon.be", "fr", seats)
    assert code is None and not any(r.startswith("posts:") for r in reasons)
    # another Belgian city does count
    posts = ["Rassemblement à Antwerpen samedi", "Merci Gent!", *seats]
    code, _, reasons = infer_country("Activiste", [], "Lou", "mastodon.be", "fr", posts)
    assert code == "BE"
    assert "posts: 'Antwerpen', 'Gent' in 2 posts -> BE (weak)" in reasons
    # member states named as topics (signature thresholds) are not where the account is
    topics = ["Polska potrzebuje 38 000 podpisów!", "Deutschland braucht 72.000", "Italia?"]
    code, _, reasons = infer_country("Lubię góry", [], "Ola", None, "pl", topics)
    assert code is None and not any(r.startswith("posts:") for r in reasons)
    # news from outside the EU does not argue against a member state
    news = ["Breaking news from New York", "Talks in Genève stalled", "Toronto"]
    assert infer_country("Ciclista", [], "Gio", "mastodon.uno", "it", news)[0] == "IT"


def test_a_repeated_post_counts_once_and_empty_posts_are_skipped() -> None:
    posts = ["Heute in Leipzig!", "Heute in Leipzig!", "", "  ", None, {"text": "Graz"}, "x"]
    assert distinct_posts(posts) == ["Heute in Leipzig!", "x"]
    evidence = component().post_places.evidence(posts)
    assert evidence == [("DE", 0.3, "posts: 'Leipzig' in 1 post -> DE (weak)")]
    assert distinct_posts([f"post {i}" for i in range(50)]) == [f"post {i}" for i in range(20)]


def test_ambiguous_city_names_count_only_when_capitalised() -> None:
    # "porto" is a word in Italian and Portuguese ("il porto", "vinho do porto")
    assert component().post_places.evidence(["Oggi al porto con gli amici"]) == []
    assert component().post_places.evidence(["Encontro no Porto amanhã"])[0][0] == "PT"


def test_the_classifier_reads_the_posts_it_is_given() -> None:
    profile = {
        "platform": "mastodon",
        "handle": "anna@mastodon.de",
        "display_name": "Anna",
        "bio": "Radfahrerin. Sie/ihr.",
        "instance": "mastodon.de",
        "post_langs": ["de"],
        "posts": LEIPZIG,
    }
    out = Classifier().classify(profile)
    assert out["country"] == "DE"
    assert "posts: 'Leipzig', 'Dresden' in 3 posts -> DE (weak)" in out["reasons"]
    assert Classifier().classify({**profile, "posts": []})["country"] is None


def test_the_prefilter_keeps_every_real_text_that_names_a_member_state_city() -> None:
    """The set lookup before matching drops no text the full matcher would read a
    member-state city in (real bios of the labelled accounts in 20+ languages, which
    name cities in every spelling)."""
    labels = SHARED_DIR / "data" / "labels"
    if not (labels / "multi_dev.csv").exists():
        pytest.skip(f"reference data absent: {labels} (../shared beside the checkout)")
    texts: list[str] = []
    for name in ("multi_dev.csv", "humanizr_dev.csv"):
        with (labels / name).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                texts.extend(v for k, v in row.items() if k in ("display_name", "bio") and v)
    pp = component().post_places
    kept = set(pp.candidates(texts))
    naming = 0
    for text in texts:
        doc = text_doc(pp.nlp, text)
        cities = [
            p
            for _, _, (_, p) in pp.find(doc, text)
            if p.kind in ("city", "city_cs") and p.country != "--"
        ]
        if cities:
            naming += 1
            assert text in kept, text
    assert naming > 100  # the check ran on texts that do name cities
    assert len(kept) < len(texts) / 2  # and the lookup does leave most texts out


def test_a_crawl_classifies_with_the_cities_of_the_stored_posts() -> None:
    """The stored posts reach the classifier (accounts_for_classification.sql): an
    account on a German instance whose posts name Saxon cities gets DE, with the posts'
    reason; the same account without posts stays unknown."""
    from crawler.app.crawl import classify_accounts
    from crawler.db.store import Store
    from tests.support.items import mastodon_account, mastodon_post

    host = "mastodon.de"
    store = Store(":memory:")
    store.upsert_accounts(
        [
            mastodon_account("anna", host, bio="Radfahrerin", instance=host),
            mastodon_account("ben", host, bio="Radfahrer", instance=host),
        ]
    )
    store.upsert_posts(
        [mastodon_post("anna", i, host, text=t, lang="de") for i, t in enumerate(LEIPZIG)]
    )
    assert classify_accounts(store) == 2
    got = dict(
        store.con.execute(
            "SELECT handle, struct_pack(country, class_reasons) FROM accounts"
        ).fetchall()
    )
    assert got[f"anna@{host}"]["country"] == "DE"
    assert (
        "posts: 'Leipzig', 'Dresden' in 3 posts -> DE (weak)"
        in got[f"anna@{host}"]["class_reasons"]
    )
    assert got[f"ben@{host}"]["country"] is None
