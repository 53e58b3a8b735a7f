"""Deriving the ESCO role lexicon."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from nlp.build_esco_lexicon import build_rows, main, split_label
from tests.support.fixtures import ROOT as ROOT_DIR
from tests.support.fixtures import SHARED_DIR

SHARED = SHARED_DIR
ESCO = SHARED / "data" / "esco"
COMMITTED = ROOT_DIR / "data" / "lexicons" / "esco_roles.tsv"


def test_split_gender_pairs() -> None:
    assert split_label("Bürgermeister/Bürgermeisterin") == ["Bürgermeister", "Bürgermeisterin"]
    assert split_label("  news   anchor ") == ["news anchor"]


def test_build_from_shared_esco(tmp_path: Path) -> None:
    if not (ESCO / "occupations_de.tsv").exists():
        pytest.skip(f"ESCO files not found in {ESCO}")
    out = tmp_path / "esco_roles.tsv"
    assert main([str(ESCO), str(out)]) == 0
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    index = {(r["lang"], r["term"]): (r["isco_code"], r["role"]) for r in rows}
    assert index[("de", "bürgermeisterin")] == ("1111", "politician")
    assert index[("fr", "journaliste")] == ("2642", "journalist")
    assert index[("pl", "dziennikarz")] == ("2642", "journalist")
    assert {r["isco_code"] for r in rows} <= {
        "1111",
        "1112",
        "2642",
        "2656",
        "2641",
        "2651",
        "2652",
        "2653",
        "2655",
        "3421",
    }
    # Athletes only as professionals: a commuter's "ciclista", a hobby skier's "narciarz"
    # and an airline pilot's "pilot" are not public figures.
    assert index[("en", "professional athlete")] == ("3421", "public_figure")
    assert index[("nl", "profwielrenner")] == ("3421", "public_figure")
    for hobby in [("it", "ciclista"), ("fr", "cycliste"), ("en", "cyclist"), ("en", "skier"),
                  ("pl", "narciarz"), ("pl", "pilot"), ("ro", "sportiv")]:  # fmt: skip
        assert hobby not in index, hobby
    # Only relevant occupations: no plumbers, no generals.
    assert ("en", "plumber") not in index and ("de", "general") not in index
    # The committed file is what the builder produces.
    assert out.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")


def test_rows_are_sorted_and_unique() -> None:
    if not ESCO.exists():
        pytest.skip(f"ESCO files not found in {ESCO}")
    rows = build_rows(ESCO)
    assert rows == sorted(set(rows))
