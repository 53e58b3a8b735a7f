"""One person or organisation across accounts: ``identities`` (strong evidence, merged)
and ``identity_suggestions`` (weak evidence, for an organizer to confirm or reject;
never merged silently). The rules are :mod:`crawler.core.identity`; this module reads
what they need and stores what they found, in DataFrame batches. An organizer's
decision (``confirmed``/``rejected``) survives every recomputation."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from crawler.db.connection import Connection, now, unit

SUGGESTION_STATUSES = ("suggested", "confirmed", "rejected")


class Identities(Connection):
    @unit
    def identity_profiles(self) -> list[dict[str, Any]]:
        """Accounts as the linking rules read them (fields decoded)."""
        rows = self.con.execute(
            "SELECT account_id, platform, handle, url, display_name, bio, fields "
            "FROM accounts ORDER BY account_id"
        ).fetchall()
        out = []
        for account_id, platform, handle, url, name, bio, fields in rows:
            try:
                decoded = json.loads(fields) if fields else []
            except ValueError:
                decoded = []
            out.append(
                {
                    "account_id": account_id,
                    "platform": platform,
                    "handle": handle,
                    "url": url,
                    "display_name": name,
                    "bio": bio,
                    "fields": decoded if isinstance(decoded, list) else [],
                }
            )
        return out

    @unit
    def site_profile_links(self) -> dict[str, set[str]]:
        """Per website read by the website pass: the accounts its pages link back to."""
        rows = self.con.execute(
            "SELECT url, account_id FROM websites WHERE links_back ORDER BY url"
        ).fetchall()
        out: dict[str, set[str]] = {}
        for url, account_id in rows:
            out.setdefault(str(url), set()).add(str(account_id))
        return out

    @unit
    def verified_site_profiles(self) -> list[tuple[str, str, str]]:
        """(owner account id, site URL, profile URL) of every ``rel="me"`` profile link
        the website pass found on a site proven to be its owner's (verified or linking
        back)."""
        rows = self.con.execute(
            "SELECT DISTINCT w.account_id, w.url, c.value FROM websites w"
            " JOIN contacts c ON c.account_id = w.account_id AND c.kind = 'profile'"
            " AND coalesce(c.verified, false)"
            " WHERE w.status = 'ok' AND (coalesce(w.verified, false) OR coalesce(w.links_back, false))"
            " ORDER BY 1, 2, 3"
        ).fetchall()
        return [(str(a), str(u), str(p)) for a, u, p in rows]

    @unit
    def identity_decisions(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(confirmed pairs, rejected pairs) an organizer decided."""
        rows = self.con.execute(
            "SELECT account_id, other_account_id, status FROM identity_suggestions "
            "WHERE status IN ('confirmed', 'rejected')"
        ).fetchall()
        confirmed = [(str(a), str(b)) for a, b, s in rows if s == "confirmed"]
        rejected = [(str(a), str(b)) for a, b, s in rows if s == "rejected"]
        return confirmed, rejected

    def replace_identities(self, identities: pd.DataFrame, suggestions: pd.DataFrame) -> None:
        """Store a fresh result of the rules: ``identities`` (identity_id, account_id,
        evidence) replaces the table; ``suggestions`` (account_id, other_account_id,
        evidence, score) replaces the open suggestions, decided ones are kept."""
        stamp = now()
        ident = identities.assign(linked_at=stamp)[
            ["identity_id", "account_id", "evidence", "linked_at"]
        ]
        sugg = suggestions.assign(status="suggested", decided_at=None, found_at=stamp)[
            ["account_id", "other_account_id", "evidence", "score", "status", "found_at"]
        ]
        with self.transaction() as con:
            con.execute("DELETE FROM identities")
            with self._registered("new_identities", ident):
                con.execute("INSERT INTO identities SELECT * FROM new_identities")
            con.execute("DELETE FROM identity_suggestions WHERE status = 'suggested'")
            with self._registered("new_suggestions", sugg):
                con.execute(
                    "INSERT INTO identity_suggestions (account_id, other_account_id, evidence,"
                    " score, status, found_at) SELECT * FROM new_suggestions s WHERE NOT EXISTS"
                    " (SELECT 1 FROM identity_suggestions d WHERE d.account_id = s.account_id"
                    " AND d.other_account_id = s.other_account_id)"
                )

    def decide_identity(self, a: str, b: str, status: str, evidence: str) -> None:
        """Record an organizer's decision on the pair (confirmed or rejected)."""
        if status not in SUGGESTION_STATUSES[1:]:
            raise ValueError(f"status must be confirmed or rejected, not {status!r}")
        first, second = (a, b) if a < b else (b, a)
        stamp = now()
        with self.transaction() as con:
            con.execute(
                "DELETE FROM identity_suggestions WHERE account_id = ? AND other_account_id = ?",
                [first, second],
            )
            con.execute(
                "INSERT INTO identity_suggestions (account_id, other_account_id, evidence,"
                " score, status, found_at, decided_at) VALUES (?, ?, ?, NULL, ?, ?, ?)",
                [first, second, evidence, status, stamp, stamp],
            )

    @unit
    def identity_overview(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(merged identities with their handles and evidence, suggestions by score)."""
        merged = self.con.execute(
            "SELECT i.identity_id, a.platform, a.handle, a.display_name, i.evidence "
            "FROM identities i JOIN accounts a USING (account_id) "
            "ORDER BY i.identity_id, a.platform, a.handle"
        ).df()
        sugg = self.con.execute(
            "SELECT s.account_id, a.handle, s.other_account_id, b.handle AS other_handle, "
            "s.evidence, s.score, s.status FROM identity_suggestions s "
            "JOIN accounts a ON a.account_id = s.account_id "
            "JOIN accounts b ON b.account_id = s.other_account_id "
            "ORDER BY s.status = 'suggested' DESC, s.score DESC NULLS LAST, a.handle"
        ).df()
        return merged, sugg
