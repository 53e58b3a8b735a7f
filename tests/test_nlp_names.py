"""Personal names as evidence of a person's account (nlp/names.py, scout_roles)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from nlp.classify import Classifier, ClassifierConfig
from nlp.names import given_names, personal_name, place_words
from tests.support.fixtures import SHARED_DIR

HUMANIZR = SHARED_DIR / "data" / "labels" / "humanizr_dev.csv"


@pytest.mark.parametrize(
    ("name", "cue"),
    [
        ("Jane Tan", "given name 'Jane'"),
        ("jane tan", "given name 'jane'"),
        ("Dr. Katrin Müller", "given name 'Katrin'"),
        ("Łukasz Nowak", "given name 'Łukasz'"),
        ("Γιώργος Παπαδόπουλος", "given name 'Γιώργος'"),
        ("Sheri M. Green", "given name 'Sheri'"),
        ("Mme Élodie Martin", "given name 'Élodie'"),
        ("Jüri Tamm 🌿", "given name 'Jüri'"),
        ("J. Cole", "initials 'J.'"),
        ("S.M.Richardson", "initials 'S. M.'"),
        ("M. Dupont", "initials 'M.'"),
        # what Mastodon and Bluesky display names carry besides the name
        (":verified: Jane Doe", "given name 'Jane'"),
        ("Dr. Jane Mary Doe-Smith (she/her)", "given name 'Jane'"),
        ("Jane Doe | Climate Justice Now", "given name 'Jane'"),
        ("Eva Berg - MEP", "given name 'Eva'"),
        ("Jan Smit · Utrecht", "given name 'Jan'"),
        ("Γιάννης Αντωνίου 🌱 :eu_flag:", "given name 'Γιάννης'"),
        ("Jean-Pierre Dupont", "given name 'Jean-Pierre'"),
        ("Hanna-Maria Müller-Lüdenscheidt", "given name 'Hanna-Maria'"),
    ],
)
def test_names_of_one_person(name: str, cue: str) -> None:
    found = personal_name(name, given_names())
    assert found is not None and found[0] == cue


@pytest.mark.parametrize(
    "name",
    [
        "Tom and Biba",  # two people
        "Laurie & Carolyn",
        "Konrad-Adenauer-Stiftung",  # a name, but joined to more than one other word
        "Friedrich-Ebert Haus",
        "Martin Lyons Photographer Penrhyn Studios",  # too many words
        "Yoga Day 2013",  # digits
        "Council for Global Immigration",  # a word, not a name
        "Royal Metaalunie",
        "Danish Shipping",
        "German Renewable Energy Federation",
        "France 3 Bretagne",
        "Asia Pacific Forum",
        "E.ON",  # initials, but no surname
        "j. cole",
        "",
    ],
)
def test_not_one_persons_name(name: str) -> None:
    assert personal_name(name, given_names()) is None


def test_a_town_after_the_surname_makes_it_a_groups_name() -> None:
    names, places = given_names(), place_words()
    assert personal_name("Aria Pulita Ora Roma", names, places) is None
    assert personal_name("Emma Luft Hamburg", names, places) is None
    found = personal_name("Maria Porto", names, places)  # a surname that is a town
    assert found is not None and found[0] == "given name 'Maria'"


def test_given_names_leave_out_places_languages_and_lexicon_words() -> None:
    names = given_names()
    assert len(names) > 5000
    assert {"jane", "katrin", "łukasz", "jüri", "γιώργος", "giedrė", "aoife"} <= names
    # country, language and place names; lexicon words; common words some list holds
    assert not {"france", "german", "danish", "asia", "council", "union", "media"} & names
    assert not {"royal", "young", "green", "liberty", "ville", "aria"} & names
    # names only the other locales list count where they are not common words of an EU
    # language or of those locales' languages (Turkish "yeni", Indonesian "dunia")
    assert {"mehmet", "priya", "yuvraj", "kwame", "wanjiru", "thiago"} <= names
    assert not {"yeni", "dünya", "dunia", "cinta", "hayat", "özel"} & names
    assert not {"forum", "visa", "peace", "yoga", "server", "canal"} & names
    assert not {"knorr", "etna", "astros", "valiant"} & names  # is_IS is not read


def test_given_names_file_is_the_builders_output(tmp_path: Path) -> None:
    pytest.importorskip("faker", reason="faker (a dev dependency) builds given_names.tsv")
    pytest.importorskip("wordfreq", reason="wordfreq (a dev dependency) builds it too")
    from nlp.build_given_names import write
    from nlp.lexicon import LEXICON_DIR

    out = tmp_path / "given_names.tsv"
    write(out)
    assert out.read_text(encoding="utf-8") == (LEXICON_DIR / "given_names.tsv").read_text(
        encoding="utf-8"
    ), "run `python -m nlp.build_given_names` and commit data/lexicons/given_names.tsv"


@pytest.fixture(scope="module")
def lexicon_only() -> Classifier:
    return Classifier(ClassifierConfig(model_dir="-"))


def test_a_persons_name_is_evidence_and_is_explained(lexicon_only: Classifier) -> None:
    out = lexicon_only.classify({"display_name": "Katrin Müller", "bio": "Radfahrerin, Köln"})
    assert out["role"] == "individual"
    assert any("a person's name: given name 'Katrin'" in r for r in out["reasons"])


def test_an_organisation_word_in_the_name_outweighs_a_given_name(
    lexicon_only: Classifier,
) -> None:
    for name in ("Martin Luther Stiftung", "Hanna Verein e.V.", "Robert Bosch GmbH"):
        out = lexicon_only.classify({"display_name": name, "bio": ""})
        assert out["role"] == "organization", name
        assert not any("a person's name" in r for r in out["reasons"]), name


def test_the_names_of_people_not_of_organisations_on_real_bios(lexicon_only: Classifier) -> None:
    """On the labelled real accounts the evidence fires for persons far more than for
    organisations (measured: 43 % of persons, 2 % of organisations)."""
    if not HUMANIZR.exists():
        pytest.skip(f"labelled bios not found at {HUMANIZR}")
    with HUMANIZR.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    profiles = [{"display_name": r["display_name"], "bio": r["bio"]} for r in rows]
    fired = {"individual": 0, "organization": 0}
    total = {"individual": 0, "organization": 0}
    for row, out in zip(rows, lexicon_only.classify_many(profiles), strict=True):
        total[row["label"]] += 1
        fired[row["label"]] += any("a person's name" in r for r in out["reasons"])
    person_rate = fired["individual"] / total["individual"]
    org_rate = fired["organization"] / total["organization"]
    print(f"\nperson's-name evidence: persons {person_rate:.2f}, organisations {org_rate:.2f}")
    assert person_rate >= 0.35
    assert org_rate <= 0.06


def test_no_organisation_of_the_demo_world_reads_as_a_person(lexicon_only: Classifier) -> None:
    """The demo world's organisations are named after towns and causes in many
    languages ("Aria Pulita Ora Roma", "Ville Environnement Lille"), its people by
    their names ("Zsófia Szabó", "Γιάννης Αντωνίου 🌱 :eu_flag:")."""
    from scout_demo.world import build_world

    accounts = list(build_world(2026, n_accounts=1500, n_posts=1500).accounts)
    profiles = [{"display_name": a.display_name, "bio": a.bio} for a in accounts]
    fired = {"organization": 0, "person": 0}
    total = {"organization": 0, "person": 0}
    for account, out in zip(accounts, lexicon_only.classify_many(profiles), strict=True):
        kind = "organization" if account.role == "organization" else "person"
        total[kind] += 1
        fired[kind] += any("a person's name" in r for r in out["reasons"])
    assert total["organization"] > 300 and fired["organization"] == 0
    assert fired["person"] >= 0.9 * total["person"]
