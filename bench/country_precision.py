"""Country inference precision and coverage on real labelled accounts and the demo world.

``python -m bench.country_precision`` prints, per data set, how often the classifier
answers a country (coverage) and how often that answer is right (precision). Truth:
``multi_dev.csv``'s ``country`` column (a non-member-state country means "no EU country
should be answered") and the demo world's ``home_country`` (the generator's truth).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nlp.country import infer_country

LABELS = Path(__file__).resolve().parents[2] / "shared" / "data" / "labels" / "multi_dev.csv"


def _score(rows: Iterable[tuple[str | None, bool, str | None]]) -> dict[str, Any]:
    """``(truth, whether the profile gives a clue, answer)`` rows."""
    answered = right = known = total = 0
    for truth, clue, got in rows:
        total += 1
        known += clue
        if got is not None:
            answered += 1
            right += got == truth
    return {
        "rows": total,
        "truth_known": known,
        "answered": answered,
        "precision": round(right / answered, 3) if answered else None,
        "recall_of_known": round(right / known, 3) if known else None,
    }


def multi_dev(path: Path = LABELS) -> dict[str, Any]:
    from crawler.core.vocab import country_code

    pairs = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            fields = [{"name": "Website", "value": row["website"]}] if row["website"] else []
            got, _, _ = infer_country(row["bio"], fields, row["display_name"], None, row["lang"])
            truth = country_code(row["country"]) if row["country"] else None
            pairs.append((truth, truth is not None, got))
    return _score(pairs)


def demo_world(n_accounts: int = 3000) -> dict[str, Any]:
    from scout_demo.tables import INSTANCES
    from scout_demo.world import build_world

    world = build_world(n_accounts=n_accounts, n_posts=n_accounts * 2)
    pairs = []
    for acc in world.accounts:
        host = None
        if acc.platform == "mastodon" and acc.instance is not None:
            host = INSTANCES[acc.instance].title
        fields = [{"name": n, "value": v} for n, v, _ in acc.fields]
        got, _, _ = infer_country(acc.bio, fields, acc.display_name, host, acc.language)
        # right = where the generator put the account; a clue exists when truth is set
        pairs.append((acc.home_country, acc.country is not None, got))
    return _score(pairs)


if __name__ == "__main__":
    which = sys.argv[1:] or ["multi_dev", "demo"]
    if "multi_dev" in which:
        print("multi_dev.csv", multi_dev())
    if "demo" in which:
        print("demo world  ", demo_world())
