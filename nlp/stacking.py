"""The learned org-type combiner: a multinomial logistic regression over a few numbers.

For an organisation, :mod:`nlp.combine` asks it which org type the model's reading and
the lexicon's evidence point to together.  Its features (:func:`type_features`):

* ``model:<type>``: the model's log share of each trained org type (``log(p + floor)``,
  after the model's own type offsets);
* ``lex:<type>``: the lexicon's weight per org type (each piece of evidence once, by
  its key), for every type of the vocabulary, also those the model lacks;
* ``concept:<name>``: ``log(1 + count)`` of the profile's words of each cross-lingual
  concept (:mod:`nlp.concepts`: business words, profession words).

It is trained (:func:`fit_type_combiner`) on cross-validated model predictions of the
dev rows (each row predicted by a model that never saw it), classes balanced, strongly
regularised; shipped as plain numbers in the model's ``meta.json`` (``type_combiner``),
never a pickle.  Cross-validated (docs/EVALUATION.md), it replaced the hand-set
``TYPE_WEIGHT``/``STRONG_TYPE`` rules of the org type.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from crawler.core.vocab import ORG_TYPES
from nlp.components import Evidence

TYPE_FLOOR = 0.02
LEX_TYPES = tuple(t for t in ORG_TYPES if t != "other")
# Chosen by grouped cross-validation of the full classifier (org_type macro-F1, model
# 1.3.0 folds): C 0.001 0.649, 0.003 0.659, 0.01 0.656, 0.03 0.643.
DEFAULT_C = 0.003


def lexicon_type_weights(evidence: Iterable[Evidence]) -> dict[str, float]:
    """Per org type, the summed weight of the organisation evidence naming it (one
    piece of evidence per key, its highest weight)."""
    best: dict[str, Evidence] = {}
    for ev in evidence:
        if ev.role == "organization" and ev.org_type in LEX_TYPES:
            if ev.key not in best or ev.weight > best[ev.key].weight:
                best[ev.key] = ev
    out = dict.fromkeys(LEX_TYPES, 0.0)
    for ev in best.values():
        out[ev.org_type] += ev.weight
    return out


def feature_names(types: Sequence[str], concepts: Sequence[str]) -> list[str]:
    return (
        [f"model:{t}" for t in types]
        + [f"lex:{t}" for t in LEX_TYPES]
        + [f"concept:{c}" for c in concepts]
    )


def type_features(
    model_types: Mapping[str, float],
    types: Sequence[str],
    lex: Mapping[str, float],
    concepts: Sequence[float],
) -> np.ndarray:
    """The feature row: ``model_types`` are the model's org-type probabilities (any
    scale: they are normalised), ``lex`` from :func:`lexicon_type_weights`,
    ``concepts`` the concept counts."""
    total = sum(model_types.get(t, 0.0) for t in types) or 1.0
    row = [math.log(model_types.get(t, 0.0) / total + TYPE_FLOOR) for t in types]
    row += [lex.get(t, 0.0) for t in LEX_TYPES]
    row += [math.log1p(c) for c in concepts]
    return np.asarray(row, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class TypeCombiner:
    classes: tuple[str, ...]  # org types it chooses between (the model's trained types)
    features: tuple[str, ...]  # feature_names(classes, concepts)
    concepts: tuple[str, ...]  # concept names, in ConceptCounter order
    mean: np.ndarray  # standardisation of the features
    scale: np.ndarray
    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray  # (classes,)

    def scores(
        self,
        model_types: Mapping[str, float],
        lex: Mapping[str, float],
        concepts: Sequence[float],
    ) -> dict[str, float]:
        """Per org type, the combiner's log-odds score (higher is likelier)."""
        x = type_features(model_types, self.classes, lex, concepts)
        z = self.coef @ ((x - self.mean) / self.scale) + self.intercept
        return dict(zip(self.classes, z.tolist(), strict=True))

    def probabilities(self, scores: Mapping[str, float]) -> dict[str, float]:
        top = max(scores.values())
        exp = {t: math.exp(v - top) for t, v in scores.items()}
        total = sum(exp.values())
        return {t: v / total for t, v in exp.items()}

    def to_json(self) -> dict[str, Any]:
        def r(a: np.ndarray) -> Any:
            return np.round(a.astype(np.float64), 6).tolist()

        return {
            "learner": "scikit-learn LogisticRegression (multinomial, classes balanced) over "
            "standardised features",
            "classes": list(self.classes),
            "features": list(self.features),
            "concepts": list(self.concepts),
            "mean": r(self.mean),
            "scale": r(self.scale),
            "coef": r(self.coef),
            "intercept": r(self.intercept),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TypeCombiner:
        classes = tuple(data["classes"])
        concepts = tuple(data["concepts"])
        features = tuple(data["features"])
        if list(features) != feature_names(classes, concepts):
            raise ValueError("type_combiner: features do not match this version's features")
        return cls(
            classes=classes,
            features=features,
            concepts=concepts,
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            coef=np.asarray(data["coef"], dtype=np.float64),
            intercept=np.asarray(data["intercept"], dtype=np.float64),
        )


MIN_ROWS = 50  # fewer training rows (a sample run): no combiner, the rules decide


def fit_type_combiner(
    x: np.ndarray,
    gold: Sequence[str],
    classes: Sequence[str],
    concepts: Sequence[str],
    c: float = DEFAULT_C,
) -> TypeCombiner | None:
    """Fit on feature rows ``x`` (:func:`type_features` of cross-validated predictions)
    and their gold org types; rows of other types are left out. ``None`` when there is
    too little to learn from."""
    keep = [i for i, g in enumerate(gold) if g in classes]
    labels = [gold[i] for i in keep]
    if len(keep) < MIN_ROWS or len(set(labels)) < 2:
        return None
    xs = x[keep]
    mean = xs.mean(axis=0)
    scale = xs.std(axis=0)
    scale[scale < 1e-6] = 1.0
    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    lr.fit((xs - mean) / scale, labels)
    fitted = [str(t) for t in lr.classes_]
    coef = np.zeros((len(classes), xs.shape[1]))
    intercept = np.full(len(classes), -1e3)  # a class without rows is never chosen
    if len(fitted) == 2:  # binary: scikit-learn keeps one row, for the second class
        coef[list(classes).index(fitted[1])] = lr.coef_[0]
        intercept[list(classes).index(fitted[1])] = lr.intercept_[0]
        intercept[list(classes).index(fitted[0])] = 0.0
    else:
        for j, t in enumerate(fitted):
            coef[list(classes).index(t)] = lr.coef_[j]
            intercept[list(classes).index(t)] = lr.intercept_[j]
    return TypeCombiner(
        classes=tuple(classes),
        features=tuple(feature_names(classes, concepts)),
        concepts=tuple(concepts),
        mean=mean,
        scale=scale,
        coef=coef,
        intercept=intercept,
    )
