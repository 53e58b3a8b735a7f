"""Runs (one row per crawl or live run) and incremental cursors (one per source and key)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pandas as pd

from crawler.db.connection import Connection, now, unit


class Runs(Connection):
    @unit
    def start_run(self, campaign: str) -> str:
        run_id = uuid.uuid4().hex
        self.con.execute(
            "INSERT INTO runs (run_id, campaign, started_at, status) VALUES (?, ?, ?, 'running')",
            [run_id, campaign, now()],
        )
        return run_id

    @unit
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
                now(),
                status,
                posts_new,
                accounts_new,
                errors,
                json.dumps(skipped or {}, sort_keys=True),
                json.dumps(stats or {}, sort_keys=True, default=str),
                run_id,
            ],
        )

    @unit
    def last_runs(self, campaign: str, n: int = 10) -> pd.DataFrame:
        """The campaign's ``n`` most recent runs, newest first."""
        return self.con.execute(
            "SELECT * FROM runs WHERE campaign = ? ORDER BY started_at DESC, run_id LIMIT ?",
            [campaign, n],
        ).df()

    @unit
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
        return self._changed(
            "UPDATE runs SET status = 'interrupted', finished_at = coalesce(finished_at, ?)"
            " WHERE campaign = ? AND status = 'running'",
            [now(), campaign],
        )

    @unit
    def get_cursor(self, source: str, key: str) -> str | None:
        row = self.con.execute(
            "SELECT value FROM cursors WHERE source = ? AND key = ?", [source, key]
        ).fetchone()
        return None if row is None else row[0]

    @unit
    def set_cursor(self, source: str, key: str, value: str) -> None:
        self.con.execute(
            "INSERT INTO cursors VALUES (?, ?, ?, ?) ON CONFLICT (source, key) "
            "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            [source, key, value, now()],
        )
