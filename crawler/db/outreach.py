"""Organizers' outreach state: the ``lead_status`` and ``lead_status_history`` tables.

One ``lead_status`` row per (campaign, account): status (one of
:data:`~crawler.core.vocab.LEAD_STATUSES`), owner, note and when it last changed. Every
:meth:`Outreach.set_lead_status` call appends one ``lead_status_history`` row holding
the state after the change and who made it; history rows are never updated. A crawl or
re-rank never writes either table (leads are joined to them when read); ``scout forget``
and opt-outs erase both (:mod:`crawler.db.erasure`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from crawler.core.vocab import LEAD_STATUSES
from crawler.db.connection import Connection, now, sql, unit

LEAD_STATUS_COLUMNS: tuple[str, ...] = (
    "campaign", "account_id", "status", "owner", "note", "updated_at",
)  # fmt: skip
HISTORY_COLUMNS: tuple[str, ...] = (
    "campaign", "account_id", "status", "owner", "note", "changed_at", "changed_by",
)  # fmt: skip
_COLUMNS = ", ".join(LEAD_STATUS_COLUMNS)


def _blank_to_none(value: str | None) -> str | None:
    return None if value is None or not value.strip() else value.strip()


class Outreach(Connection):
    @unit
    def set_lead_status(
        self,
        campaign: str,
        account_id: str,
        *,
        status: str | None = None,
        owner: str | None = None,
        note: str | None = None,
        changed_by: str | None = None,
    ) -> dict[str, Any]:
        """Upsert the lead's outreach state and append a history row; returns the
        current row (the :data:`LEAD_STATUS_COLUMNS`) as a dict.

        ``None`` keeps the stored value (a new row starts as status ``new``); an empty
        ``owner`` or ``note`` clears it. ``status`` must be one of ``LEAD_STATUSES``
        (``ValueError`` otherwise: the app layer turns what users type into one)."""
        if status is not None and status not in LEAD_STATUSES:
            raise ValueError(f"not a lead status: {status!r}")
        stamp = now()
        with self.transaction() as con:
            rows = con.execute(
                "SELECT status, owner, note FROM lead_status WHERE campaign = ? AND account_id = ?",
                [campaign, account_id],
            ).fetchall()
            old_status, old_owner, old_note = rows[0] if rows else ("new", None, None)
            new = (
                old_status if status is None else status,
                old_owner if owner is None else _blank_to_none(owner),
                old_note if note is None else _blank_to_none(note),
            )
            con.execute(
                "INSERT INTO lead_status (campaign, account_id, status, owner, note,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (campaign, account_id)"
                " DO UPDATE SET status = excluded.status, owner = excluded.owner,"
                " note = excluded.note, updated_at = excluded.updated_at",
                [campaign, account_id, *new, stamp],
            )
            con.execute(
                "INSERT INTO lead_status_history (campaign, account_id, status, owner,"
                " note, changed_at, changed_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [campaign, account_id, *new, stamp, _blank_to_none(changed_by)],
            )
            cur = con.execute(
                f"SELECT {_COLUMNS} FROM lead_status"  # noqa: S608 (constant)
                " WHERE campaign = ? AND account_id = ?",
                [campaign, account_id],
            )
            row = cur.fetchall()[0]
        return dict(zip(LEAD_STATUS_COLUMNS, row, strict=True))

    @unit
    def lead_statuses(self, campaign: str) -> pd.DataFrame:
        """The campaign's ``lead_status`` rows, most recently changed first."""
        return self.con.execute(
            f"SELECT {_COLUMNS} FROM lead_status WHERE campaign = ?"  # noqa: S608 (constant)
            " ORDER BY updated_at DESC, account_id",
            [campaign],
        ).df()

    @unit
    def marked_leads(self, campaign: str, closed: list[str]) -> pd.DataFrame:
        """``sql/marked_leads.sql``: lead_status rows with the account's profile, lead
        type and rank, and ``closed`` (status in ``closed``)."""
        return self.con.execute(sql("marked_leads"), {"campaign": campaign, "closed": closed}).df()

    @unit
    def lead_status_history(self, campaign: str, account_id: str) -> pd.DataFrame:
        """Every change of one lead's outreach state, newest first."""
        return self.con.execute(
            sql("lead_status_history"), {"campaign": campaign, "account_id": account_id}
        ).df()
