"""The scout_country and scout_stance components on a blank pipeline."""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language

import nlp.country  # registers the factories
import nlp.stance  # noqa: F401  (registers the factory)
from nlp.phrases import doc_text, text_doc


@pytest.fixture(scope="module")
def pipe() -> Language:
    nlp = spacy.blank("xx")
    nlp.add_pipe("scout_stance")
    nlp.add_pipe("scout_country")
    return nlp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sign the ECI now!", [("sign the", "support")]),
        ("Don't sign this", [("don't sign", "oppose")]),
        ("Don’t sign this", [("don't sign", "oppose")]),
        ("Jetzt unterschreiben!", [("jetzt unterschreiben", "support")]),
        ("Bitte unterschreibt", [("unterschreibt", "support")]),
        ("Mobilisez-vous !", [("mobilisez-vous", "support")]),
        ("#sign @sign anti-sign sign-up signs", []),
    ],
)
def test_stance_markers(pipe: Language, text: str, expected: list[tuple[str, str]]) -> None:
    doc = pipe(text)
    assert [(p, m.kind) for p, m in doc._.scout_stance_markers] == expected


@pytest.mark.parametrize(
    ("text", "sections", "country"),
    [
        ("Journalistin in München", None, "DE"),
        ("Born and raised in Nice", None, "FR"),
        ("nice people only", None, None),
        ("Activist based in London", None, None),
        ("Berlin-based, St Pölten born", None, "AT"),
        ("Anna\nOrt: Wien", [(0, 4, "name"), (5, 14, "field Ort")], "AT"),
    ],
)
def test_country(
    pipe: Language, text: str, sections: list[tuple[int, int, str]] | None, country: str | None
) -> None:
    doc = pipe.make_doc(text)
    doc._.scout_sections = sections
    doc = pipe(doc)
    assert doc._.scout_country == country, doc._.scout_country_reasons
    assert doc._.scout_country_reasons


@pytest.mark.parametrize(
    "text",
    ["Journalistin in München. Jetzt unterschreiben!", "Berlin-based 🇩🇪, don't sign", ""],
)
def test_kept_text_gives_the_same_result(pipe: Language, text: str) -> None:
    """A Doc from ``text_doc`` (text kept, not rebuilt) reads exactly like a plain one."""
    kept, plain = pipe(text_doc(pipe, text)), pipe(pipe.make_doc(text))
    assert doc_text(kept) == doc_text(plain) == plain.text == text
    for name in ("scout_stance_markers", "scout_country", "scout_country_reasons"):
        assert kept._.get(name) == plain._.get(name)


def test_factories_are_declared_entry_points() -> None:
    """pyproject's ``spacy_factories`` entry points name the registered factories."""
    import importlib
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    with pyproject.open("rb") as fh:
        declared = tomllib.load(fh)["project"]["entry-points"]["spacy_factories"]
    assert {"scout_roles", "scout_country", "scout_stance"} <= set(declared)
    for name, target in declared.items():
        module, func = target.split(":")
        assert getattr(importlib.import_module(module), func) is not None
        assert Language.has_factory(name)
