"""Keyed loads of collected items: accounts, posts, interactions and server-local refs.

Every write goes through a ``pyarrow.Table`` built by :func:`arrow_batch` from the
items (:func:`item_row`: a shallow dict of the item's fields) with an explicit batch
schema, registered on the connection and consumed by one ``INSERT ... SELECT`` (never
row-by-row ``executemany``). Column lists of the statements come from the same
schemas. Loads are keyed, so storing the same batch twice changes nothing but the "last
seen" bookkeeping; each load returns how many rows were new.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, fields
from typing import Any

import pyarrow as pa

from crawler.core.items import AccountItem, InteractionItem, PostItem
from crawler.db.connection import Connection, now, unit, utc

_TS = pa.timestamp("us", tz="UTC")

_STRS = pa.list_(pa.string())

ACCOUNT_BATCH_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("platform", pa.string()),
        ("handle", pa.string()),
        ("display_name", pa.string()),
        ("bio", pa.string()),
        ("url", pa.string()),
        ("followers_count", pa.int64()),
        ("following_count", pa.int64()),
        ("posts_count", pa.int64()),
        ("is_bot", pa.bool_()),
        ("is_group", pa.bool_()),
        ("created_at", _TS),
        ("instance", pa.string()),
        ("fields", pa.string()),
        ("labels", _STRS),
        ("discoverable", pa.bool_()),
        ("indexable", pa.bool_()),
        ("noindex", pa.bool_()),
        ("locked", pa.bool_()),
        ("chat_allow_incoming", pa.string()),
        ("seen_at", _TS),
    ]
)

POST_BATCH_SCHEMA = pa.schema(
    [
        ("post_id", pa.string()),
        ("platform", pa.string()),
        ("account_id", pa.string()),
        ("url", pa.string()),
        ("created_at", _TS),
        ("text", pa.string()),
        ("lang", pa.string()),
        ("hashtags", _STRS),
        ("mentions", _STRS),
        ("links", _STRS),
        ("reply_to", pa.string()),
        ("repost_of", pa.string()),
        ("like_count", pa.int64()),
        ("repost_count", pa.int64()),
        ("reply_count", pa.int64()),
        ("collected_at", _TS),
        ("quote_of", pa.string()),
        ("source", pa.string()),
        ("reply_to_ref", pa.string()),
        ("sensitive", pa.bool_()),
    ]
)

INTERACTION_BATCH_SCHEMA = pa.schema(
    [
        ("src_account_id", pa.string()),
        ("dst_account_id", pa.string()),
        ("kind", pa.string()),
        ("post_id", pa.string()),
        ("created_at", _TS),
        ("dst_handle", pa.string()),
        ("dst_ref", pa.string()),
    ]
)

REF_BATCH_SCHEMA = pa.schema([("ref", pa.string()), ("target_id", pa.string())])

# Classification columns written by the classifier; an upsert of a profile never touches them.
CLASSIFICATION_COLUMNS = (
    "role",
    "org_type",
    "language",
    "country",
    "role_confidence",
    "country_confidence",
    "class_reasons",
    "classified_at",
)

# Profile columns a newer sighting overwrites when it carries a value (all but the key,
# the bot flag, which only ever turns on, and the sighting time).
_ACCOUNT_PROFILE_COLUMNS = tuple(
    n for n in ACCOUNT_BATCH_SCHEMA.names if n not in ("account_id", "is_bot", "seen_at")
)
_COUNTS = ("like_count", "repost_count", "reply_count")
# interaction kinds with one target per post (a mention names many)
_ONE_TARGET = frozenset({"reply", "repost", "quote"})

REF_PREFIX = "ref:"


def arrow_batch(rows: Iterable[Mapping[str, Any]], schema: pa.Schema) -> pa.Table:
    """One Arrow table of ``rows`` with exactly the columns of ``schema`` (other keys of
    a row are ignored, missing ones are NULL)."""
    return pa.Table.from_pylist([{n: r.get(n) for n in schema.names} for r in rows], schema=schema)


def columns(schema: pa.Schema, *, without: Sequence[str] = ()) -> str:
    """The schema's column names as an SQL list (names only, never values)."""
    return ", ".join(n for n in schema.names if n not in without)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # item class -> its field names


def item_row(item: Any) -> dict[str, Any]:
    """The item's fields as a dict, one level deep: ``dataclasses.asdict`` deep-copies
    every list and nested dataclass, which was a sixth of a follower page's storing
    time; the batch builder copies the values into Arrow anyway."""
    cls = type(item)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return {name: getattr(item, name) for name in names}


class Loads(Connection):
    def _write_refs(self, pairs: dict[str, str]) -> None:
        if not pairs:
            return
        batch = arrow_batch(
            ({"ref": r, "target_id": t} for r, t in pairs.items()), REF_BATCH_SCHEMA
        )
        with self._registered("_refs_batch", batch):
            self.con.execute(
                "INSERT INTO refs SELECT ref, target_id FROM _refs_batch "
                "ON CONFLICT (ref) DO UPDATE SET target_id = excluded.target_id"
            )

    def _count_new(self, batch: str, table: str, key: str) -> int:
        row = self.con.execute(
            f"SELECT count(*) FROM {batch} b WHERE NOT EXISTS "  # noqa: S608 (names only)
            f"(SELECT 1 FROM {table} t WHERE t.{key} = b.{key})"
        ).fetchone()
        return int(row[0]) if row else 0

    def upsert_accounts(self, items: Sequence[AccountItem]) -> int:
        """Insert or refresh account profiles; returns how many accounts were new."""
        if not items:
            return 0
        latest: dict[str, AccountItem] = {}
        refs: dict[str, str] = {}
        for item in items:
            latest.pop(item.account_id, None)
            latest[item.account_id] = item  # last wins
            for ref in item.local_refs:
                refs[ref] = item.account_id
        stamp = now()
        rows = []
        for a in latest.values():
            row = item_row(a)
            row["is_bot"] = bool(a.is_bot)
            row["is_group"] = bool(a.is_group)
            row["created_at"] = utc(a.created_at)
            row["fields"] = json.dumps(
                [asdict(f) for f in a.fields], default=str, ensure_ascii=False
            )
            row["seen_at"] = utc(a.seen_at) or stamp
            rows.append(row)
        batch = arrow_batch(rows, ACCOUNT_BATCH_SCHEMA)
        newer = "(accounts.last_seen_at IS NULL OR excluded.last_seen_at >= accounts.last_seen_at)"
        sets = [
            f"{c} = CASE WHEN {newer} AND excluded.{c} IS NOT NULL "
            f"THEN excluded.{c} ELSE accounts.{c} END"
            for c in _ACCOUNT_PROFILE_COLUMNS
        ]
        sets += [
            # the classifier may also flag bots: a platform flag never clears it
            "is_bot = accounts.is_bot OR excluded.is_bot",
            "first_seen_at = coalesce(accounts.first_seen_at, excluded.first_seen_at)",
            "last_seen_at = greatest(accounts.last_seen_at, excluded.last_seen_at)",
        ]
        cols = columns(ACCOUNT_BATCH_SCHEMA, without=["seen_at"])
        with self.transaction() as con, self._registered("_accounts_batch", batch):
            new = self._count_new("_accounts_batch", "accounts", "account_id")
            con.execute(
                f"INSERT INTO accounts ({cols}, first_seen_at, last_seen_at) "  # noqa: S608 (column names only)
                f"SELECT {cols}, seen_at, seen_at FROM _accounts_batch "
                f"ON CONFLICT (account_id) DO UPDATE SET {', '.join(sets)}"
            )
            self._write_refs(refs)
        return new

    def upsert_posts(self, items: Sequence[PostItem]) -> int:
        """Insert or refresh posts; returns how many posts were new."""
        if not items:
            return 0
        latest: dict[str, dict[str, Any]] = {}
        refs: dict[str, str] = {}
        stamp = now()
        for p in items:
            row = item_row(p)
            row["created_at"] = utc(p.created_at)
            row["hashtags"] = [h.lower().lstrip("#") for h in p.hashtags]
            row["collected_at"] = utc(p.collected_at) or stamp
            row["sensitive"] = bool(p.sensitive)
            prev = latest.pop(p.post_id, None)
            if prev is not None:  # duplicates in one batch: last wins, counts are the max
                for c in _COUNTS:
                    if prev[c] is not None and (row[c] is None or prev[c] > row[c]):
                        row[c] = prev[c]
                row["collected_at"] = min(prev["collected_at"], row["collected_at"])
            latest[p.post_id] = row
            if p.local_ref:
                refs[p.local_ref] = p.post_id
        batch = arrow_batch(latest.values(), POST_BATCH_SCHEMA)
        cols = columns(POST_BATCH_SCHEMA)
        sets = [f"{c} = greatest(posts.{c}, excluded.{c})" for c in _COUNTS]
        sets += [
            f"{c} = coalesce(excluded.{c}, posts.{c})"
            for c in ("url", "created_at", "lang", "hashtags", "mentions", "links", "source")
        ]
        sets += [
            f"{c} = coalesce(posts.{c}, excluded.{c})"
            for c in ("reply_to", "repost_of", "quote_of", "reply_to_ref")
        ]
        sets += [
            # an edited post keeps its latest text; a repost wrapper's "" never erases text
            "text = CASE WHEN coalesce(excluded.text, '') <> '' THEN excluded.text "
            "ELSE posts.text END",
            "sensitive = excluded.sensitive",
        ]
        with self.transaction() as con, self._registered("_posts_batch", batch):
            new = self._count_new("_posts_batch", "posts", "post_id")
            con.execute(
                f"INSERT INTO posts ({cols}) SELECT {cols} FROM _posts_batch "  # noqa: S608
                f"ON CONFLICT (post_id) DO UPDATE SET {', '.join(sets)}"
            )
            self._write_refs(refs)
        return new

    def add_interactions(self, items: Sequence[InteractionItem]) -> int:
        """Store interactions not stored yet; returns how many were added.

        The same interaction is recognised by (source, kind, post) and any one of the
        target's account id, handle (case-insensitive) or server-local ref, so that a
        stored row whose target was resolved later is not duplicated by a re-crawl.
        """
        if not items:
            return 0
        rows: dict[tuple[str, str, str, str | None], dict[str, Any]] = {}
        for it in items:
            row = item_row(it)
            row["created_at"] = utc(it.created_at)
            dst_handle = it.dst_handle
            if dst_handle is not None and dst_handle.startswith(REF_PREFIX):
                row["dst_ref"], row["dst_handle"] = dst_handle[len(REF_PREFIX) :], None
            handle = row["dst_handle"]
            target = it.dst_account_id or (handle.lower() if handle else None) or row.get("dst_ref")
            if it.kind in _ONE_TARGET:
                # one target per post: readings through several servers are one row,
                # a resolved reading first
                key = (it.src_account_id, it.kind, it.post_id, None)
                if key in rows and (rows[key]["dst_account_id"] or not it.dst_account_id):
                    continue
                rows[key] = row
                continue
            rows[(it.src_account_id, it.kind, it.post_id, target)] = row
        batch = arrow_batch(rows.values(), INTERACTION_BATCH_SCHEMA)
        cols = columns(INTERACTION_BATCH_SCHEMA)
        with self.transaction(), self._registered("_interactions_batch", batch):
            return self._changed(
                f"INSERT INTO interactions ({cols}) SELECT {cols} "  # noqa: S608
                "FROM _interactions_batch b WHERE NOT EXISTS ("
                " SELECT 1 FROM interactions i"
                " WHERE i.src_account_id = b.src_account_id AND i.kind = b.kind"
                " AND i.post_id = b.post_id AND ("
                "  i.dst_account_id = b.dst_account_id"
                "  OR lower(i.dst_handle) = lower(b.dst_handle)"
                "  OR i.dst_ref = b.dst_ref"
                # another server's local id of a target already resolved (the same
                # status read through two instances, or read again after a resume)
                "  OR i.dst_account_id = (SELECT r.target_id FROM refs r WHERE r.ref = b.dst_ref)"
                # a reply, repost or quote has one target: one reading of it is stored
                # (an unresolved one gives way to a resolved one in resolve_refs)
                "  OR (b.kind IN ('reply', 'repost', 'quote') AND b.dst_account_id IS NULL)"
                "  OR (b.dst_account_id IS NULL AND b.dst_handle IS NULL AND b.dst_ref IS NULL"
                "      AND i.dst_account_id IS NULL AND i.dst_handle IS NULL"
                "      AND i.dst_ref IS NULL)))"
            )

    def resolve_refs(self) -> int:
        """Resolve server-local references; returns how many rows were updated."""
        with self.transaction():
            return (
                self._changed(
                    "UPDATE posts SET reply_to = r.target_id FROM refs r "
                    "WHERE posts.reply_to IS NULL AND posts.reply_to_ref = r.ref"
                )
                + self._changed(
                    "UPDATE interactions SET dst_account_id = m.target FROM ("
                    " SELECT i.rowid AS rid, coalesce(r.target_id, h.account_id) AS target"
                    " FROM interactions i"
                    " LEFT JOIN refs r ON r.ref = i.dst_ref"
                    " LEFT JOIN (SELECT lower(handle) AS lh, min(account_id) AS account_id"
                    "            FROM accounts GROUP BY lower(handle)) h"
                    "   ON h.lh = lower(i.dst_handle)"
                    " WHERE i.dst_account_id IS NULL"
                    "   AND coalesce(r.target_id, h.account_id) IS NOT NULL) m "
                    "WHERE interactions.rowid = m.rid"
                )
                + self._dedupe_resolved()
            )

    def _dedupe_resolved(self) -> int:
        """One row per interaction once targets are resolved: the same interaction read
        through two servers (each with its own local ids) resolves to the same target.
        A reply, repost or quote has one target per post: once one reading of it is
        resolved, a reading whose local id no stored account carries (the target seen
        only through another server) is the same interaction, not another."""
        return self._changed(
            "DELETE FROM interactions WHERE rowid IN (SELECT rid FROM ("
            " SELECT rowid AS rid, row_number() OVER (PARTITION BY src_account_id, kind,"
            "  post_id, dst_account_id ORDER BY created_at, rowid) AS n"
            " FROM interactions WHERE dst_account_id IS NOT NULL) WHERE n > 1)"
        ) + self._changed(
            "DELETE FROM interactions WHERE dst_account_id IS NULL"
            " AND kind IN ('reply', 'repost', 'quote') AND EXISTS ("
            "  SELECT 1 FROM interactions r WHERE r.dst_account_id IS NOT NULL"
            "  AND r.src_account_id = interactions.src_account_id AND r.kind = interactions.kind"
            "  AND r.post_id = interactions.post_id)"
        )

    @unit
    def known_handles(self, handles: Sequence[str]) -> set[str]:
        """Which of these handles (compared in lower case) belong to stored accounts."""
        lh = sorted({h.lower() for h in handles if h})
        if not lh:
            return set()
        rows = self.con.execute(
            "SELECT DISTINCT lower(handle) FROM accounts WHERE lower(handle) = ANY(?::VARCHAR[])",
            [lh],
        ).fetchall()
        return {str(r[0]) for r in rows}
