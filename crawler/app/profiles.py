"""``scout classify``: the crawl's classifier on profiles the user brings (JSONL)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from crawler.core.errors import ParseError, UserError
from crawler.core.items import AccountItem
from crawler.core.net import hostname

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


# What the classifier reads of a profile (README, "scout classify"); other keys are
# ignored, and :func:`ignored_keys` counts them for a notice.
PROFILE_KEYS = frozenset(
    {"platform", "handle", "display_name", "bio", "fields", "followers_count", "bot",
     "group", "is_group", "instance", "labels", "post_langs", "posts", "sites"}
)  # fmt: skip


def _native_item(record: dict[str, Any], seen: datetime) -> AccountItem | None:
    """A Mastodon ``Account`` or a Bluesky profile view as the platforms' APIs return
    them (``acct`` and ``username``; a ``did:`` and ``handle``), read by the crawl's own
    parsers; ``None`` for a record in the classifier's keys."""
    if isinstance(record.get("acct"), str) and "username" in record:
        from crawler.mastodon.parse import parse_account

        home = hostname(str(record.get("url") or record.get("uri") or ""))
        return parse_account(record, home, seen)
    did = record.get("did")
    if isinstance(did, str) and did.startswith("did:") and "handle" in record:
        from crawler.bluesky.parse import parse_profile

        return parse_profile(record, seen)
    return None


def native_profile(record: dict[str, Any], where: str, seen: datetime) -> dict[str, Any]:
    """``record`` in the classifier's keys: a platform's own account object converted
    (the posts, post languages and sites given beside it kept), any other record as it
    is; an unreadable platform object is a one-line error naming ``where``."""
    try:
        item = _native_item(record, seen)
    except ParseError as exc:
        raise UserError(f"{where}: {exc}") from None
    if item is None:
        return record
    profile: dict[str, Any] = {
        "platform": item.platform,
        "handle": item.handle,
        "display_name": item.display_name,
        "bio": item.bio,
        "fields": [{"name": f.name, "value": f.value} for f in item.fields],
        "followers_count": item.followers_count,
        "bot": item.is_bot,
        "group": item.is_group,
        "instance": item.instance,
        "labels": item.labels,
    }
    for key in ("posts", "post_langs", "sites"):
        if key in record:
            profile[key] = record[key]
    return profile


def ignored_keys(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Keys the classifier does not read -> how many records carry them."""
    counts: dict[str, int] = {}
    for record in records:
        for key in record.keys() - PROFILE_KEYS:
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def read_profiles(lines: Iterable[str], source: str) -> list[dict[str, Any]]:
    """One JSON object per non-blank line; ``source`` names the input in errors. A
    platform's own account object (Mastodon ``Account``, Bluesky profile view) is read
    as the crawl reads it (:func:`native_profile`). A byte order mark is skipped, and
    an input that is one JSON document (an array of objects, as an API's search
    answers, or one object over several lines, as ``jq`` prints it) is read as such."""
    lines = list(lines)
    if lines:
        lines[0] = lines[0].removeprefix("\ufeff")
    try:
        values = list(_json_lines(lines, source))
    except UserError:
        document = _one_document(lines)
        if document is None:
            raise
    else:
        document = None
        if not all(isinstance(v, dict) for _, v in values):
            document = _one_document(lines)
        if document is None:  # JSON lines (one not an object is named by _records)
            return _records(values)
    if isinstance(document, dict):
        return _records([(source, document)])
    return _records((f"{source}[{i}]", item) for i, item in enumerate(document))


def _json_lines(lines: list[str], source: str) -> Iterator[tuple[str, Any]]:
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield f"{source}:{n}", json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{source}:{n}: not JSON: {exc.msg}") from None


def _one_document(lines: list[str]) -> dict[str, Any] | list[Any] | None:
    """The input as one JSON object or array, or ``None`` when it is not one."""
    text = "\n".join(lines).strip()
    if not text.startswith(("{", "[")):
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return None
    return document if isinstance(document, dict | list) else None


def _records(values: Iterable[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Each decoded ``(where, value)`` as a checked profile record."""
    seen = datetime.now(UTC)
    records = []
    for where, value in values:
        if not isinstance(value, dict):
            raise UserError(f"{where}: expected a JSON object (a profile), found {_kind(value)}")
        record = native_profile(value, where, seen)
        _check(record, where)
        records.append(record)
    return records


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def classify_profiles(records: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Per record: its platform and handle with the classifier's result."""
    from nlp.classify import Classifier  # spaCy loads only when asked

    for record, result in zip(records, Classifier().classify_many(records), strict=True):
        yield {"platform": record.get("platform"), "handle": record.get("handle"), **result}
