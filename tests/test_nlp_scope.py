"""Level (scope) of organisations and politicians in EU languages; None when unclear."""

from __future__ import annotations

import pytest

from nlp.classify import Classifier
from nlp.scope import find_levels, infer_scope


@pytest.mark.parametrize(
    ("role", "org_type", "name", "bio", "expected"),
    [
        ("organization", "public_body", "Umweltamt der Stadt Köln", "", "local"),
        ("organization", "public_body", "Stadtverwaltung Graz", "", "local"),
        ("organization", "public_body", "Ayuntamiento de Madrid", "", "local"),
        ("organization", "public_body", "Mairie de Lyon", "", "local"),
        ("organization", "public_body", "Umweltbundesamt", "", "national"),
        ("organization", "association", "BUND Landesverband Bayern", "", "regional"),
        ("organization", "public_body", "Regione Toscana", "", "regional"),
        ("organization", "ngo", "Greenpeace Deutschland", "", "national"),
        ("organization", "ngo", "Fridays for Future Berlin", "", "local"),
        ("organization", "ngo", "European Environmental Bureau", "", "european"),
        ("organization", "party", "Die Grünen", "", "national"),
        ("organization", "union", "Ogólnopolskie Porozumienie Związków Zawodowych", "", "national"),
        ("politician", None, "Jan de Vries", "Lid van het Europees Parlement", "european"),
        ("politician", None, "Aino Virtanen", "Euroopan parlamentin jäsen (vihr.)", "european"),
        ("politician", None, "Marie Dupont", "Député européen, ancienne maire", "european"),
        ("politician", None, "Marie Dupont", "Députée de la 3e circonscription", "national"),
        ("politician", None, "Anna Berg", "Bürgermeisterin von Tübingen", "local"),
        ("politician", None, "Piet Jansen", "Wethouder in Utrecht", "local"),
        ("politician", None, "Κώστας", "Περιφερειακός σύμβουλος Αττικής", "regional"),
        ("politician", None, "Jan Kowalski", "Poseł na Sejm RP", "national"),
        # unclear: no level word, and people other than politicians never get one
        ("organization", "ngo", "Respire", "Association pour l'air pur", None),
        ("individual", None, "Sam", "Mayor of nothing, cyclist", None),
        ("journalist", None, "Eva", "Redakteurin, Landespolitik", None),
    ],
)
def test_infer_scope(
    role: str, org_type: str | None, name: str, bio: str, expected: str | None
) -> None:
    scope, reason = infer_scope(role, org_type, name, bio)
    assert scope == expected, reason
    if expected:
        assert reason.startswith(f"scope {expected}: ")


def test_longest_match_wins_at_a_position() -> None:
    assert [lvl for _, _, lvl in find_levels("député européen")] == ["european"]
    assert [lvl for _, _, lvl in find_levels("député")] == ["national"]


def test_classifier_outputs_scope_and_eci_roles_in_eu_languages() -> None:
    clf = Classifier()
    cases = [
        ({"display_name": "Jan de Vries", "bio": "Lid van het Europees Parlement voor GroenLinks"},
         ("politician", None, "european")),
        ({"display_name": "Aino Virtanen", "bio": "Euroopan parlamentin jäsen. Ilmasto."},
         ("politician", None, "european")),
        ({"display_name": "Umweltamt Köln", "bio": "Das Umweltamt der Stadt Köln informiert."},
         ("organization", "public_body", "local")),
        ({"display_name": "Evangelische Kirche im Rheinland", "bio": "Landeskirche"},
         ("organization", "religious", "regional")),
        ({"display_name": "Anna", "bio": "Mutter, Radfahrerin, ehrenamtlich im Naturschutz"},
         ("individual", None, None)),
    ]  # fmt: skip
    for profile, expected in cases:
        got = clf.classify(profile)
        assert (got["role"], got["org_type"], got["scope"]) == expected, got["reasons"]
