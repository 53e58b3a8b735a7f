"""Organizers' corrections of the classifier: the ``overrides`` table.

One row per (account, field) for the fields ``role``, ``org_type``, ``country`` and
``scope``. A correction wins over the classifier everywhere: the classification write
path keeps overridden fields (:meth:`~crawler.db.classify_io.ClassifyIO.
write_classifications` applies them after every classification) and the ranking reads
the corrected value. A crawl never rewrites this table; ``scout forget`` erases it.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from crawler.core.vocab import PLATFORMS
from crawler.db.connection import Connection, now, sql, unit

OVERRIDE_FIELDS: tuple[str, ...] = ("role", "org_type", "country", "scope")

# Copy every correction onto the accounts row (one statement per field: the column
# name is a constant of this module, never a value a user typed).
_APPLY: dict[str, str] = {
    f: (
        f"UPDATE accounts SET {f} = o.value FROM overrides o "  # noqa: S608 (constant)
        f"WHERE o.account_id = accounts.account_id AND o.field = '{f}'"
    )
    for f in OVERRIDE_FIELDS
}

_LEADS: dict[str, str] = {
    "country": "UPDATE leads SET country = upper(?) WHERE account_id = ?",
    "scope": "UPDATE leads SET scope = ? WHERE account_id = ?",
}


class Overrides(Connection):
    @unit
    def find_account_ids(self, keys: list[str], urls: list[str]) -> list[str]:
        """Stored account ids named by ``keys`` (account ids or handles, as
        :func:`crawler.app.forget.forget_keys` resolves them) or by profile ``urls``."""
        rows = self.con.execute(
            sql("find_accounts"),
            {
                "ids": [k for k in keys if k.partition(":")[0] in PLATFORMS],
                "handles": [k.lower() for k in keys if k.partition(":")[0] not in PLATFORMS],
                "urls": urls,
            },
        ).fetchall()
        return sorted({str(r[0]) for r in rows})

    @unit
    def set_overrides(self, account_id: str, values: Mapping[str, str | None]) -> int:
        """Record corrections for one account (``values``: field -> value) and apply them
        to ``accounts`` at once; returns how many fields were set."""
        unknown = set(values) - set(OVERRIDE_FIELDS)
        if unknown:
            raise ValueError(f"not a correctable field: {', '.join(sorted(unknown))}")
        stamp = now()
        with self.transaction() as con:
            for field, value in values.items():
                con.execute(
                    "INSERT INTO overrides (account_id, field, value, updated_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (account_id, field)"
                    " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    [account_id, field, value, stamp],
                )
            self._apply_overrides()
            # leads show the corrected country and level at once; a corrected role or
            # org_type changes the lead type at the next ranking
            for field in ("country", "scope"):
                if field in values:
                    con.execute(_LEADS[field], [values[field], account_id])
        return len(values)

    @unit
    def _apply_overrides(self) -> None:
        """Copy every correction onto ``accounts`` (inside the caller's transaction)."""
        for statement in _APPLY.values():
            self.con.execute(statement)

    @unit
    def overrides_of(self, account_id: str) -> dict[str, str | None]:
        rows = self.con.execute(
            "SELECT field, value FROM overrides WHERE account_id = ? ORDER BY field",
            [account_id],
        ).fetchall()
        return {str(f): (None if v is None else str(v)) for f, v in rows}

    @unit
    def corrections(self) -> pd.DataFrame:
        """Per corrected account: the profile text and the labels after correction
        (``sql/corrections.sql``), for training data."""
        return self.con.execute(sql("corrections")).df()
