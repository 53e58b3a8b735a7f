"""Write docs/EVALUATION.md: cross-validated scores on real labelled accounts + demo world.

    python -m bench.evaluate_classifier [--out docs/EVALUATION.md] [--demo-accounts 3000]

The real-data part is :mod:`nlp.evaluate` (grouped cross-validation of the full
classifier, model + lexicon). The demo world is scored against its generator's truth
with the shipped model, in a section marked as not evidence of quality: the generator
writes its bios from the same kind of word lists as the lexicon.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from nlp import evaluate
from nlp.classify import Classifier
from scout_demo.world import build_world

ROOT = Path(__file__).resolve().parents[1]


def demo_section(n_accounts: int) -> str:
    world = build_world(2026, n_accounts=n_accounts, n_posts=n_accounts * 2)
    accounts = list(world.accounts)
    profiles = world.classifier_profiles()
    outs = list(Classifier().classify_many(profiles))
    roles = sorted({a.role for a in accounts})
    gold = [a.role for a in accounts]
    pred = [o["role"] for o in outs]
    orgs = [(a, o) for a, o in zip(accounts, outs, strict=True) if a.role == "organization"]
    types = sorted({a.org_type or "other" for a, _ in orgs})
    t_gold = [a.org_type or "other" for a, _ in orgs]
    t_pred = [o["org_type"] or evaluate.NO_TYPE for _, o in orgs]
    country = evaluate.country_scores(
        [a.country or "" for a in accounts], [o["country"] for o in outs]
    )
    return "\n".join(
        [
            f"## Demo world ({len(accounts)} generated accounts): NOT evidence of quality",
            "",
            "The demo world's bios are generated from word lists much like the lexicon's, so "
            "these numbers only show that the pipeline runs end to end on it; the real-data "
            "sections above are the estimate of quality.",
            "",
            "### Role",
            "",
            evaluate.prf_table(gold, pred, roles),
            "",
            evaluate.confusion_table(gold, pred, roles),
            "",
            "### Org type",
            "",
            evaluate.prf_table(t_gold, t_pred, types),
            "",
            "### Country",
            "",
            "| rows | answered | coverage | precision |",
            "|---:|---:|---:|---:|",
            f"| {country['rows']} | {country['answered']} | {country['coverage']:.3f} | "
            f"{country['precision']:.3f} |",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "EVALUATION.md")
    ap.add_argument("--demo-accounts", type=int, default=3000)
    args = ap.parse_args(argv)
    rows = evaluate.default_rows()
    systems = evaluate.cross_validate(rows)
    text = evaluate.render(rows, systems, demo_section(args.demo_accounts))
    args.out.write_text(text, encoding="utf-8")
    print(json.dumps(evaluate.summary_scores(rows, systems)))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
