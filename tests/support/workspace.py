"""A workspace database on disk: :func:`tests.support.leads.build_db`'s "Clean Air for
All" campaign plus what the web app shows beyond it (the ranking's country rows with
signatures, interactions between leads, a community, profile fields, one lead new
since the last crawl), and helpers to read CSRF tokens from pages."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pandas as pd

from crawler.app.ranking import campaign_countries
from crawler.db.store import Store
from tests.support.leads import CAMPAIGN, NOW, account_of, build_db, insert, make_campaign

JANA = account_of("jana", "chaos.social")["account_id"]
LUKAS = account_of("lukasw", "mastodon.social")["account_id"]
AKELLER = account_of("akeller", "bsky")["account_id"]
MALLORY = account_of("mallory", "bsky")["account_id"]
SAUBERLUFT = account_of("sauberluft", "climatejustice.social")["account_id"]
# signatures collected so far (DE short of its 69,120, MT past its 4,320)
SIGNATURES = {"DE": 30_000, "MT": 5_000, "FR": 12_000}
HOSTILE_FIELD_URL = "javascript:alert(3)"


def build_workspace_db(path: Path) -> Path:
    """Write the workspace database to ``path`` (migrated by a :class:`Store`)."""
    store = Store(path)
    try:
        con = store.con
        build_db(con)
        lists = campaign_countries(make_campaign(signatures=SIGNATURES))
        insert(
            con,
            "campaign_countries",
            pd.DataFrame(
                {
                    "campaign": CAMPAIGN,
                    "country": lists["countries"],
                    "mep_seats": lists["seats"],
                    "threshold": lists["thresholds"],
                    "signatures": lists["signatures"],
                    "is_target": lists["targets"],
                }
            ),
        )
        # Jana mentions Anna Keller and replies to Saubere Luft; Lukas reposts Jana
        edges = [
            (JANA, AKELLER, "mention", f"{JANA}/post/0", 3),
            (JANA, SAUBERLUFT, "reply", f"{JANA}/post/1", 2),
            (LUKAS, JANA, "repost", f"{LUKAS}/post/0", 1),
        ]
        insert(
            con,
            "interactions",
            pd.DataFrame(
                [
                    {
                        "src_account_id": s,
                        "dst_account_id": d,
                        "kind": k,
                        "post_id": p,
                        "created_at": NOW - timedelta(days=days),
                    }
                    for s, d, k, p, days in edges
                ]
            ),
        )
        insert(
            con,
            "account_graph",
            pd.DataFrame(
                [
                    {"campaign": CAMPAIGN, "account_id": a, "pagerank": 0.1, "community": 0}
                    for a in (JANA, LUKAS, AKELLER)
                ]
            ),
        )
        insert(
            con,
            "communities",
            pd.DataFrame(
                [{"campaign": CAMPAIGN, "community": 0, "size": 3, "label": "de · cleanaireci"}]
            ),
        )
        insert(
            con,
            "contacts",
            pd.DataFrame(
                [
                    {"account_id": JANA, "kind": "email", "value": "jana@jana.example",
                     "source_url": "https://jana.example/kontakt", "verified": True,
                     "seen_at": NOW},
                    {"account_id": JANA, "kind": "website", "value": "https://jana.example/",
                     "source_url": "https://chaos.social/@jana", "verified": True,
                     "seen_at": NOW},
                    {"account_id": JANA, "kind": "contact_form",
                     "value": "javascript:alert(5)", "source_url": "data:text/html,x",
                     "verified": False, "seen_at": NOW},
                ]
            ),
        )  # fmt: skip
        fields = [
            {"name": "Website", "value": "https://jana.example/kontakt"},
            {"name": "Click me", "value": HOSTILE_FIELD_URL},
        ]
        store.con.execute(
            "UPDATE accounts SET fields = ?, first_seen_at = ? WHERE account_id = ?",
            [json.dumps(fields), NOW - timedelta(minutes=5), JANA],
        )
    finally:
        store.close()
    return path


_TOKEN = re.compile(r'name="(?:(\w+)-)?csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str, prefix: str | None = None) -> str:
    """The CSRF token of the form whose fields carry ``prefix`` (None: unprefixed)."""
    for found_prefix, token in _TOKEN.findall(html):
        if (found_prefix or None) == prefix:
            return token
    raise AssertionError(f"no csrf token for form {prefix!r} in the page")
