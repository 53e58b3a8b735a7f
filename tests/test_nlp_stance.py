"""Stance toward a campaign from posts."""

from __future__ import annotations

import pytest

from nlp.stance import decide_stance, score_stance

TAGS = ["SaveBeesAndFarmers"]
KW = ["Save Bees and Farmers"]


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["Sign the ECI now! #SaveBeesAndFarmers"], "supports"),
        (["Jetzt unterschreiben! #SaveBeesAndFarmers"], "supports"),
        (["Signez l'initiative citoyenne #SaveBeesAndFarmers"], "supports"),
        (["Firmate anche voi! #SaveBeesAndFarmers"], "supports"),
        (["Podpisz i udostępnij #SaveBeesAndFarmers"], "supports"),
        (["Sign the ECI against pesticides #SaveBeesAndFarmers"], "supports"),
        (["Totaler Unsinn, ein Jobkiller für Bauern #SaveBeesAndFarmers"], "opposes"),
        (["Stop #SaveBeesAndFarmers, it will ruin farmers"], "opposes"),
        (["Don't sign #SaveBeesAndFarmers"], "opposes"),
        (["C'est n'importe quoi #SaveBeesAndFarmers, ne signez pas"], "opposes"),
        (["Commission receives 1.1m statements for #SaveBeesAndFarmers"], "neutral"),
        (["Sign our other petition!"], "neutral"),  # not about the campaign
        ([], "neutral"),
    ],
)
def test_stance(texts: list[str], expected: str) -> None:
    label, score, reasons = score_stance(texts, TAGS, KW)
    assert label == expected, (score, reasons)
    assert -1.0 <= score <= 1.0
    assert reasons
    if expected == "supports":
        assert score > 0
    if expected == "opposes":
        assert score < 0


def test_keyword_counts_as_campaign_mention() -> None:
    label, _, reasons = score_stance(["Please sign Save Bees and Farmers today"], TAGS, KW)
    assert label == "supports"
    assert any("call to sign" in r for r in reasons)


def test_mixed_posts_average_out() -> None:
    texts = ["Sign #SaveBeesAndFarmers!", "Unsinn, #SaveBeesAndFarmers"]
    label, score, _ = score_stance(texts, TAGS, KW)
    assert label == "neutral"
    assert score == 0.0


def test_without_campaign_terms_every_post_counts() -> None:
    assert score_stance(["Bitte unterschreibt!"], [], [])[0] == "supports"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # negated calls to sign, in the languages' own word order
        ("Ich werde #SaveBeesAndFarmers sicher nicht unterschreiben", "opposes"),
        ("Unterschreibt nicht #SaveBeesAndFarmers", "opposes"),
        ("Please do not sign #SaveBeesAndFarmers", "opposes"),
        ("Non firmate #SaveBeesAndFarmers", "opposes"),
        ("Teken niet #SaveBeesAndFarmers", "opposes"),
        ("Skriv inte under #SaveBeesAndFarmers", "opposes"),
        # ... but "don't forget to sign" is a call to sign
        ("Unterschreiben nicht vergessen! #SaveBeesAndFarmers", "supports"),
        ("Don't forget to sign #SaveBeesAndFarmers!", "supports"),
        ("N'oubliez pas de signer #SaveBeesAndFarmers", "supports"),
        # irony turns a call to sign into mockery
        ("Yeah right, sign #SaveBeesAndFarmers and lose your farm 🙄", "opposes"),
        ("Klar, unterschreibt alle #SaveBeesAndFarmers /s", "opposes"),
        # opposition vocabulary of industry lobbies
        ("Die Bürgerinitiative #SaveBeesAndFarmers ist ein Jobkiller", "opposes"),
        ("#SaveBeesAndFarmers va tuer des emplois dans l'agriculture", "opposes"),
        ("Noch ein Bürokratiemonster aus Brüssel: #SaveBeesAndFarmers", "opposes"),
        ("#SaveBeesAndFarmers kills jobs in rural Europe", "opposes"),
        ("Habe gerade unterschrieben! #SaveBeesAndFarmers", "supports"),
        ("Tack, har just skrivit under! #SaveBeesAndFarmers", "supports"),
    ],
)
def test_negation_irony_and_opposition_vocabulary(text: str, expected: str) -> None:
    label, _, reasons = score_stance([text], TAGS, KW)
    assert label == expected, reasons


def test_news_posts_do_not_dilute_an_opponent() -> None:
    texts = [f"Report {i} on #SaveBeesAndFarmers" for i in range(6)]
    texts.insert(3, "#SaveBeesAndFarmers ist ein Jobkiller für unsere Bauern")
    stance = decide_stance(texts, TAGS, KW, urls=[f"https://x.example/{i}" for i in range(7)])
    assert stance.label == "opposes"
    # the deciding post is quoted with its URL
    assert stance.post_index == 3 and stance.url == "https://x.example/3"
    assert stance.evidence == "#SaveBeesAndFarmers ist ein Jobkiller für unsere Bauern"


def test_evidence_of_a_supporter_is_the_clearest_call_and_quoted_short() -> None:
    long_call = "Sign now #SaveBeesAndFarmers " + "bees " * 100
    stance = decide_stance(["News about #SaveBeesAndFarmers", long_call], TAGS, KW)
    assert stance.label == "supports" and stance.post_index == 1 and stance.url is None
    assert stance.evidence is not None and len(stance.evidence) <= 200
    assert stance.evidence.startswith("Sign now #SaveBeesAndFarmers")
    assert stance.evidence.endswith("…")
    assert decide_stance([], TAGS, KW).post_index is None
