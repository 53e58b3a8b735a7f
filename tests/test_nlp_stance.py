"""Stance toward a campaign from posts."""

from __future__ import annotations

import pytest

from nlp.stance import score_stance

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
