"""``scout classify``: the crawl's classifier on profiles the user brings (JSONL)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from crawler.core.errors import UserError

# Input keys that hold lists, and what their items are (README, "scout classify").
LIST_KEYS: dict[str, tuple[type, str]] = {
    "posts": (str, "texts"),
    "post_langs": (str, "language codes"),
    "labels": (str, "texts"),
    "fields": (dict, "objects"),
    "sites": (dict, "objects"),
}


def _check(record: dict[str, Any], where: str) -> None:
    """A clear error for a list key that is not a list of its kind of items."""
    for key, (kind, what) in LIST_KEYS.items():
        value = record.get(key)
        if value is None:
            continue
        if not isinstance(value, list):
            raise UserError(
                f"{where}: '{key}' must be a list of {what}, not {type(value).__name__}"
            )
        bad = next((v for v in value if v is not None and not isinstance(v, kind)), None)
        if bad is not None:
            raise UserError(f"{where}: '{key}' must be a list of {what}, found {bad!r:.40}")
    followers = record.get("followers_count")
    if followers is not None and (
        isinstance(followers, bool) or not isinstance(followers, int | float)
    ):
        raise UserError(f"{where}: 'followers_count' must be a number, found {followers!r:.40}")


def read_profiles(lines: Iterable[str], source: str) -> list[dict[str, Any]]:
    """One JSON object per non-blank line; ``source`` names the input in errors."""
    records = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{source}:{n}: not JSON: {exc.msg}") from None
        if not isinstance(record, dict):
            raise UserError(f"{source}:{n}: expected a JSON object per line")
        _check(record, f"{source}:{n}")
        records.append(record)
    return records


def classify_profiles(records: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Per record: its platform and handle with the classifier's result."""
    from nlp.classify import Classifier  # spaCy loads only when asked

    for record, result in zip(records, Classifier().classify_many(records), strict=True):
        yield {"platform": record.get("platform"), "handle": record.get("handle"), **result}
