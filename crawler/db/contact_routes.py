"""Read models behind the contact routes of lead lists (``sql/lead_contact_*.sql``,
``sql/lead_evidence_posts.sql``): what the profiles, the website pass and the campaign
posts say about reaching each lead; :mod:`crawler.app.contacts` turns them into the
columns organizers read."""

from __future__ import annotations

import pandas as pd

from crawler.db.connection import Connection, sql


def _members(name: str) -> str:
    """The read model ``name`` after the shared opening ``sql/lead_members.sql``."""
    return sql("lead_members") + sql(name)


class ContactRoutes(Connection):
    def lead_contact_accounts(self, campaign: str) -> pd.DataFrame:
        """Per lead (``lead_account_id``), its accounts (its own first): platform,
        handle, role, fields (JSON), locked, chat_allow_incoming, the lead's type."""
        with self.session() as con:
            return con.execute(_members("lead_contact_accounts"), {"campaign": campaign}).df()

    def lead_contact_routes(self, campaign: str) -> pd.DataFrame:
        """Per lead: kind, value, verified of the contacts the website pass found."""
        with self.session() as con:
            return con.execute(_members("lead_contact_routes"), {"campaign": campaign}).df()

    def lead_evidence_posts(self, campaign: str, per_lead: int = 3) -> pd.DataFrame:
        """Per lead: the URLs of up to ``per_lead`` campaign posts that made it."""
        with self.session() as con:
            return con.execute(
                _members("lead_evidence_posts"), {"campaign": campaign, "per_lead": per_lead}
            ).df()
