"""What belongs to a campaign: matched posts (``campaign_posts``, by the one matching
rule of :mod:`crawler.core.matching`), per-account texts and engagement, and the
per-account stance rows (``account_campaign``); plus what the live stream checks
Jetstream events against."""

from __future__ import annotations

from typing import Any

import pandas as pd

from crawler.core.matching import SQL_PREDICATE, CampaignMatcher
from crawler.db.connection import Connection, unit


class Campaigns(Connection):
    @unit
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

    def tag_campaign_posts(self, campaign: str, matcher: CampaignMatcher) -> int:
        """Record every stored post matching the campaign; returns how many were added."""
        return self._changed(
            "INSERT INTO campaign_posts (campaign, post_id) "  # noqa: S608 (constant fragment)
            "SELECT $campaign, p.post_id FROM posts p WHERE "
            + SQL_PREDICATE
            + " AND NOT EXISTS (SELECT 1 FROM campaign_posts c"
            "                  WHERE c.campaign = $campaign AND c.post_id = p.post_id)",
            {"campaign": campaign, **matcher.sql_params()},
        )

    @unit
    def campaign_engagement(self, campaign: str) -> pd.DataFrame:
        """Per account: how many campaign posts and the newest one."""
        return self.con.execute(
            "SELECT p.account_id, count(*) AS campaign_posts, max(p.created_at) AS last_post_at "
            "FROM campaign_posts c JOIN posts p USING (post_id) WHERE c.campaign = ? "
            "GROUP BY p.account_id",
            [campaign],
        ).df()

    @unit
    def campaign_texts(self, campaign: str) -> pd.DataFrame:
        """Per account, the texts of its campaign posts (a repost contributes the
        original's) and, parallel to them, the posts' URLs (``urls``), newest first."""
        return self.con.execute(
            "SELECT p.account_id,"
            " coalesce(list(coalesce(nullif(p.text, ''), o.text) ORDER BY p.created_at DESC)"
            "   FILTER (WHERE coalesce(nullif(p.text, ''), o.text) IS NOT NULL), [])::VARCHAR[]"
            "   AS texts,"
            " coalesce(list(coalesce(p.url, o.url, '') ORDER BY p.created_at DESC)"
            "   FILTER (WHERE coalesce(nullif(p.text, ''), o.text) IS NOT NULL), [])::VARCHAR[]"
            "   AS urls "
            "FROM campaign_posts c JOIN posts p ON p.post_id = c.post_id "
            "LEFT JOIN posts o ON o.post_id = p.repost_of "
            "WHERE c.campaign = ? GROUP BY p.account_id ORDER BY p.account_id",
            [campaign],
        ).df()

    def write_account_campaign(self, campaign: str, df: pd.DataFrame) -> int:
        """Replace the campaign's stance/engagement rows with ``df`` (optional columns
        ``stance_post_url``, ``stance_evidence``: the post that decided the stance);
        returns the row count."""
        cols = [
            "account_id",
            "stance",
            "stance_score",
            "campaign_posts",
            "last_post_at",
            "stance_post_url",
            "stance_evidence",
        ]
        frame = df.reindex(columns=cols).copy()
        frame["last_post_at"] = pd.to_datetime(frame["last_post_at"], utc=True)
        for c in ("stance_post_url", "stance_evidence"):
            frame[c] = frame[c].astype("object").where(frame[c].notna(), None)
        with self.transaction() as con, self._registered("_account_campaign_df", frame):
            con.execute("DELETE FROM account_campaign WHERE campaign = ?", [campaign])
            con.execute(
                "INSERT INTO account_campaign "
                "(campaign, account_id, stance, stance_score, campaign_posts, last_post_at,"
                " stance_post_url, stance_evidence) "
                "SELECT ?, account_id, stance, stance_score::DOUBLE, campaign_posts::BIGINT,"
                " last_post_at::TIMESTAMPTZ, stance_post_url::VARCHAR, stance_evidence::VARCHAR"
                " FROM _account_campaign_df",
                [campaign],
            )
        return len(frame)
