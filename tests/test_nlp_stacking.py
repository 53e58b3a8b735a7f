"""The learned org-type combiner (nlp/stacking.py) and the concept counts it reads
(nlp/concepts.py): it corrects a biased model, survives meta.json, keeps the rules the
data cannot teach, and says in the reasons when it decided."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from crawler.core.vocab import EU_LANGUAGES
from nlp.classify import Classifier
from nlp.combine import combine
from nlp.components import Decision, Evidence
from nlp.concepts import default_concepts
from nlp.lexicon import LEXICON_DIR
from nlp.stacking import (
    LEX_TYPES,
    TypeCombiner,
    feature_names,
    fit_type_combiner,
    lexicon_type_weights,
    type_features,
)
from nlp.textcat import ModelPrediction, load_model

TYPES = ("association", "ngo", "union")
CONCEPTS = ("business", "profession")


def _union_word(weight: float = 1.0) -> Evidence:
    return Evidence("union:gewerkschaft", "organization", "union", weight,
                    "name: 'Gewerkschaft' (union, de)")  # fmt: skip


def _assoc_word() -> Evidence:
    return Evidence("association:verband", "organization", "association", 1.0,
                    "name: 'Verband' (association, de)")  # fmt: skip


def _lexicon(evidence: list[Evidence]) -> Decision:
    return Decision("organization", "union", 0.8, [], False, {"organization": 2.0})


def _biased_combiner() -> TypeCombiner:
    """Fitted on cross-validated-like rows of a model that calls nearly everything an
    association: unions (with a union word and profession words), NGOs and associations
    (with business words) are told apart only by the lexicon and the concepts."""
    rng = np.random.default_rng(7)
    x, gold = [], []
    for i in range(240):
        truth = TYPES[i % 3]
        model = {"association": 0.7 + 0.1 * rng.random(), "ngo": 0.15, "union": 0.15}
        lex = dict.fromkeys(LEX_TYPES, 0.0)
        concepts = [0, 0]
        if truth == "union":
            lex["union"] = 1.0 if rng.random() < 0.8 else 0.0
            concepts[1] = int(rng.integers(1, 4))
        elif truth == "ngo":
            lex["ngo"] = 1.0 if rng.random() < 0.8 else 0.0
        else:
            concepts[0] = int(rng.integers(1, 4))
        x.append(type_features(model, TYPES, lex, concepts))
        gold.append(truth)
    fitted = fit_type_combiner(np.array(x), gold, TYPES, CONCEPTS, c=1.0)
    assert fitted is not None
    return fitted


def _pred(probs: dict[str, float], combiner: TypeCombiner | None,
          concepts: tuple[int, ...] = (0, 0)) -> ModelPrediction:  # fmt: skip
    full = {f"organization/{k}": v for k, v in probs.items()}
    full["individual"] = 0.0
    return ModelPrediction(0.95, full, max(full, key=lambda k: full[k]), 0.0, frozenset(),
                           combiner, concepts)  # fmt: skip


def test_a_trained_combiner_corrects_a_biased_model() -> None:
    combiner = _biased_combiner()
    biased = {"association": 0.75, "ngo": 0.15, "union": 0.1}
    evidence = [_union_word()]
    # the hand rules follow the model: a single union word is weak against 0.75
    rules = combine(_pred(biased, None), _lexicon(evidence), evidence)
    assert rules.org_type == "association"
    learned = combine(_pred(biased, combiner, (0, 2)), _lexicon(evidence), evidence)
    assert (learned.role, learned.org_type) == ("organization", "union")
    # the reasons say the combiner decided, and on what
    why = next(r for r in learned.reasons if r.startswith("combiner "))
    assert "union over the model's association" in why
    assert "lexicon union 1.0" in why and "2 profession words" in why
    assert "name: 'Gewerkschaft' (union, de)" in learned.reasons
    # with business words and no union word it stays an association, and no combiner
    # reason is given when the combiner agrees with the model
    trade = combine(_pred(biased, combiner, (3, 0)), _lexicon([]), [])
    assert trade.org_type == "association"
    assert not any(r.startswith("combiner ") for r in trade.reasons)


def test_types_the_data_cannot_teach_still_come_from_the_lexicon() -> None:
    combiner = _biased_combiner()
    foundation = [Evidence("foundation:stiftung", "organization", "foundation", 1.35,
                           "name: 'Stiftung' (foundation, de)")]  # fmt: skip
    out = combine(_pred({"association": 0.8, "ngo": 0.1, "union": 0.1}, combiner),
                  _lexicon(foundation), foundation)  # fmt: skip
    assert out.org_type == "foundation"


def test_the_media_style_rule_holds_over_the_combiner() -> None:
    """A combiner that likes media cannot call a Verein's social bio media when the
    profile names another type and has no media word."""
    classes = ("association", "media", "ngo")
    names = feature_names(classes, CONCEPTS)
    coef = np.zeros((3, len(names)))
    media_fan = TypeCombiner(classes, tuple(names), CONCEPTS, np.zeros(len(names)),
                             np.ones(len(names)), coef, np.array([0.0, 5.0, 0.0]))  # fmt: skip
    evidence = [_assoc_word()]
    out = combine(_pred({"association": 0.1, "media": 0.85, "ngo": 0.05}, media_fan),
                  _lexicon(evidence), evidence)  # fmt: skip
    assert out.org_type != "media"
    assert any("media reading set aside" in r for r in out.reasons)


def _media_fan() -> TypeCombiner:
    """A combiner whose intercept favours media (as the shipped one learned from the
    register, whose media entries name no type)."""
    classes = ("association", "media", "ngo")
    names = feature_names(classes, CONCEPTS)
    return TypeCombiner(classes, tuple(names), CONCEPTS, np.zeros(len(names)),
                        np.ones(len(names)), np.zeros((3, len(names))),
                        np.array([0.0, 5.0, 0.0]))  # fmt: skip


def test_with_nothing_but_the_model_the_combiner_does_not_overrule_it() -> None:
    """No type word, no concept word: the combiner's lean is no evidence, the model's
    reading stands (an NGO's "We are a global movement ..." was media)."""
    out = combine(_pred({"association": 0.1, "media": 0.15, "ngo": 0.75}, _media_fan()),
                  _lexicon([]), [])  # fmt: skip
    assert out.org_type == "ngo"
    assert not any(r.startswith("combiner ") for r in out.reasons)


def test_the_combiner_cannot_introduce_a_media_reading_without_a_media_word() -> None:
    weak = [Evidence("association:netz", "organization", "association", 0.5,
                     "bio: 'Netzwerk' (association, de)")]  # fmt: skip
    probs = {"association": 0.2, "media": 0.1, "ngo": 0.7}
    out = combine(_pred(probs, _media_fan()), _lexicon(weak), weak)
    assert out.org_type in ("ngo", "association")
    # a media word allows it
    news = weak + [Evidence("media:nachrichten", "organization", "media", 1.0,
                            "bio: 'Nachrichten' (media, de)")]  # fmt: skip
    assert combine(_pred(probs, _media_fan()), _lexicon(news), news).org_type == "media"
    # and so does the model's own media reading
    own = {"association": 0.1, "media": 0.7, "ngo": 0.2}
    assert combine(_pred(own, _media_fan()), _lexicon(weak), weak).org_type == "media"


def test_combiner_round_trips_through_meta_json(tmp_path: Path) -> None:
    model = load_model()
    shipped = model.type_combiner
    assert shipped is not None, "the shipped model carries its learned combiner"
    assert list(shipped.classes) == [
        k.split("/", 1)[1] for k in model.labels if k.startswith("organization/")
    ]
    assert shipped.concepts == default_concepts().names
    again = TypeCombiner.from_json(shipped.to_json())
    probs = {t: 1.0 / len(shipped.classes) for t in shipped.classes}
    lex = {**dict.fromkeys(LEX_TYPES, 0.0), "union": 1.5}
    assert again.scores(probs, lex, (0, 2)) == pytest.approx(shipped.scores(probs, lex, (0, 2)))
    model.save(tmp_path)
    loaded = load_model(tmp_path)
    assert loaded.type_combiner is not None
    assert loaded.type_combiner.scores(probs, lex, (1, 0)) == pytest.approx(
        shipped.scores(probs, lex, (1, 0)), abs=1e-5
    )
    # a combiner written for other features is refused, not misread
    broken = {**shipped.to_json(), "features": shipped.to_json()["features"][::-1]}
    with pytest.raises(ValueError):
        TypeCombiner.from_json(broken)
    # without one, the hand rules decide (older models load unchanged)
    model.meta = {k: v for k, v in model.meta.items() if k != "type_combiner"}
    assert model.type_combiner is None


def test_too_little_data_gives_no_combiner() -> None:
    x = np.zeros((10, len(feature_names(TYPES, CONCEPTS))))
    assert fit_type_combiner(x, ["union"] * 5 + ["ngo"] * 5, TYPES, CONCEPTS) is None


def test_lexicon_type_weights_count_each_piece_of_evidence_once() -> None:
    evidence = [_union_word(1.0), _union_word(1.5), _assoc_word(),
                Evidence("job:x", "individual", "", 0.9, "job")]  # fmt: skip
    weights = lexicon_type_weights(evidence)
    assert weights["union"] == 1.5 and weights["association"] == 1.0
    assert set(weights) == set(LEX_TYPES)


def test_concepts_count_words_in_every_eu_language() -> None:
    with (LEXICON_DIR / "concepts.toml").open("rb") as fh:
        data = tomllib.load(fh)["concepts"]
    assert set(data) == set(CONCEPTS)
    for name, by_lang in data.items():
        assert set(by_lang) == set(EU_LANGUAGES), name
        assert all(w == w.lower() and " " not in w for ws in by_lang.values() for w in ws)
    counter = default_concepts()
    assert counter.names == CONCEPTS
    assert counter.counts("Bundesverband: wir vertreten die Zahnärzte und Tierärzte") == (0, 2)
    assert counter.counts("représente les entreprises et les fabricants du secteur") == (2, 0)
    assert counter.counts("We represent European manufacturers and SMEs") == (2, 0)
    assert counter.counts("Związek zrzesza lekarzy i farmaceutów") == (0, 2)
    assert counter.counts("Arts, culture and climate") == (0, 0)
    assert counter.counts_for("dentists", ("profession", "other")) == (1, 0)


def test_the_classifier_passes_concept_counts_to_the_combiner() -> None:
    clf = Classifier()
    doc = clf.nlp("Die Kammer\nSie vertritt die Ärzte und Zahnärzte.\n")
    pred = doc._.scout_textcat
    assert pred.combiner is not None
    assert dict(zip(pred.combiner.concepts, pred.concepts, strict=True))["profession"] == 2
