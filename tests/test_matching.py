"""One campaign-matching rule, two engines: the Python predicate that collectors, the
live stream and the stance scorer use, and the SQL fragment the store tags campaign
posts with, must give the same answer on every text, real and tricky."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from crawler.core.matching import SQL_PREDICATE, CampaignMatcher
from crawler.core.text import hashtags_in_text, html_to_text
from tests.support.fixtures import FIXTURES_DIR, json_bodies, require, walk_dicts

TRICKY = [
    "the ECI!",
    "ECIs are many",
    "speci al",
    "#savebees now",
    "x#savebees",
    "#SaveBeesNow",
    "#ökozid jetzt",
    "#ÖKOZID",
    "RIGHT  to\nrepair",
    "right\u00a0to repair",
    "right to repairs",
    "ΟΔΟΣ μας",
    "η οδός μας",
    "Η ΟΔΌΣ",
    "learn c++ now",
    "c++x",
    "_ECI",
    "ECI_",
    "ECI²",
    "日本ECI",
    "ＥＣＩ",
    "＃savebees yes",
    "(ECI)",
    "l'ECI",
    "ECI-Kampagne",
    "",
    "eci\u0301",
    "Saubere Luft: Bürgerinitiative!",
    "bürgerinitiativen",
    "\u200b#savebees",
]


def _engine_agree(matcher: CampaignMatcher, rows: list[tuple[str | None, list[str]]]) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE posts (i INTEGER, text VARCHAR, hashtags VARCHAR[])")
    con.executemany(  # a test table of a few hundred rows, not a product write
        "INSERT INTO posts VALUES (?, ?, ?)", [(i, t, h) for i, (t, h) in enumerate(rows)]
    )
    in_sql = {
        i
        for (i,) in con.execute(
            "SELECT p.i FROM posts p WHERE " + SQL_PREDICATE,  # noqa: S608 (constant)
            dict(matcher.sql_params()),
        ).fetchall()
    }
    in_python = {i for i, (t, h) in enumerate(rows) if matcher.matches(t, h)}
    differ = sorted(in_sql ^ in_python)
    assert not differ, [(rows[i], i in in_python, i in in_sql) for i in differ]


def test_tricky_texts_agree_and_mean_whole_words() -> None:
    m = CampaignMatcher(
        ["#SaveBees", "Ökozid"], ["ECI", "right to repair", "Οδός", "c++", "Bürgerinitiative"]
    )
    _engine_agree(m, [(t, []) for t in TRICKY])
    assert m.matches_text("the ECI!") and m.matches_text("(ECI)") and m.matches_text("l'ECI")
    assert m.matches_text("ECI-Kampagne")  # a hyphen ends a word
    assert not m.matches_text("ECIs are many") and not m.matches_text("speci al")
    assert not m.matches_text("x#savebees") and not m.matches_text("#SaveBeesNow")
    assert m.matches_text("RIGHT  to\nrepair") and m.matches_text("right\u00a0to repair")
    assert m.matches_text("Η ΟΔΌΣ")  # final sigma folds like sigma in both engines
    assert not m.matches_text("bürgerinitiativen")
    assert m.matches("no words here", ["savebees"])  # a platform's own tag list
    assert m.matches("", ["#ÖKOZID"])


def test_empty_campaign_matches_nothing() -> None:
    m = CampaignMatcher([], [" "])
    assert not m
    _engine_agree(m, [(t, ["a"]) for t in TRICKY])
    assert not any(m.matches(t, ["a"]) for t in TRICKY)


def _real_posts() -> Iterator[tuple[str, list[str]]]:
    require(FIXTURES_DIR)
    paths = [p for ext in ("json", "yaml", "yml") for p in FIXTURES_DIR.rglob(f"*.{ext}")]
    for path in sorted(paths):
        for _name, body in json_bodies(path):
            for d in walk_dicts(body):
                text: Any = None
                if isinstance(d.get("content"), str) and "uri" in d:
                    text = html_to_text(d["content"])
                elif isinstance(d.get("text"), str) and "$type" in d:
                    text = d["text"]
                if isinstance(text, str):
                    yield text, hashtags_in_text(text)


def test_real_posts_agree() -> None:
    posts = list(dict.fromkeys((t, tuple(h)) for t, h in _real_posts()))
    if len(posts) < 50:
        pytest.skip(f"only {len(posts)} recorded posts found under {FIXTURES_DIR}")
    rows = [(t, list(h)) for t, h in posts]
    tags = Counter(t for _, h in rows for t in h)
    words = Counter(w for t, _ in rows for w in re.findall(r"\w{5,}", t.lower()))
    matcher = CampaignMatcher(
        [t for t, _ in tags.most_common(15)],
        [w for w, _ in words.most_common(40)[10:30]] + ["open source", "de la"],
    )
    _engine_agree(matcher, rows)
    # the rule really selects: some posts in, most out
    hits = sum(matcher.matches(t, h) for t, h in rows)
    assert 0 < hits < len(rows)
