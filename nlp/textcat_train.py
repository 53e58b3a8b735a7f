"""Train, cross-validate and package ``scout_textcat`` (the steps of nlp/project/project.yml).

    python -m nlp.textcat_train convert --humanizr H.csv --multi-dev M.csv --extra E.csv \
        --out corpus/train.jsonl [--extra-cap 0] [--sample 0]
    python -m nlp.textcat_train train corpus/train.jsonl --out training/scout_textcat
    python -m nlp.textcat_train package training/scout_textcat ../models/scout_textcat

``train`` selects the regularisation by grouped cross-validation on the dev rows (for
each fold: fit on the other folds plus the extra rows, minus extra rows of the same
organisation, predict the fold), then fits the final model on every row and saves it
with the scores in ``meta.json``.
"""

from __future__ import annotations

import argparse
import math
import shutil
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import f1_score

from nlp import textcat_data as data
from nlp.classify import Classifier, ClassifierConfig
from nlp.components import Evidence
from nlp.concepts import default_concepts
from nlp.stacking import TypeCombiner, fit_type_combiner, lexicon_type_weights, type_features
from nlp.textcat import (
    DISABLED,
    META_FILE,
    WEIGHTS_FILE,
    FeatureParams,
    Featurizer,
    ModelPrediction,
    TextcatModel,
)
from nlp.textcat_metrics import model_scores

ALPHAS = (1e-5, 3e-5, 1e-4)
PRUNE_BELOW = 1e-3  # weights this small change no probability visibly: not shipped
MODEL_VERSION = "1.4.1"  # 1.4.1: org-type combiner refitted (lexicon: more legal forms)


@dataclass(frozen=True)
class TrainConfig:
    params: FeatureParams = FeatureParams(name_weight=0.7)
    alpha: float = 3e-5
    epochs: int = 30
    # Weight of non-humanizr rows in the org head: register statements and politicians'
    # bios are unlike social bios, and at full weight they blur the person/org line.
    other_org_weight: float = 0.3
    # Joint head: every extra row is used, but a (label, language) cell of the skewed
    # extra file counts as at most this many rows (MULTI_README: "balance it by class and
    # language"); the dev rows, whose mix is the held-back split's, count this much more.
    # Cross-validated (model alone, with the name block): cap-and-drop at 200 rows per
    # cell gave org_type 0.580; all rows weighted 0.590; plus dev rows x2 0.599.
    extra_cell: int = 200
    dev_weight: float = 2.0


def _head(alpha: float, epochs: int, balanced: bool = True) -> SGDClassifier:
    return SGDClassifier(
        loss="log_loss",
        alpha=alpha,
        max_iter=epochs,
        tol=1e-4,
        class_weight="balanced" if balanced else None,
        random_state=0,
    )


def org_weights(rows: Sequence[data.Row], other: float) -> np.ndarray:
    """Sample weights of the org head: classes balanced within each source (multi_dev is
    nearly all organisations, humanizr half and half), non-humanizr sources scaled by
    ``other``."""
    counts: dict[tuple[str, int], int] = {}
    for r in rows:
        counts[(r.source, r.org)] = counts.get((r.source, r.org), 0) + 1
    total = {s: counts.get((s, 0), 0) + counts.get((s, 1), 0) for s, _ in counts}
    out = np.empty(len(rows), dtype=np.float64)
    for i, r in enumerate(rows):
        scale = 1.0 if r.source == "humanizr" else other
        out[i] = scale * total[r.source] / (2 * counts[(r.source, r.org)])
    return out * len(rows) / out.sum()


def joint_weights(rows: Sequence[data.Row], extra_cell: int, dev_weight: float) -> np.ndarray:
    """Sample weights of the joint head: an extra (label, language) cell of n rows
    weighs min(1, ``extra_cell`` / n) per row, dev rows ``dev_weight``, then the classes
    are balanced (each label's rows sum to the same)."""
    cells: dict[tuple[str, str], int] = {}
    for r in rows:
        if r.source == "extra":
            cells[(r.label, r.lang)] = cells.get((r.label, r.lang), 0) + 1
    w = np.ones(len(rows), dtype=np.float64)
    for i, r in enumerate(rows):
        if r.source == "extra":
            w[i] = min(1.0, extra_cell / cells[(r.label, r.lang)])
        elif r.source == "multi_dev":
            w[i] = dev_weight
    per_label: dict[str, float] = {}
    for i, r in enumerate(rows):
        per_label[r.label] = per_label.get(r.label, 0.0) + w[i]
    for i, r in enumerate(rows):
        w[i] /= per_label[r.label]
    return w * len(rows) / w.sum()


def fit(rows: Sequence[data.Row], config: TrainConfig) -> TextcatModel:
    """Fit both heads on ``rows``; weights of unused features are dropped."""
    model_params = config.params
    x = Featurizer(model_params)([r.text for r in rows], [r.display_name for r in rows])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        org = _head(config.alpha, config.epochs, balanced=False).fit(
            x, [r.org for r in rows], sample_weight=org_weights(rows, config.other_org_weight)
        )
        joint_rows = [r for r in rows if r.label]
        joint_idx = [i for i, r in enumerate(rows) if r.label]
        joint = _head(config.alpha, config.epochs, balanced=False).fit(
            x[joint_idx],
            [r.label for r in joint_rows],
            sample_weight=joint_weights(joint_rows, config.extra_cell, config.dev_weight),
        )
    joint_w = joint.coef_.T.astype(np.float32)
    org_w = org.coef_[0].astype(np.float32)
    used = np.flatnonzero(
        (np.abs(org_w) >= PRUNE_BELOW) | (np.abs(joint_w).max(axis=1) >= PRUNE_BELOW)
    ).astype(np.int32)
    return TextcatModel(
        params=model_params,
        labels=[str(c) for c in joint.classes_],
        features=used,
        org_w=org_w[used],
        org_b=float(org.intercept_[0]),
        joint_w=joint_w[used],
        joint_b=joint.intercept_.astype(np.float32),
    )


def fold_training_rows(rows: Sequence[data.Row], fold: int) -> list[data.Row]:
    """Everything but the dev rows of ``fold`` and any row of the same group."""
    held = {r.group for r in rows if r.fold == fold}
    return [r for r in rows if r.fold != fold and r.group not in held]


def cross_predict(
    rows: Sequence[data.Row], config: TrainConfig, folds: int = data.FOLDS
) -> dict[str, ModelPrediction]:
    """Model predictions for every dev row, each from a model that never saw its group."""
    out: dict[str, ModelPrediction] = {}
    for k in range(folds):
        test = [r for r in rows if r.fold == k]
        if not test:
            continue
        model = fit(fold_training_rows(rows, k), config)
        preds = model.predict([r.text for r in test], [r.display_name for r in test])
        for row, pred in zip(test, preds, strict=True):
            out[row.id] = pred
    return out


OFFSET_GRID = tuple(float(v) for v in np.arange(-2.0, 2.01, 0.25))


def tune_type_offsets(
    rows: Sequence[data.Row], preds: Mapping[str, ModelPrediction], rounds: int = 3
) -> dict[str, float]:
    """Log-probability offsets per org type that maximise the org-type macro-F1 of
    cross-validated predictions (coordinate ascent over ``OFFSET_GRID``).

    The joint head's sample weights balance the classes of a training mix unlike the
    held-back one (the extra file is mostly trade associations, NGOs and companies in
    English and French; public bodies are rare): cross-validated, it calls too many
    associations and too few public bodies. Eight numbers chosen on predictions the
    model made for rows it never saw; only changes that raise the score are kept."""
    orgs = [r for r in rows if r.label.startswith("organization/") and r.id in preds]
    if not orgs:
        return {}
    labels = sorted(k for k in preds[orgs[0].id].probs if k.startswith("organization/"))
    logp = np.log(np.array([[preds[r.id].probs.get(k, 0.0) for k in labels] for r in orgs]) + 1e-4)
    gold = np.array([labels.index(r.label) if r.label in labels else -1 for r in orgs])

    def score(offsets: np.ndarray) -> float:
        return float(f1_score(gold, np.argmax(logp + offsets, axis=1), average="macro"))

    best = np.zeros(len(labels))
    current = score(best)
    for _ in range(rounds):
        for j in range(len(labels)):
            for value in OFFSET_GRID:
                trial = best.copy()
                trial[j] = value
                got = score(trial)
                if got > current + 1e-9:
                    current, best = got, trial
    return {k: float(v) for k, v in zip(labels, best, strict=True) if v}


def with_offsets(pred: ModelPrediction, offsets: Mapping[str, float]) -> ModelPrediction:
    """``pred`` as a model carrying ``offsets`` in its meta would have predicted it."""
    if not offsets:
        return pred
    factor = {k: math.exp(offsets.get(k, 0.0)) for k in pred.probs}
    total = sum(p * factor[k] for k, p in pred.probs.items()) or 1.0
    return replace(pred, probs={k: p * factor[k] / total for k, p in pred.probs.items()})


def lexicon_evidence(rows: Sequence[data.Row]) -> dict[str, list[Evidence]]:
    """Per row id, the lexicon and structural evidence the classifier finds (no model)."""
    clf = Classifier(ClassifierConfig(model_dir=DISABLED))
    found = clf.evidence_many(data.row_profile(r) for r in rows)
    return {r.id: ev for r, ev in zip(rows, found, strict=True)}


def fit_combiner(
    rows: Sequence[data.Row],
    preds: Mapping[str, ModelPrediction],
    offsets: Mapping[str, float],
    evidence: Mapping[str, list[Evidence]],
) -> TypeCombiner | None:
    """The learned org-type combiner (nlp.stacking) on the dev organisations that have
    a cross-validated prediction in ``preds`` (read with ``offsets``, as the model
    carrying them predicts)."""
    orgs = [r for r in rows if r.dev and r.label.startswith("organization/") and r.id in preds]
    if not orgs:
        return None
    labels = next(iter(preds.values())).probs
    classes = [k.split("/", 1)[1] for k in labels if k.startswith("organization/")]
    counter = default_concepts()
    x = np.array(
        [
            type_features(
                {
                    k.split("/", 1)[1]: v
                    for k, v in with_offsets(preds[r.id], offsets).probs.items()
                    if k.startswith("organization/")
                },
                classes,
                lexicon_type_weights(evidence.get(r.id, [])),
                counter.counts(r.text),
            )
            for r in orgs
        ]
    )
    return fit_type_combiner(x, [r.label.split("/", 1)[1] for r in orgs], classes, counter.names)


def select(rows: Sequence[data.Row], base: TrainConfig, alphas: Sequence[float]) -> dict[str, Any]:
    """Cross-validated scores per alpha; the best by the mean of the three targets; the
    org-type offsets tuned on the best alpha's cross-validated predictions."""
    runs = []
    all_preds: dict[float, dict[str, ModelPrediction]] = {}
    for alpha in alphas:
        config = replace(base, alpha=alpha)
        preds = all_preds[alpha] = cross_predict(rows, config)
        scores = model_scores([r for r in rows if r.dev], preds)
        runs.append({"alpha": alpha, **scores})
        print(f"alpha={alpha:g}: {scores}", flush=True)
    best = max(runs, key=lambda s: s["selection_score"])
    dev = [r for r in rows if r.dev]
    offsets = tune_type_offsets(dev, all_preds[best["alpha"]])
    print(f"org-type offsets: {offsets}", flush=True)
    combiner = fit_combiner(dev, all_preds[best["alpha"]], offsets, lexicon_evidence(dev))
    return {
        "best_alpha": best["alpha"],
        "runs": runs,
        "type_offsets": offsets,
        "type_combiner": combiner.to_json() if combiner else None,
    }


def train(table: Path, out: Path, alphas: Sequence[float] = ALPHAS, epochs: int = 30) -> Path:
    rows = data.read_table(table)
    base = TrainConfig(epochs=epochs)
    cv = select(rows, base, alphas)
    model = fit(rows, replace(base, alpha=cv["best_alpha"]))
    model.meta = {
        "name": "scout_textcat",
        "version": MODEL_VERSION,
        "trained": datetime.now(UTC).strftime("%Y-%m-%d"),
        "learner": "scikit-learn SGDClassifier(loss=log_loss) over the text and the display "
        "name: an org-vs-person head on all rows (classes balanced within each source, "
        f"non-humanizr rows at {base.other_org_weight}), a joint head on rows with a role "
        f"(extra (label, language) cells count as at most {base.extra_cell} rows, dev rows "
        f"x{base.dev_weight}, classes balanced), org-type log-probability offsets tuned on "
        "its cross-validated predictions; the org type chosen by a learned combiner "
        "(nlp.stacking: multinomial logistic regression over the model's type shares, the "
        "lexicon's type weights and concept counts) fitted on those predictions",
        "alpha": cv["best_alpha"],
        "type_offsets": cv["type_offsets"],
        "type_combiner": cv["type_combiner"],
        "epochs": epochs,
        "training_data": data.summary(rows),
        "cross_validation": {
            "folds": data.FOLDS,
            "grouped_by": "normalised name",
            **{k: v for k, v in cv.items() if k != "type_combiner"},
        },
        "shipped_features": int(len(model.features)),
    }
    model.save(out)
    print(f"saved {out} ({len(model.features):,} features, alpha {cv['best_alpha']:g})")
    return out


def package(src: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name in (WEIGHTS_FILE, META_FILE):
        shutil.copyfile(src / name, dest / name)
    print(f"packaged {src} -> {dest}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert")
    c.add_argument("--humanizr", type=Path, required=True)
    c.add_argument("--multi-dev", type=Path, required=True)
    c.add_argument("--extra", type=Path, default=None)
    c.add_argument("--extra-cap", type=int, default=data.DEFAULT_EXTRA_CAP)
    c.add_argument("--sample", type=int, default=0, help="rows per source (0 = all)")
    c.add_argument("--out", type=Path, required=True)
    t = sub.add_parser("train")
    t.add_argument("table", type=Path)
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--alphas", type=float, nargs="+", default=list(ALPHAS))
    t.add_argument("--epochs", type=int, default=30)
    p = sub.add_parser("package")
    p.add_argument("src", type=Path)
    p.add_argument("dest", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "convert":
        rows = data.build_table(
            args.humanizr, args.multi_dev, args.extra, args.extra_cap, args.sample
        )
        data.write_table(rows, args.out)
        print(f"wrote {len(rows):,} rows to {args.out}: {data.summary(rows)['source']}")
    elif args.cmd == "train":
        train(args.table, args.out, args.alphas, args.epochs)
    else:
        package(args.src, args.dest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
