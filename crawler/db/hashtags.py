"""Related hashtags: the read model behind ``scout hashtags`` (``sql/related_hashtags.sql``)
and the tags an organizer accepted (``campaign_hashtags``), which later crawls follow
when the campaign file says ``[campaign] follow_related = true``."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crawler.db.connection import Connection, now, sql, unit


class Hashtags(Connection):
    @unit
    def related_hashtags(
        self,
        campaign: str,
        own: Sequence[str],
        *,
        min_posts: int,
        min_accounts: int,
        prior: float,
    ) -> pd.DataFrame:
        """One row per (slice, supported tag), a slice being all languages (``overall``)
        or one language; a slice without a supported tag has one row with ``tag`` NULL
        (its totals). Columns: lang, overall, campaign_total, background_total, tag,
        posts, accounts, background_posts, share, lift, languages, accepted."""
        params = {
            "campaign": campaign,
            "own": [t.lower() for t in own],
            "min_posts": max(1, min_posts),
            "min_accounts": max(1, min_accounts),
            "prior": float(prior),
        }
        return self.con.execute(sql("related_hashtags"), params).df()

    @unit
    def accepted_hashtags(self, campaign: str) -> list[str]:
        """The campaign's accepted related tags, oldest first."""
        rows = self.con.execute(
            "SELECT tag FROM campaign_hashtags WHERE campaign = ? ORDER BY accepted_at, tag",
            [campaign],
        ).fetchall()
        return [str(r[0]) for r in rows]

    def accept_hashtags(self, campaign: str, tags: Sequence[str]) -> list[str]:
        """Record ``tags`` (already validated, lower case) as accepted; returns the ones
        that were new (accepting again keeps the first date)."""
        if not tags:
            return []
        stamp = now()
        with self.transaction() as con:
            known = {
                str(r[0])
                for r in con.execute(
                    "SELECT tag FROM campaign_hashtags WHERE campaign = ?", [campaign]
                ).fetchall()
            }
            new = [t for t in dict.fromkeys(tags) if t not in known]
            if new:
                con.executemany(
                    "INSERT INTO campaign_hashtags (campaign, tag, accepted_at) VALUES (?, ?, ?)",
                    [[campaign, t, stamp] for t in new],
                )
        return new

    def drop_hashtags(self, campaign: str, tags: Sequence[str]) -> list[str]:
        """Forget accepted ``tags``; returns the ones that were accepted."""
        if not tags:
            return []
        with self.transaction() as con:
            rows = con.execute(
                "DELETE FROM campaign_hashtags WHERE campaign = ? AND tag = ANY(?::VARCHAR[])"
                " RETURNING tag",
                [campaign, list(tags)],
            ).fetchall()
        return sorted(str(r[0]) for r in rows)
