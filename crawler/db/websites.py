"""The website pass's tables: ``websites`` (one row per account and site, with what the
imprint states) and ``contacts`` (contact routes per account: website, email,
contact_form, profile). Keyed Arrow-batch upserts, so reading a site again updates its
rows and changes nothing else; rows are written only for accounts still stored (an
account forgotten or opted out while its site was read gets no row back).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa

from crawler.db.connection import Connection, now, sql, unit, utc
from crawler.db.loads import arrow_batch, columns

_TS = pa.timestamp("us", tz="UTC")

WEBSITE_BATCH_SCHEMA = pa.schema(
    [
        ("url", pa.string()),
        ("account_id", pa.string()),
        ("status", pa.string()),
        ("fetched_at", _TS),
        ("legal_form", pa.string()),
        ("country", pa.string()),
        ("languages", pa.list_(pa.string())),
        ("register_id", pa.string()),
        ("pages", pa.list_(pa.string())),
        ("reason", pa.string()),
        ("source", pa.string()),
        ("verified", pa.bool_()),
        ("links_back", pa.bool_()),
        ("final_url", pa.string()),
    ]
)
CONTACT_BATCH_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("kind", pa.string()),
        ("value", pa.string()),
        ("source_url", pa.string()),
        ("verified", pa.bool_()),
        ("seen_at", _TS),
    ]
)


class Websites(Connection):
    @unit
    def website_candidates(
        self, campaign: str, roles: Sequence[str], since: datetime
    ) -> list[dict[str, Any]]:
        """Accounts of ``campaign`` with one of ``roles`` whose sites may be read, with
        ``fresh``: the site URLs read since ``since`` (see ``sql/website_candidates.sql``)."""
        params = {"campaign": campaign, "roles": list(roles), "since": utc(since)}
        cur = self.con.execute(sql("website_candidates"), params)
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    @unit
    def accounts_with_imprint(self, since: datetime) -> list[str]:
        """Accounts with a website read since ``since`` whose imprint gave a country or
        a legal form (evidence the classifier reads)."""
        rows = self.con.execute(
            "SELECT DISTINCT account_id FROM websites WHERE status = 'ok'"
            " AND (country IS NOT NULL OR legal_form IS NOT NULL) AND fetched_at >= ?"
            " ORDER BY account_id",
            [utc(since)],
        ).fetchall()
        return [str(r[0]) for r in rows]

    def save_websites(
        self, websites: Sequence[dict[str, Any]], contacts: Sequence[dict[str, Any]]
    ) -> int:
        """Upsert website rows (key: account, url) and contact rows (key: account, kind,
        value; ``verified`` stays true once proven); returns the website rows written."""
        if not websites and not contacts:
            return 0
        stamp = now()
        sites = arrow_batch(
            ({**w, "fetched_at": utc(w.get("fetched_at")) or stamp} for w in websites),
            WEBSITE_BATCH_SCHEMA,
        )
        routes = arrow_batch(
            {
                (c["account_id"], c["kind"], c["value"]): {
                    **c,
                    "seen_at": utc(c.get("seen_at")) or stamp,
                }
                for c in contacts
            }.values(),
            CONTACT_BATCH_SCHEMA,
        )
        site_cols = columns(WEBSITE_BATCH_SCHEMA)
        updates = ", ".join(
            f"{n} = excluded.{n}"
            for n in WEBSITE_BATCH_SCHEMA.names
            if n not in ("url", "account_id")
        )
        contact_cols = columns(CONTACT_BATCH_SCHEMA)
        stored = "account_id IN (SELECT account_id FROM accounts)"
        with (
            self.transaction() as con,
            self._registered("_websites_batch", sites),
            self._registered("_contacts_batch", routes),
        ):
            written = con.execute(
                f"INSERT INTO websites ({site_cols}) SELECT {site_cols} FROM _websites_batch"  # noqa: S608
                f" WHERE {stored} ON CONFLICT (account_id, url) DO UPDATE SET {updates}"
                " RETURNING 1"
            ).fetchall()
            con.execute(
                f"INSERT INTO contacts ({contact_cols}) SELECT {contact_cols}"  # noqa: S608
                f" FROM _contacts_batch WHERE {stored}"
                " ON CONFLICT (account_id, kind, value) DO UPDATE SET"
                " source_url = excluded.source_url, seen_at = excluded.seen_at,"
                " verified = contacts.verified OR excluded.verified"
            )
        return len(written)
