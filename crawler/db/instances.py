"""The Mastodon instance registry (``instances``), loaded and saved whole."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from crawler.db.connection import Connection, unit, utc
from crawler.db.loads import arrow_batch

_TS = pa.timestamp("us", tz="UTC")

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


class Instances(Connection):
    @unit
    def load_instances(self) -> list[dict[str, Any]]:
        """Every row of ``instances`` (``restricted_tags`` as a dict, times aware UTC)."""
        rows = self.con.execute(
            "SELECT host, base_url, software, version, speaks_mastodon_api,"
            " restricted_tags, robots_ok, first_seen_at, last_checked_at, discovered_from"
            " FROM instances"
        ).fetchall()
        names = INSTANCE_BATCH_SCHEMA.names
        out = []
        for row in rows:
            rec = dict(zip(names, row, strict=True))
            tags = rec["restricted_tags"]
            try:
                parsed = json.loads(tags) if isinstance(tags, str) else (tags or {})
            except ValueError:
                parsed = {}
            rec["restricted_tags"] = {str(k): str(v) for k, v in dict(parsed).items()}
            rec["first_seen_at"] = utc(rec["first_seen_at"])
            rec["last_checked_at"] = utc(rec["last_checked_at"])
            out.append(rec)
        return out

    @unit
    def save_instances(self, rows: Sequence[dict[str, Any]]) -> int:
        """Upsert instance records (one Arrow batch); ``first_seen_at`` is kept once set."""
        if not rows:
            return 0
        batch = arrow_batch(
            (
                {**r, "restricted_tags": json.dumps(r.get("restricted_tags") or {}, sort_keys=True)}
                for r in rows
            ),
            INSTANCE_BATCH_SCHEMA,
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
