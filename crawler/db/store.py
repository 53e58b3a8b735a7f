"""DuckDB storage: open/migrate, Arrow-batch upserts, runs, cursors, refs, erasure, retention.

Every write of collected items goes through a ``pyarrow.Table`` built with an explicit
schema, registered on the connection and consumed by one ``INSERT ... SELECT`` (never
row-by-row ``executemany``).  Loads are keyed, so storing the same batch twice changes
nothing but the "last seen" bookkeeping.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

import duckdb
import pandas as pd
import pyarrow as pa

from crawler.core.items import AccountItem, InteractionItem, PostItem
from crawler.core.matching import SQL_PREDICATE, CampaignMatcher
from crawler.db import schema

DEFAULT_DB = "data/scout.duckdb"

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

# Profile columns a newer sighting overwrites when it carries a value.
_ACCOUNT_PROFILE_COLUMNS = (
    "platform",
    "handle",
    "display_name",
    "bio",
    "url",
    "followers_count",
    "following_count",
    "posts_count",
    "is_group",
    "created_at",
    "instance",
    "fields",
    "labels",
    "discoverable",
    "indexable",
    "noindex",
)

INSTANCE_BATCH_SCHEMA = pa.schema(
    [
        ("host", pa.string()),
        ("base_url", pa.string()),
        ("software", pa.string()),
        ("version", pa.string()),
        ("speaks_mastodon_api", pa.bool_()),
        ("restricted_tags", pa.string()),
        ("robots_ok", pa.bool_()),
        ("first_seen_at", _TS),
        ("last_checked_at", _TS),
        ("discovered_from", pa.string()),
    ]
)

REF_PREFIX = "ref:"


class StorageError(Exception):
    """The database cannot be used; ``str()`` is one line for the user."""


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def normalise_key(key: str) -> str:
    """The form of an account id or handle that erasure hashes: trimmed, no '@', lower case."""
    return key.strip().lstrip("@").lower()


class Store:
    """One DuckDB database file holding everything eci-scout collects and derives."""

    def __init__(self, path: str | Path = DEFAULT_DB, *, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        in_memory = self.path == ":memory:"
        if not in_memory and not read_only:
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"{self.path}: cannot create folder: {exc}") from None
        if read_only and not in_memory and not Path(self.path).exists():
            raise StorageError(f"{self.path}: no such database")
        try:
            self.con: duckdb.DuckDBPyConnection = duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:
            msg = _one_line(exc)
            if "lock" in msg.lower():
                raise StorageError(
                    f"{self.path}: database is in use by another process ({msg})"
                ) from None
            raise StorageError(f"{self.path}: not a usable DuckDB database ({msg})") from None
        self._forgotten: set[str] | None = None
        self._opted_out: set[str] | None = None
        self._salt: str | None = None
        try:
            # dates in reasons and exports are UTC whatever the machine's zone
            self.con.execute("SET TimeZone = 'UTC'")
            self._migrate()
            self._salt = self._load_salt()
        except BaseException:
            self.con.close()
            raise

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """``BEGIN`` ... ``COMMIT``, or ``ROLLBACK`` if the block raises."""
        self.con.begin()
        try:
            yield self.con
        except BaseException:
            self.con.rollback()
            raise
        self.con.commit()

    def _table_exists(self, name: str) -> bool:
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()
        return bool(row and row[0])

    def schema_version(self) -> int:
        if not self._table_exists("schema_meta"):
            return 0
        row = self.con.execute("SELECT max(version) FROM schema_meta").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _migrate(self) -> None:
        try:
            current = self.schema_version()
        except duckdb.Error as exc:
            raise StorageError(f"{self.path}: cannot read schema ({_one_line(exc)})") from None
        if current > schema.SCHEMA_VERSION:
            raise StorageError(
                f"{self.path}: database schema version {current} is newer than this "
                f"eci-scout understands ({schema.SCHEMA_VERSION}); upgrade eci-scout"
            )
        pending = [(v, ddl) for v, ddl in schema.MIGRATIONS if v > current]
        if not pending:
            return
        if self.read_only:
            raise StorageError(
                f"{self.path}: database schema version {current} needs upgrading to "
                f"{schema.SCHEMA_VERSION}; open it once without read-only"
            )
        with self.transaction() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_meta (version INTEGER, applied_at TIMESTAMPTZ)"
            )
            for version, ddl in pending:
                con.execute(ddl)
                con.execute("INSERT INTO schema_meta VALUES (?, ?)", [version, _now()])

    def _load_salt(self) -> str | None:
        row = self.con.execute("SELECT value FROM settings WHERE name = 'forget_salt'").fetchone()
        if row and row[0]:
            return str(row[0])
        if self.read_only:
            return None
        salt = secrets.token_hex(32)
        self.con.execute(
            "INSERT INTO settings VALUES ('forget_salt', ?) ON CONFLICT (name) DO NOTHING",
            [salt],
        )
        row = self.con.execute("SELECT value FROM settings WHERE name = 'forget_salt'").fetchone()
        return str(row[0]) if row else salt

    # ------------------------------------------------------------------ batches
    @contextmanager
    def _registered(self, name: str, table: pa.Table | pd.DataFrame) -> Iterator[str]:
        # DuckDB 2.0 refuses register() while an earlier result (a fetchone() by any
        # caller sharing the connection) is unfinished; finish it without reading it.
        self.con.complete()
        self.con.register(name, table)
        try:
            yield name
        finally:
            self.con.unregister(name)

    def _write_refs(self, pairs: dict[str, str]) -> None:
        if not pairs:
            return
        batch = pa.Table.from_pylist(
            [{"ref": r, "target_id": t} for r, t in pairs.items()], schema=REF_BATCH_SCHEMA
        )
        with self._registered("_refs_batch", batch):
            self.con.execute(
                "INSERT INTO refs SELECT ref, target_id FROM _refs_batch "
                "ON CONFLICT (ref) DO UPDATE SET target_id = excluded.target_id"
            )

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
        now = _now()
        rows = []
        for a in latest.values():
            rows.append(
                {
                    "account_id": a.account_id,
                    "platform": a.platform,
                    "handle": a.handle,
                    "display_name": a.display_name,
                    "bio": a.bio,
                    "url": a.url,
                    "followers_count": a.followers_count,
                    "following_count": a.following_count,
                    "posts_count": a.posts_count,
                    "is_bot": bool(a.is_bot),
                    "is_group": bool(a.is_group),
                    "created_at": _utc(a.created_at),
                    "instance": a.instance,
                    "fields": json.dumps(
                        [asdict(f) for f in a.fields], default=str, ensure_ascii=False
                    ),
                    "labels": list(a.labels),
                    "discoverable": a.discoverable,
                    "indexable": a.indexable,
                    "noindex": a.noindex,
                    "seen_at": _utc(a.seen_at) or now,
                }
            )
        batch = pa.Table.from_pylist(rows, schema=ACCOUNT_BATCH_SCHEMA)
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
        cols = ", ".join(
            [*(f.name for f in ACCOUNT_BATCH_SCHEMA if f.name != "seen_at"), "first_seen_at"]
        )
        select = ", ".join(
            [*(f.name for f in ACCOUNT_BATCH_SCHEMA if f.name != "seen_at"), "seen_at"]
        )
        with self.transaction() as con, self._registered("_accounts_batch", batch):
            row = con.execute(
                "SELECT count(*) FROM _accounts_batch b WHERE NOT EXISTS "
                "(SELECT 1 FROM accounts a WHERE a.account_id = b.account_id)"
            ).fetchone()
            new = int(row[0]) if row else 0
            con.execute(
                f"INSERT INTO accounts ({cols}, last_seen_at) "  # noqa: S608 (column names only)
                f"SELECT {select}, seen_at FROM _accounts_batch "
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
        now = _now()
        for p in items:
            row = {
                "post_id": p.post_id,
                "platform": p.platform,
                "account_id": p.account_id,
                "url": p.url,
                "created_at": _utc(p.created_at),
                "text": p.text,
                "lang": p.lang,
                "hashtags": [h.lower().lstrip("#") for h in p.hashtags],
                "mentions": list(p.mentions),
                "links": list(p.links),
                "reply_to": p.reply_to,
                "repost_of": p.repost_of,
                "like_count": p.like_count,
                "repost_count": p.repost_count,
                "reply_count": p.reply_count,
                "collected_at": _utc(p.collected_at) or now,
                "quote_of": p.quote_of,
                "source": p.source,
                "reply_to_ref": p.reply_to_ref,
                "sensitive": bool(p.sensitive),
            }
            prev = latest.pop(p.post_id, None)
            if prev is not None:  # duplicates in one batch: last wins, counts are the max
                for c in ("like_count", "repost_count", "reply_count"):
                    if prev[c] is not None and (row[c] is None or prev[c] > row[c]):
                        row[c] = prev[c]
                row["collected_at"] = min(prev["collected_at"], row["collected_at"])
            latest[p.post_id] = row
            if p.local_ref:
                refs[p.local_ref] = p.post_id
        batch = pa.Table.from_pylist(list(latest.values()), schema=POST_BATCH_SCHEMA)
        cols = ", ".join(f.name for f in POST_BATCH_SCHEMA)
        sets = [
            f"{c} = greatest(posts.{c}, excluded.{c})"
            for c in ("like_count", "repost_count", "reply_count")
        ]
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
            found = con.execute(
                "SELECT count(*) FROM _posts_batch b WHERE NOT EXISTS "
                "(SELECT 1 FROM posts p WHERE p.post_id = b.post_id)"
            ).fetchone()
            new = int(found[0]) if found else 0
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
            dst_handle = it.dst_handle
            dst_ref = None
            if dst_handle is not None and dst_handle.startswith(REF_PREFIX):
                dst_ref, dst_handle = dst_handle[len(REF_PREFIX) :], None
            target = it.dst_account_id or (dst_handle.lower() if dst_handle else None) or dst_ref
            key = (it.src_account_id, it.kind, it.post_id, target)
            rows[key] = {
                "src_account_id": it.src_account_id,
                "dst_account_id": it.dst_account_id,
                "kind": it.kind,
                "post_id": it.post_id,
                "created_at": _utc(it.created_at),
                "dst_handle": dst_handle,
                "dst_ref": dst_ref,
            }
        batch = pa.Table.from_pylist(list(rows.values()), schema=INTERACTION_BATCH_SCHEMA)
        cols = ", ".join(f.name for f in INTERACTION_BATCH_SCHEMA)
        with self.transaction() as con, self._registered("_interactions_batch", batch):
            row = con.execute(
                f"INSERT INTO interactions ({cols}) SELECT {cols} "  # noqa: S608
                "FROM _interactions_batch b WHERE NOT EXISTS ("
                " SELECT 1 FROM interactions i"
                " WHERE i.src_account_id = b.src_account_id AND i.kind = b.kind"
                " AND i.post_id = b.post_id AND ("
                "  i.dst_account_id = b.dst_account_id"
                "  OR lower(i.dst_handle) = lower(b.dst_handle)"
                "  OR i.dst_ref = b.dst_ref"
                "  OR (b.dst_account_id IS NULL AND b.dst_handle IS NULL AND b.dst_ref IS NULL"
                "      AND i.dst_account_id IS NULL AND i.dst_handle IS NULL"
                "      AND i.dst_ref IS NULL)))"
            ).fetchone()
        return int(row[0]) if row else 0

    def resolve_refs(self) -> int:
        """Resolve server-local references; returns how many rows were updated."""
        with self.transaction() as con:
            r1 = con.execute(
                "UPDATE posts SET reply_to = r.target_id FROM refs r "
                "WHERE posts.reply_to IS NULL AND posts.reply_to_ref = r.ref"
            ).fetchone()
            r2 = con.execute(
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
            ).fetchone()
        return (int(r1[0]) if r1 else 0) + (int(r2[0]) if r2 else 0)

    # ------------------------------------------------------------------ runs and cursors
    def start_run(self, campaign: str) -> str:
        run_id = uuid.uuid4().hex
        self.con.execute(
            "INSERT INTO runs (run_id, campaign, started_at, status) VALUES (?, ?, ?, 'running')",
            [run_id, campaign, _now()],
        )
        return run_id

    def finish_run(
        self,
        run_id: str,
        status: str,
        posts_new: int = 0,
        accounts_new: int = 0,
        errors: int = 0,
        skipped: dict[str, int] | None = None,
        stats: dict[str, Any] | None = None,
    ) -> None:
        self.con.execute(
            "UPDATE runs SET finished_at = ?, status = ?, posts_new = ?, accounts_new = ?,"
            " errors = ?, skipped = ?, stats = ? WHERE run_id = ?",
            [
                _now(),
                status,
                posts_new,
                accounts_new,
                errors,
                json.dumps(skipped or {}, sort_keys=True),
                json.dumps(stats or {}, sort_keys=True, default=str),
                run_id,
            ],
        )

    def last_runs(self, campaign: str, n: int = 10) -> pd.DataFrame:
        """The campaign's ``n`` most recent runs, newest first."""
        return self.con.execute(
            "SELECT * FROM runs WHERE campaign = ? ORDER BY started_at DESC, run_id LIMIT ?",
            [campaign, n],
        ).df()

    def new_since_run_start(self, run_id: str) -> tuple[int, int]:
        """(posts, accounts) first stored since the run started and still stored: what a
        run added, net of what the consent filter removed again in the same run."""
        rows = self.con.execute(
            "WITH r AS (SELECT started_at FROM runs WHERE run_id = ?) "
            "SELECT (SELECT count(*) FROM posts, r WHERE collected_at >= r.started_at),"
            " (SELECT count(*) FROM accounts, r WHERE first_seen_at >= r.started_at)",
            [run_id],
        ).fetchall()
        return (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)

    def mark_interrupted(self, campaign: str) -> int:
        """Mark runs left 'running' by a killed process; returns how many."""
        row = self.con.execute(
            "UPDATE runs SET status = 'interrupted', finished_at = coalesce(finished_at, ?)"
            " WHERE campaign = ? AND status = 'running'",
            [_now(), campaign],
        ).fetchone()
        return int(row[0]) if row else 0

    def get_cursor(self, source: str, key: str) -> str | None:
        row = self.con.execute(
            "SELECT value FROM cursors WHERE source = ? AND key = ?", [source, key]
        ).fetchone()
        return None if row is None else row[0]

    def set_cursor(self, source: str, key: str, value: str) -> None:
        self.con.execute(
            "INSERT INTO cursors VALUES (?, ?, ?, ?) ON CONFLICT (source, key) "
            "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            [source, key, value, _now()],
        )

    # ------------------------------------------------------------------ instances
    def load_instances(self) -> list[dict[str, Any]]:
        """Every row of ``instances`` (``restricted_tags`` as a dict, times aware UTC)."""
        rows = self.con.execute(
            "SELECT host, base_url, software, version, speaks_mastodon_api,"
            " restricted_tags, robots_ok, first_seen_at, last_checked_at, discovered_from"
            " FROM instances"
        ).fetchall()
        names = [
            "host", "base_url", "software", "version", "speaks_mastodon_api",
            "restricted_tags", "robots_ok", "first_seen_at", "last_checked_at",
            "discovered_from",
        ]  # fmt: skip
        out = []
        for row in rows:
            rec = dict(zip(names, row, strict=True))
            tags = rec["restricted_tags"]
            try:
                parsed = json.loads(tags) if isinstance(tags, str) else (tags or {})
            except ValueError:
                parsed = {}
            rec["restricted_tags"] = {str(k): str(v) for k, v in dict(parsed).items()}
            rec["first_seen_at"] = _utc(rec["first_seen_at"])
            rec["last_checked_at"] = _utc(rec["last_checked_at"])
            out.append(rec)
        return out

    def save_instances(self, rows: Sequence[dict[str, Any]]) -> int:
        """Upsert instance records (one Arrow batch); ``first_seen_at`` is kept once set."""
        if not rows:
            return 0
        batch = pa.Table.from_pylist(
            [
                {**r, "restricted_tags": json.dumps(r.get("restricted_tags") or {}, sort_keys=True)}
                for r in rows
            ],
            schema=INSTANCE_BATCH_SCHEMA,
        )
        with self._registered("_instances_batch", batch):
            self.con.execute(
                "INSERT INTO instances (host, base_url, software, version, speaks_mastodon_api,"
                " restricted_tags, robots_ok, first_seen_at, last_checked_at, discovered_from) "
                "SELECT host, base_url, software, version, speaks_mastodon_api,"
                " CAST(restricted_tags AS JSON), robots_ok, first_seen_at, last_checked_at,"
                " discovered_from FROM _instances_batch "
                "ON CONFLICT (host) DO UPDATE SET base_url = excluded.base_url,"
                " software = excluded.software, version = excluded.version,"
                " speaks_mastodon_api = excluded.speaks_mastodon_api,"
                " restricted_tags = excluded.restricted_tags, robots_ok = excluded.robots_ok,"
                " last_checked_at = excluded.last_checked_at,"
                " discovered_from = excluded.discovered_from,"
                " first_seen_at = coalesce(instances.first_seen_at, excluded.first_seen_at)"
            )
        return len(rows)

    # ------------------------------------------------------------------ live stream
    def bluesky_known(self, matcher: CampaignMatcher) -> dict[str, Any]:
        """What Jetstream events are checked against: stored Bluesky campaign posts
        (``posts``: post_id -> hashtags), reposts of them (``reposts``), Bluesky
        accounts (``accounts``) and interaction targets (``targets``)."""
        rows = self.con.execute(
            "SELECT p.post_id, p.hashtags, p.repost_of FROM posts p"  # noqa: S608 (constant fragment)
            " WHERE p.platform = 'bluesky' AND (p.repost_of IS NOT NULL OR " + SQL_PREDICATE + ")",
            dict(matcher.sql_params()),
        ).fetchall()
        posts = {str(pid): list(tags or []) for pid, tags, rep in rows if rep is None}
        reposts = {str(pid) for pid, _t, rep in rows if rep is not None and str(rep) in posts}
        accounts = self.con.execute(
            "SELECT account_id FROM accounts WHERE platform = 'bluesky'"
        ).fetchall()
        targets = self.con.execute(
            "SELECT DISTINCT dst_account_id FROM interactions WHERE dst_account_id LIKE 'bluesky:%'"
        ).fetchall()
        return {
            "posts": posts,
            "reposts": reposts,
            "accounts": {str(a[0]) for a in accounts},
            "targets": {str(a[0]) for a in targets},
        }

    # ------------------------------------------------------------------ campaigns
    def tag_campaign_posts(self, campaign: str, matcher: CampaignMatcher) -> int:
        """Record every stored post matching the campaign; returns how many were added."""
        row = self.con.execute(
            "INSERT INTO campaign_posts (campaign, post_id) "  # noqa: S608 (constant fragment)
            "SELECT $campaign, p.post_id FROM posts p WHERE "
            + SQL_PREDICATE
            + " AND NOT EXISTS (SELECT 1 FROM campaign_posts c"
            "                  WHERE c.campaign = $campaign AND c.post_id = p.post_id)",
            {"campaign": campaign, **matcher.sql_params()},
        ).fetchone()
        return int(row[0]) if row else 0

    def campaign_engagement(self, campaign: str) -> pd.DataFrame:
        """Per account: how many campaign posts and the newest one."""
        return self.con.execute(
            "SELECT p.account_id, count(*) AS campaign_posts, max(p.created_at) AS last_post_at "
            "FROM campaign_posts c JOIN posts p USING (post_id) WHERE c.campaign = ? "
            "GROUP BY p.account_id",
            [campaign],
        ).df()

    def campaign_texts(self, campaign: str) -> pd.DataFrame:
        """Per account, the texts of its campaign posts (a repost contributes the original's)."""
        return self.con.execute(
            "SELECT p.account_id,"
            " coalesce(list(coalesce(nullif(p.text, ''), o.text) ORDER BY p.created_at DESC)"
            "   FILTER (WHERE coalesce(nullif(p.text, ''), o.text) IS NOT NULL), [])::VARCHAR[]"
            "   AS texts "
            "FROM campaign_posts c JOIN posts p ON p.post_id = c.post_id "
            "LEFT JOIN posts o ON o.post_id = p.repost_of "
            "WHERE c.campaign = ? GROUP BY p.account_id ORDER BY p.account_id",
            [campaign],
        ).df()

    def write_account_campaign(self, campaign: str, df: pd.DataFrame) -> int:
        """Replace the campaign's stance/engagement rows with ``df``; returns the row count."""
        cols = ["account_id", "stance", "stance_score", "campaign_posts", "last_post_at"]
        frame = df.reindex(columns=cols).copy()
        frame["last_post_at"] = pd.to_datetime(frame["last_post_at"], utc=True)
        with self.transaction() as con, self._registered("_account_campaign_df", frame):
            con.execute("DELETE FROM account_campaign WHERE campaign = ?", [campaign])
            con.execute(
                "INSERT INTO account_campaign "
                "(campaign, account_id, stance, stance_score, campaign_posts, last_post_at) "
                "SELECT ?, account_id, stance, stance_score::DOUBLE, campaign_posts::BIGINT,"
                " last_post_at::TIMESTAMPTZ FROM _account_campaign_df",
                [campaign],
            )
        return len(frame)

    # ------------------------------------------------------------------ classifier I/O
    def accounts_for_classification(self, only_new: bool = True) -> pd.DataFrame:
        """Profiles plus up to 20 most recent post texts, for ``nlp.classify``.

        ``only_new`` selects accounts never classified (``classified_at`` NULL).
        """
        df = self.con.execute(
            "WITH recent AS ("
            " SELECT account_id, text, lang,"
            "  row_number() OVER (PARTITION BY account_id"
            "   ORDER BY created_at DESC NULLS LAST, post_id) AS n"
            " FROM posts WHERE coalesce(text, '') <> ''"
            "  AND account_id IN (SELECT account_id FROM accounts"
            "                     WHERE NOT ? OR classified_at IS NULL)) "
            "SELECT a.account_id, a.platform, a.handle, a.display_name, a.bio,"
            " a.fields, a.followers_count, a.is_bot, a.instance, a.labels,"
            " coalesce(list(r.text ORDER BY r.n) FILTER (WHERE r.n <= 20), [])::VARCHAR[]"
            "   AS posts,"
            " coalesce(list(r.lang ORDER BY r.n) FILTER (WHERE r.n <= 20), [])::VARCHAR[]"
            "   AS post_langs "
            "FROM accounts a LEFT JOIN recent r ON r.account_id = a.account_id "
            "WHERE NOT ? OR a.classified_at IS NULL "
            "GROUP BY ALL ORDER BY a.account_id",
            [only_new, only_new],
        ).df()
        df["fields"] = [json.loads(f) if isinstance(f, str) and f else [] for f in df["fields"]]
        df["labels"] = [list(v) if v is not None else [] for v in df["labels"]]
        df["posts"] = [list(v) for v in df["posts"]]
        df["post_langs"] = [list(v) for v in df["post_langs"]]
        return df

    def write_classifications(self, df: pd.DataFrame) -> int:
        """Write classifier output (one row per account_id); returns rows updated."""
        if df.empty:
            return 0
        cols = [
            "account_id",
            "role",
            "org_type",
            "language",
            "country",
            "role_confidence",
            "country_confidence",
            "class_reasons",
            "is_bot",
            "classified_at",
        ]
        frame = df.reindex(columns=cols).drop_duplicates("account_id", keep="last").copy()
        frame["class_reasons"] = [
            "; ".join(map(str, v)) if isinstance(v, list | tuple) else v
            for v in frame["class_reasons"]
        ]
        frame["is_bot"] = frame["is_bot"].astype("boolean").fillna(False).astype(bool)
        stamped = pd.to_datetime(frame["classified_at"], utc=True).astype("datetime64[us, UTC]")
        frame["classified_at"] = stamped.fillna(pd.Timestamp(_now()).as_unit("us"))
        for c in ("role", "org_type", "language", "country", "class_reasons"):
            frame[c] = frame[c].astype("object").where(frame[c].notna(), None)
        with self.transaction() as con, self._registered("_classified_df", frame):
            row = con.execute(
                "UPDATE accounts SET role = d.role, org_type = d.org_type,"
                " language = d.language, country = d.country,"
                " role_confidence = d.role_confidence::DOUBLE,"
                " country_confidence = d.country_confidence::DOUBLE,"
                " class_reasons = d.class_reasons,"
                " is_bot = accounts.is_bot OR d.is_bot,"
                " classified_at = d.classified_at::TIMESTAMPTZ "
                "FROM _classified_df d WHERE accounts.account_id = d.account_id"
            ).fetchone()
        return int(row[0]) if row else 0

    # ------------------------------------------------------------------ consent
    def forget_hash(self, key: str) -> str:
        """sha256 of the database's salt and the normalised key, hex."""
        salt = self._salt or ""
        return hashlib.sha256((salt + "\x00" + normalise_key(key)).encode("utf-8")).hexdigest()

    def _forgotten_hashes(self) -> set[str]:
        if self._forgotten is None:
            self._forgotten = {
                r[0] for r in self.con.execute("SELECT key_hash FROM forgotten").fetchall()
            }
        return self._forgotten

    # opt-outs remembered across runs (hashes only) ---------------------------------
    def _opted_out_hashes(self) -> set[str]:
        if self._opted_out is None:
            self._opted_out = {
                r[0] for r in self.con.execute("SELECT key_hash FROM opted_out").fetchall()
            }
        return self._opted_out

    def record_opt_out(self, account_id: str, handle: str | None, reason: str) -> None:
        hashes = [self.forget_hash(k) for k in (account_id, handle) if k]
        self.con.execute(
            "INSERT INTO opted_out SELECT h, ?, ? FROM unnest(?::VARCHAR[]) t(h) "
            "ON CONFLICT (key_hash) DO UPDATE SET reason = excluded.reason,"
            " seen_at = excluded.seen_at",
            [reason, _now(), hashes],
        )
        self._opted_out_hashes().update(hashes)

    def clear_opt_out(self, account_id: str, handle: str | None) -> bool:
        """The account was seen without its opt-out: forget that it had one."""
        hashes = [self.forget_hash(k) for k in (account_id, handle) if k]
        known = self._opted_out_hashes()
        if not known.intersection(hashes):
            return False
        self.con.execute("DELETE FROM opted_out WHERE key_hash = ANY(?::VARCHAR[])", [hashes])
        known.difference_update(hashes)
        return True

    def is_opted_out(self, key: str) -> bool:
        known = self._opted_out_hashes()
        return bool(known) and self.forget_hash(key) in known

    def is_forgotten(self, account_id: str, handle: str | None = None) -> bool:
        hashes = self._forgotten_hashes()
        if not hashes:
            return False
        keys = [account_id] + ([handle] if handle else [])
        return any(self.forget_hash(k) in hashes for k in keys if k)

    @staticmethod
    def _keys_of(who: str) -> list[str]:
        """Account ids and handles an erasure request may denote."""
        w = who.strip()
        if w.startswith(("mastodon:", "bluesky:")):
            return [w]
        if w.startswith("did:"):
            return ["bluesky:" + w]
        if w.startswith(("http://", "https://")):
            parts = urlsplit(w)
            host = (parts.hostname or "").lower()
            segs = [unquote(s) for s in parts.path.split("/") if s]
            keys = ["mastodon:" + w.rstrip("/")]
            if host.endswith("bsky.app") and len(segs) >= 2 and segs[0] == "profile":
                ident = segs[1]
                return ["bluesky:" + ident] if ident.startswith("did:") else [ident.lower()]
            if segs and segs[0].startswith("@"):  # https://host/@user or /@user@other
                user = segs[0][1:]
                keys.append(user if "@" in user else f"{user}@{host}")
            elif len(segs) >= 2 and segs[0] in ("users", "u", "profile", "accounts"):
                keys.append(f"{segs[1]}@{host}")
            return keys
        return [normalise_key(w)]

    def _find_accounts(self, who: str) -> tuple[list[tuple[str, str]], list[str]]:
        keys = self._keys_of(who)
        ids = [k for k in keys if k.startswith(("mastodon:", "bluesky:"))]
        handles = [normalise_key(k) for k in keys if k not in ids]
        found = self.con.execute(
            "SELECT account_id, handle FROM accounts "
            "WHERE account_id = ANY(?::VARCHAR[]) OR lower(handle) = ANY(?::VARCHAR[])"
            "   OR url = ?",
            [ids, handles, who.strip()],
        ).fetchall()
        return [(str(a), str(h)) for a, h in found], keys

    def _delete_accounts(self, ids: list[str], handles: list[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        lh = [normalise_key(h) for h in handles]

        def run(table: str, sql: str, params: list[Any]) -> None:
            row = self.con.execute(sql, params).fetchone()
            counts[table] = counts.get(table, 0) + (int(row[0]) if row else 0)

        run(
            "interactions",
            "DELETE FROM interactions WHERE src_account_id = ANY(?::VARCHAR[])"
            " OR dst_account_id = ANY(?::VARCHAR[]) OR lower(dst_handle) = ANY(?::VARCHAR[])"
            " OR post_id IN (SELECT post_id FROM posts WHERE account_id = ANY(?::VARCHAR[]))",
            [ids, ids, lh, ids],
        )
        run(
            "campaign_posts",
            "DELETE FROM campaign_posts WHERE post_id IN"
            " (SELECT post_id FROM posts WHERE account_id = ANY(?::VARCHAR[]))",
            [ids],
        )
        run(
            "refs",
            "DELETE FROM refs WHERE target_id = ANY(?::VARCHAR[]) OR target_id IN"
            " (SELECT post_id FROM posts WHERE account_id = ANY(?::VARCHAR[]))",
            [ids, ids],
        )
        run("posts", "DELETE FROM posts WHERE account_id = ANY(?::VARCHAR[])", [ids])
        run("leads", "DELETE FROM leads WHERE account_id = ANY(?::VARCHAR[])", [ids])
        run(
            "account_campaign",
            "DELETE FROM account_campaign WHERE account_id = ANY(?::VARCHAR[])",
            [ids],
        )
        run("accounts", "DELETE FROM accounts WHERE account_id = ANY(?::VARCHAR[])", [ids])
        counts["mentions"] = self.strip_mentions(handles)
        return counts

    def delete_posts(self, post_ids: Sequence[str]) -> None:
        """Erase posts their authors deleted, with the interactions, campaign matches and
        refs that point at them."""
        ids = list(post_ids)
        if not ids:
            return
        with self.transaction() as con:
            con.execute("DELETE FROM interactions WHERE post_id = ANY(?::VARCHAR[])", [ids])
            con.execute("DELETE FROM campaign_posts WHERE post_id = ANY(?::VARCHAR[])", [ids])
            con.execute("DELETE FROM refs WHERE target_id = ANY(?::VARCHAR[])", [ids])
            con.execute("DELETE FROM posts WHERE post_id = ANY(?::VARCHAR[])", [ids])

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

    def strip_mentions(self, handles: Sequence[str]) -> int:
        """Remove these handles from every stored post's ``mentions``; returns the number
        of posts changed. Used for accounts that opted out or were forgotten."""
        lh = sorted({normalise_key(h) for h in handles if h})
        if not lh:
            return 0
        rows = self.con.execute(
            "UPDATE posts SET mentions = list_filter(mentions,"
            " lambda h: NOT list_contains(?::VARCHAR[], lower(h))) "
            "WHERE list_has_any(list_transform(mentions, lambda h: lower(h)), ?::VARCHAR[])",
            [lh, lh],
        ).fetchall()
        return int(rows[0][0]) if rows else 0

    def forget(self, who: str) -> dict[str, int]:
        """Erase an account everywhere and keep only salted hashes so it is never collected.

        ``who`` is an account_id, a handle (``user@host``, ``@user@host``, Bluesky handle),
        a DID or a profile URL.  The hashes are recorded even when nothing is stored yet.
        """
        if not who.strip():
            raise ValueError("forget: give an account id, handle or profile URL")
        found, keys = self._find_accounts(who)
        ids = [a for a, _ in found]
        handles = [h for _, h in found]
        with self.transaction() as con:
            counts = self._delete_accounts(ids, handles)
            to_hash = {self.forget_hash(k) for k in [*ids, *handles, *keys]}
            now = _now()
            for h in sorted(to_hash):
                con.execute(
                    "INSERT INTO forgotten VALUES (?, ?) ON CONFLICT (key_hash) DO NOTHING",
                    [h, now],
                )
        counts["forgotten"] = len(to_hash)
        self._forgotten = None
        return counts

    def delete_account_data(self, account_id: str) -> dict[str, int]:
        """Delete everything stored about one account (e.g. deleted on Bluesky), no hash."""
        rows = self.con.execute(
            "SELECT handle FROM accounts WHERE account_id = ?", [account_id]
        ).fetchall()
        with self.transaction():
            return self._delete_accounts([account_id], [str(r[0]) for r in rows])

    # ------------------------------------------------------------------ retention
    def purge_older_than(self, cutoff: datetime) -> dict[str, int]:
        """Delete posts created before ``cutoff`` (with their interactions and campaign
        matches) and accounts with no posts left that were last seen before ``cutoff``."""
        c = _utc(cutoff)
        counts: dict[str, int] = {}
        old = "(SELECT post_id FROM posts WHERE created_at < ?)"
        gone = (
            "(SELECT account_id FROM accounts a WHERE a.last_seen_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.account_id = a.account_id))"
        )

        def run(table: str, sql: str, params: list[Any]) -> None:
            row = self.con.execute(sql, params).fetchone()
            counts[table] = counts.get(table, 0) + (int(row[0]) if row else 0)

        with self.transaction():
            run("interactions", f"DELETE FROM interactions WHERE post_id IN {old}", [c])  # noqa: S608
            run("campaign_posts", f"DELETE FROM campaign_posts WHERE post_id IN {old}", [c])  # noqa: S608
            run("refs", f"DELETE FROM refs WHERE target_id IN {old}", [c])  # noqa: S608
            run("posts", "DELETE FROM posts WHERE created_at < ?", [c])
            run("refs", f"DELETE FROM refs WHERE target_id IN {gone}", [c])  # noqa: S608
            run("leads", f"DELETE FROM leads WHERE account_id IN {gone}", [c])  # noqa: S608
            run(
                "account_campaign",
                f"DELETE FROM account_campaign WHERE account_id IN {gone}",  # noqa: S608
                [c],
            )
            run(
                "accounts",
                "DELETE FROM accounts a WHERE a.last_seen_at < ? AND NOT EXISTS"
                " (SELECT 1 FROM posts p WHERE p.account_id = a.account_id)",
                [c],
            )
        return counts

    # ------------------------------------------------------------------ helpers
    def count(self, table: str) -> int:
        """Row count of one of the known tables (names checked against the schema)."""
        known = {r[0] for r in self.con.execute("SHOW TABLES").fetchall()}
        if table not in known:
            raise StorageError(f"no table {table!r}")
        row = self.con.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # noqa: S608
        return int(row[0]) if row else 0
