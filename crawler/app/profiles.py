"""``scout classify``: the crawl's classifier on profiles the user brings (JSONL)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from crawler.core.errors import UserError


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
        records.append(record)
    return records


def classify_profiles(records: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Per record: its platform and handle with the classifier's result."""
    from nlp.classify import Classifier  # spaCy loads only when asked

    for record, result in zip(records, Classifier().classify_many(records), strict=True):
        yield {"platform": record.get("platform"), "handle": record.get("handle"), **result}
