"""What the classifier's speed-ups (Issue 8) rely on gives the same results as spaCy's
own way: the tokenizer without its whitespace special cases (``cache_tokens``) and the
direct extension access (``get_ext`` / ``set_ext``). The speed itself is measured by
``python -m bench.classify_throughput``, never here."""

from __future__ import annotations

import csv
from typing import Any

import pytest
import spacy
from spacy.tokens import Doc

from nlp.classify import Classifier
from nlp.phrases import cache_tokens, get_ext, set_ext
from nlp.profile import text_and_sections
from scout_demo.world import build_world
from tests.support.fixtures import SHARED_DIR

LABELS = SHARED_DIR / "data" / "labels"
# Whitespace next to and between everything the tokenizer splits off or keeps whole.
EDGE_TEXTS = [
    "a\nb",
    "a\n\nb",
    "a \n b",
    "a\tb\t\tc",
    "a \t\n",
    "a  b   c",
    " a",
    "a ",
    "\n",
    " ",
    "\t",
    "a\n",
    "x\u00a0y",
    "a\r\nb",
    "(\n)",
    ":)\n:(\n<3",
    "Ms.\nSmith e.g.\tU.S.\n’s 's\n",
    "Berlin-Mitte\nhttps://example.org/x?a=1\n#ECI @someone\n🇩🇪 🇪🇺\n¯\\(ツ)/¯\n",
]


def _demo_profiles(n: int = 300) -> list[dict[str, Any]]:
    world = build_world(2026, n_accounts=n, n_posts=n * 5, follows=False)
    return world.classifier_profiles(posts=5, post_chars=10_000)


def _labelled_profiles() -> list[dict[str, Any]]:
    out = []
    for name in ("humanizr_dev.csv", "multi_dev.csv"):
        with (LABELS / name).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                fields = (
                    [{"name": "Website", "value": row["website"]}] if row.get("website") else []
                )
                out.append(
                    {
                        "platform": "twitter",
                        "display_name": row["display_name"],
                        "bio": row["bio"],
                        "fields": fields,
                    }
                )
    return out


@pytest.fixture(scope="module")
def profiles() -> list[dict[str, Any]]:
    return _demo_profiles() + _labelled_profiles()


def _tokens(doc: Doc) -> list[tuple[Any, ...]]:
    return [
        (t.text, t.idx, t.whitespace_, t.norm_, t.lower_, t.is_alpha, t.is_space, t.is_punct)
        for t in doc
    ]


def test_cache_tokens_keeps_every_token(profiles: list[dict[str, Any]]) -> None:
    texts = [text_and_sections(p["display_name"], p["bio"], p.get("fields"))[0] for p in profiles]
    texts += ["\n".join(p.get("posts") or []) for p in profiles]
    texts += EDGE_TEXTS
    stock = spacy.blank("xx")
    fast = cache_tokens(spacy.blank("xx"))
    assert "\n" not in fast.tokenizer.rules
    assert "\u00a0" in fast.tokenizer.rules  # a rule that changes the norm stays
    for _ in range(2):  # the second time from the tokenizer's cache
        for text in texts:
            assert _tokens(fast.make_doc(text)) == _tokens(stock.make_doc(text)), text


def test_get_and_set_ext_are_doc_underscore() -> None:
    Doc.set_extension("scout_speed_probe", default=0.5, force=True)
    doc = spacy.blank("xx").make_doc("Greenpeace Deutschland")
    assert get_ext(doc, "scout_speed_probe") == 0.5  # the default while unset
    assert get_ext(doc, "scout_not_registered") is None
    set_ext(doc, scout_speed_probe=2.0)
    assert doc._.scout_speed_probe == 2.0
    doc._.scout_speed_probe = 3.0
    assert get_ext(doc, "scout_speed_probe") == 3.0


def test_classifier_outputs_as_with_spacys_stock_tokenizer(
    profiles: list[dict[str, Any]],
) -> None:
    clf = Classifier()
    fast = list(clf.classify_many(profiles))
    tokenizer: Any = clf.nlp.tokenizer
    tokenizer.rules = spacy.blank("xx").tokenizer.rules
    try:
        stock = list(clf.classify_many(profiles))
    finally:
        cache_tokens(clf.nlp)
    assert len(fast) == len(profiles) > 2000
    assert fast == stock
