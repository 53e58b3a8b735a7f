"""Follow edges, seed lists and list members: keyed Arrow-batch loads, and the end of a
walk (edges a complete walk no longer lists are marked gone, never deleted, so an
analyst sees who unfollowed and when)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from crawler.core.items import FollowItem, ListMemberItem, SeedListItem
from crawler.db.connection import Connection, now, unit, utc
from crawler.db.loads import arrow_batch, columns

_TS = pa.timestamp("us", tz="UTC")

FOLLOW_BATCH_SCHEMA = pa.schema(
    [
        ("src_account_id", pa.string()),
        ("dst_account_id", pa.string()),
        ("platform", pa.string()),
        ("seen_at", _TS),
    ]
)

MEMBER_BATCH_SCHEMA = pa.schema(
    [
        ("list_id", pa.string()),
        ("account_id", pa.string()),
        ("platform", pa.string()),
        ("seen_at", _TS),
    ]
)

# which end of an edge a list names: a seed's followers are the edges pointing at it
_LIST_END = {"followers": "dst_account_id", "following": "src_account_id"}


class Follows(Connection):
    def add_follows(self, items: Sequence[FollowItem]) -> int:
        """Insert new edges, refresh the sighting of known ones (and bring back an edge
        marked gone); returns how many edges were new."""
        if not items:
            return 0
        stamp = now()
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for it in items:
            if it.src_account_id == it.dst_account_id:
                continue
            rows[(it.src_account_id, it.dst_account_id)] = {
                "src_account_id": it.src_account_id,
                "dst_account_id": it.dst_account_id,
                "platform": it.platform,
                "seen_at": utc(it.seen_at) or stamp,
            }
        if not rows:
            return 0
        batch = arrow_batch(rows.values(), FOLLOW_BATCH_SCHEMA)
        cols = columns(FOLLOW_BATCH_SCHEMA, without=["seen_at"])
        with self.transaction() as con, self._registered("_follows_batch", batch):
            row = con.execute(
                "SELECT count(*) FROM _follows_batch b WHERE NOT EXISTS (SELECT 1 FROM follows f"
                " WHERE f.src_account_id = b.src_account_id"
                " AND f.dst_account_id = b.dst_account_id)"
            ).fetchone()
            con.execute(
                f"INSERT INTO follows ({cols}, first_seen_at, last_seen_at, gone_at) "  # noqa: S608
                f"SELECT {cols}, seen_at, seen_at, NULL FROM _follows_batch "
                "ON CONFLICT (src_account_id, dst_account_id) DO UPDATE SET"
                " last_seen_at = greatest(follows.last_seen_at, excluded.last_seen_at),"
                " gone_at = NULL"
            )
        return int(row[0]) if row else 0

    def add_list_members(self, items: Sequence[ListMemberItem]) -> int:
        """Insert or refresh starter-pack members; returns how many were new."""
        if not items:
            return 0
        stamp = now()
        rows = {
            (it.list_id, it.account_id): {
                "list_id": it.list_id,
                "account_id": it.account_id,
                "platform": it.platform,
                "seen_at": utc(it.seen_at) or stamp,
            }
            for it in items
        }
        batch = arrow_batch(rows.values(), MEMBER_BATCH_SCHEMA)
        cols = columns(MEMBER_BATCH_SCHEMA, without=["seen_at"])
        with self.transaction() as con, self._registered("_members_batch", batch):
            row = con.execute(
                "SELECT count(*) FROM _members_batch b WHERE NOT EXISTS (SELECT 1 FROM"
                " list_members m WHERE m.list_id = b.list_id AND m.account_id = b.account_id)"
            ).fetchone()
            con.execute(
                f"INSERT INTO list_members ({cols}, first_seen_at, last_seen_at, gone_at) "  # noqa: S608
                f"SELECT {cols}, seen_at, seen_at, NULL FROM _members_batch "
                "ON CONFLICT (list_id, account_id) DO UPDATE SET"
                " last_seen_at = greatest(list_members.last_seen_at, excluded.last_seen_at),"
                " gone_at = NULL"
            )
        return int(row[0]) if row else 0

    def finish_seed_list(self, item: SeedListItem) -> int:
        """Record how a walk ended and which campaign the list belongs to; after a
        complete walk, mark the list's edges (members) not seen since the walk started
        as gone. Returns how many were marked gone."""
        stamp = now()
        started = utc(item.started_at) or stamp
        gone = 0
        with self.transaction() as con:
            con.execute(
                "INSERT INTO seed_lists VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (list_id) DO UPDATE SET seed = excluded.seed,"
                " account_id = coalesce(excluded.account_id, seed_lists.account_id),"
                " kind = excluded.kind, platform = excluded.platform,"
                " status = excluded.status, items = excluded.items, reason = excluded.reason,"
                " started_at = excluded.started_at, finished_at = excluded.finished_at",
                [
                    item.list_id,
                    item.seed,
                    item.account_id,
                    item.kind,
                    item.platform,
                    item.status,
                    item.items,
                    item.reason,
                    started,
                    stamp,
                ],
            )
            con.execute(
                "INSERT INTO campaign_seeds VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (campaign, list_id) DO UPDATE SET"
                " account_id = coalesce(excluded.account_id, campaign_seeds.account_id),"
                " seed = excluded.seed, kind = excluded.kind",
                [item.campaign, item.list_id, item.account_id, item.seed, item.kind],
            )
            if item.status != "complete" or item.account_id is None:
                return 0
            end = _LIST_END.get(item.kind)
            if end is not None:
                gone = self._changed(
                    f"UPDATE follows SET gone_at = ? WHERE {end} = ? AND platform = ?"  # noqa: S608
                    " AND gone_at IS NULL AND last_seen_at < ?",
                    [stamp, item.account_id, item.platform, started],
                )
            elif item.kind == "starter_pack":
                gone = self._changed(
                    "UPDATE list_members SET gone_at = ? WHERE list_id = ?"
                    " AND gone_at IS NULL AND last_seen_at < ?",
                    [stamp, item.list_id, started],
                )
        return gone

    @unit
    def seed_list_status(self, list_id: str) -> dict[str, Any] | None:
        """The last walk of one list (status, items, reason, times), or ``None``."""
        cur = self.con.execute("SELECT * FROM seed_lists WHERE list_id = ?", [list_id])
        row = cur.fetchone()
        if row is None:
            return None
        names = [d[0] for d in cur.description or []]
        return dict(zip(names, row, strict=True))
