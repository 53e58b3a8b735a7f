"""Scores of role / org_type predictions against the labelled rows.

Shared by model selection (``nlp.textcat_train``) and the evaluation report
(``nlp.evaluate``): the same three target numbers everywhere.

* ``org_person_macro_f1``: organisation vs person, macro-F1, on the humanizr rows;
* ``org_type_macro_f1``: org_type macro-F1 over the multi_dev organisations (a person
  prediction counts as a wrong type);
* ``role_accuracy`` and ``languages_role_ok`` (of the 14 report languages, how many
  reach role accuracy 0.90) on multi_dev.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sklearn.metrics import accuracy_score, f1_score

from nlp.textcat import ModelPrediction
from nlp.textcat_data import Row

REPORT_LANGS = ("cs", "da", "de", "el", "en", "es", "fi", "fr", "hu", "it", "nl", "pl", "pt", "sv")
ROLE_OK = 0.90
NO_TYPE = "(person)"


def model_decision(pred: ModelPrediction) -> tuple[str, str | None]:
    """Role and org_type from the model alone."""
    if pred.p_org >= 0.5:
        label, _ = pred.best("organization/")
        return "organization", label.split("/", 1)[1]
    label, _ = _best_person(pred)
    return label, None


def _person_labels(pred: ModelPrediction) -> list[str]:
    return [k for k in pred.probs if not k.startswith("organization")]


def _best_person(pred: ModelPrediction) -> tuple[str, float]:
    labels = _person_labels(pred)
    name = max(sorted(labels), key=lambda k: pred.probs[k])
    return name, pred.probs[name]


def gold_role(row: Row) -> str:
    return "organization" if row.org else (row.label or "individual")


def gold_type(row: Row) -> str:
    return row.label.split("/", 1)[1] if row.label.startswith("organization/") else ""


def scores(rows: Sequence[Row], decided: Mapping[str, tuple[str, str | None]]) -> dict[str, Any]:
    """The target numbers for the rows that have a decision."""
    hz = [r for r in rows if r.source == "humanizr" and r.id in decided]
    md = [r for r in rows if r.source == "multi_dev" and r.id in decided]
    out: dict[str, Any] = {}
    if hz:
        out["org_person_macro_f1"] = round(
            float(
                f1_score(
                    [r.org for r in hz],
                    [int(decided[r.id][0] == "organization") for r in hz],
                    average="macro",
                )
            ),
            4,
        )
    typed = [r for r in md if gold_type(r)]
    if typed:
        gold = [gold_type(r) for r in typed]
        got = [decided[r.id][1] or NO_TYPE for r in typed]
        out["org_type_macro_f1"] = round(
            float(f1_score(gold, got, average="macro", labels=sorted(set(gold)))), 4
        )
    if md:
        out["role_accuracy"] = round(
            float(accuracy_score([gold_role(r) for r in md], [decided[r.id][0] for r in md])), 4
        )
        per_lang = {}
        for lang in REPORT_LANGS:
            sub = [r for r in md if r.lang == lang]
            if sub:
                per_lang[lang] = float(
                    accuracy_score([gold_role(r) for r in sub], [decided[r.id][0] for r in sub])
                )
        out["languages_role_ok"] = sum(v >= ROLE_OK for v in per_lang.values())
    targets = [
        out.get(k, 0.0) for k in ("org_person_macro_f1", "org_type_macro_f1", "role_accuracy")
    ]
    out["selection_score"] = round(sum(targets) / 3, 4)
    return out


def model_scores(rows: Sequence[Row], preds: Mapping[str, ModelPrediction]) -> dict[str, Any]:
    return scores(rows, {rid: model_decision(p) for rid, p in preds.items()})
