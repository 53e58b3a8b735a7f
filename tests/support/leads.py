"""A realistic leads database built in memory, for the export and report tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from crawler.app.ranking import WEIGHTS
from crawler.core.config import Campaign
from crawler.db import schema
from crawler.db.store import Store
from tests.support.net import allowed_hosts

CAMPAIGN = "Clean Air for All"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_HANDLE = "<script>x</script>@evil.example"
# Values a spreadsheet would run as formulas (OWASP CSV injection).
FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+1", "-2+3", "@SUM(A1:A2)", "\tx"]


# (lead_type, role, org_type, country, language, display name, user, host or bsky)
PEOPLE: list[tuple[str, str, str | None, str | None, str, str, str, str]] = [
    ("volunteer", "individual", None, "DE", "de", "Jana Schröder 🌱", "jana", "chaos.social"),
    ("volunteer", "individual", None, "DE", "de", "Lukas Weiß", "lukasw", "mastodon.social"),
    ("volunteer", "individual", None, "FR", "fr", "Amélie Dubois", "amelie", "piaille.fr"),
    ("volunteer", "individual", None, "FR", "fr", "Théo Lefèvre", "theo", "mamot.fr"),
    ("volunteer", "individual", None, "PL", "pl", "Łukasz Wiśniewski", "lukasz", "bsky"),
    ("volunteer", "individual", None, "PL", "pl", "Zofia Wójcik", "zofia", "bsky"),
    ("volunteer", "individual", None, "GR", "el", "Ελένη Παπαδοπούλου", "eleni", "bsky"),
    ("volunteer", "individual", None, "IT", "it", "Giulia Bianchi", "giulia", "mastodon.uno"),
    ("volunteer", "individual", None, "ES", "es", "Nuria Martínez", "nuria", "bsky"),
    ("volunteer", "individual", None, "SE", "sv", "Åsa Lindqvist", "asa", "mastodon.nu"),
    ("volunteer", "individual", None, "FI", "fi", "Mikko Häkkinen", "mikko", "mstdn.fi"),
    ("volunteer", "individual", None, "CZ", "cs", "Tereza Dvořáková", "tereza", "bsky"),
    ("volunteer", "individual", None, "HU", "hu", "Eszter Kovács", "eszter", "bsky"),
    ("volunteer", "individual", None, None, "en", "Sam", "sam", "mastodon.social"),
    ("volunteer", "individual", None, "NL", "nl", HOSTILE_NAME, "mallory", "bsky"),
    ("volunteer", "individual", None, "PT", "pt", FORMULAS[0], "formula1", "bsky"),
    ("volunteer", "individual", None, "RO", "ro", FORMULAS[1], "formula2", "bsky"),
    ("volunteer", "individual", None, "DK", "da", FORMULAS[2], "formula3", "bsky"),
    ("volunteer", "individual", None, "IE", "en", FORMULAS[3], "formula4", "bsky"),
    ("volunteer", "individual", None, "AT", "de", FORMULAS[4], "formula5", "bsky"),
    ("influencer", "politician", None, "DE", "de", "Dr. Anna Keller MdEP", "akeller", "bsky"),
    ("influencer", "politician", None, "FR", "fr", "Claire Moreau, députée", "cmoreau", "bsky"),
    ("influencer", "journalist", None, "IT", "it", "Marco Rossi – giornalista", "mrossi", "bsky"),
    ("influencer", "journalist", None, "ES", "es", "Lucía Gómez", "lgomez", "bsky"),
    ("influencer", "public_figure", None, "SE", "sv", "Greta Nyström", "gnystrom", "bsky"),
    ("influencer", "organization", "media", "DE", "de", "Luftpost Nachrichten", "luftpost", "bsky"),
    ("influencer", "organization", "media", "PL", "pl", "Gazeta Powietrze", "gazeta", "bsky"),
    ("influencer", "politician", None, "MT", "mt", "Joseph Borg MEP", "jborg", "bsky"),
    ("influencer", "organization", "public_body", "BE", "fr", "Ville de Liège", "liege", "bsky"),
    ("influencer", "individual", None, None, "en", "Big Account", "big", "mastodon.social"),
    (
        "intermediary",
        "organization",
        "ngo",
        "DE",
        "de",
        "Saubere Luft e.V.",
        "sauberluft",
        "climatejustice.social",
    ),
    (
        "intermediary",
        "organization",
        "ngo",
        "FR",
        "fr",
        "Respire Association",
        "respire",
        "piaille.fr",
    ),
    ("intermediary", "organization", "union", "IT", "it", "CGIL Ambiente", "cgil", "mastodon.uno"),
    ("intermediary", "organization", "union", "ES", "es", "CCOO Medio Ambiente", "ccoo", "bsky"),
    (
        "intermediary",
        "organization",
        "association",
        "PL",
        "pl",
        "Stowarzyszenie Czyste Powietrze",
        "czyste",
        "bsky",
    ),
    (
        "intermediary",
        "organization",
        "association",
        "NL",
        "nl",
        "Schone Lucht Vereniging",
        "schonelucht",
        "bsky",
    ),
    (
        "intermediary",
        "organization",
        "academic",
        "FI",
        "fi",
        "Ilmanlaadun tutkimusryhmä",
        "ilma",
        "mstdn.fi",
    ),
    (
        "intermediary",
        "organization",
        "party",
        "SE",
        "sv",
        "Gröna Ungdom Göteborg",
        "gronaung",
        "mastodon.nu",
    ),
    ("intermediary", "organization", "ngo", "CZ", "cs", "Čistý vzduch z.s.", "cistyvzduch", "bsky"),
    (
        "intermediary",
        "organization",
        "other",
        None,
        "en",
        "Breathe Europe Network",
        "breathe",
        "eupolicy.social",
    ),
    ("sponsor", "organization", "foundation", "DE", "de", "Stiftung Atemluft", "atemluft", "bsky"),
    (
        "sponsor",
        "organization",
        "foundation",
        "NL",
        "nl",
        "Stichting Frisse Wind",
        "frissewind",
        "bsky",
    ),
    ("sponsor", "organization", "company", "FR", "fr", "VéloCité SAS", "velocite", "bsky"),
    ("sponsor", "organization", "company", "DK", "da", "Vindkraft ApS", "vindkraft", "bsky"),
    (
        "sponsor",
        "organization",
        "foundation",
        "IT",
        "it",
        "Fondazione Aria Pulita",
        "ariapulita",
        "bsky",
    ),
    (
        "sponsor",
        "organization",
        "company",
        "LU",
        "fr",
        "Luxembourg Green Tech S.à r.l.",
        "lgt",
        "bsky",
    ),
    ("sponsor", "organization", "company", "ES", "es", "Energías Limpias S.L.", "energias", "bsky"),
    (
        "sponsor",
        "organization",
        "foundation",
        "PL",
        "pl",
        "Fundacja Czysta Ziemia",
        "fundacja",
        "bsky",
    ),
]


def account_of(user: str, host: str) -> dict[str, Any]:
    if host == "bsky":
        did = "did:plc:" + (user * 4)[:24]
        handle = f"{user}.bsky.social"
        return {
            "account_id": f"bluesky:{did}",
            "platform": "bluesky",
            "handle": handle,
            "url": f"https://bsky.app/profile/{handle}",
        }
    return {
        "account_id": f"mastodon:https://{host}/users/{user}",
        "platform": "mastodon",
        "handle": f"{user}@{host}",
        "url": f"https://{host}/@{user}",
    }


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    for _version, ddl in schema.MIGRATIONS:
        con.execute(ddl)


def insert(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> None:
    con.register("batch", df)
    # table names are constants of this module, values come in the registered DataFrame
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM batch")  # noqa: S608
    con.unregister("batch")


def build_db(con: duckdb.DuckDBPyConnection, seed: int = 2026) -> None:
    """A realistic campaign database: accounts, posts over a month, runs, ranked leads."""
    rnd = random.Random(seed)
    create_schema(con)
    accounts: list[dict[str, Any]] = []
    leads: list[dict[str, Any]] = []
    stances: list[dict[str, Any]] = []
    posts: list[dict[str, Any]] = []
    campaign_posts: list[dict[str, Any]] = []

    extra: list[tuple[str, str, str | None, str | None, str, str, str, str]] = [
        # a bot and an opponent: classified, posting, never leads
        ("bot", "individual", None, "DE", "de", "Luftdaten Bot", "luftbot", "botsin.space"),
        ("opposes", "organization", "company", "DE", "de", "Verband Industrie", "vdi", "bsky"),
    ]
    for lead_type, role, org_type, cc, lang, name, user, host in [*PEOPLE, *extra]:
        acc = account_of(user, host)
        followers = {
            "volunteer": int(rnd.lognormvariate(5, 1)),
            "influencer": int(rnd.lognormvariate(10, 1)),
            "intermediary": int(rnd.lognormvariate(8, 1)),
            "sponsor": int(rnd.lognormvariate(7, 1)),
        }.get(lead_type, 900)
        acc |= {
            "display_name": name,
            "bio": f"{name} – für saubere Luft in Europa #CleanAirECI",
            "followers_count": followers,
            "following_count": rnd.randint(10, 800),
            "posts_count": rnd.randint(20, 5000),
            "is_bot": lead_type == "bot",
            "created_at": NOW - timedelta(days=rnd.randint(100, 3000)),
            "first_seen_at": NOW - timedelta(days=30),
            "last_seen_at": NOW - timedelta(hours=rnd.randint(1, 200)),
            "role": role,
            "org_type": org_type,
            "language": lang,
            "country": cc,
        }
        accounts.append(acc)
        stance = "opposes" if lead_type == "opposes" else rnd.choice(["supports"] * 4 + ["neutral"])
        n_posts = rnd.randint(1, 9)
        last_post = None
        for k in range(n_posts):
            created = NOW - timedelta(days=rnd.uniform(0, 30))
            last_post = max(last_post or created, created)
            pid = f"{acc['account_id']}/post/{k}"
            posts.append(
                {
                    "post_id": pid,
                    "platform": acc["platform"],
                    "account_id": acc["account_id"],
                    "url": f"{acc['url']}/{k}",
                    "created_at": created,
                    "text": f"Sign the #CleanAirECI now! ({lang})",
                    "lang": lang,
                    "hashtags": ["cleanaireci"] + (["righttobreathe"] if k % 3 == 0 else []),
                    "like_count": rnd.randint(0, 50),
                    "repost_count": rnd.randint(0, 20),
                    "reply_count": rnd.randint(0, 5),
                    "collected_at": NOW,
                }
            )
            campaign_posts.append({"campaign": CAMPAIGN, "post_id": pid})
        # off-topic noise from the same accounts: not campaign posts
        posts.append(
            {
                "post_id": f"{acc['account_id']}/noise",
                "platform": acc["platform"],
                "account_id": acc["account_id"],
                "url": f"{acc['url']}/noise",
                "created_at": NOW - timedelta(days=40),
                "text": "Lunch #foodie",
                "lang": lang,
                "hashtags": ["foodie"],
                "like_count": 0,
                "repost_count": 0,
                "reply_count": 0,
                "collected_at": NOW,
            }
        )
        stances.append(
            {
                "campaign": CAMPAIGN,
                "account_id": acc["account_id"],
                "stance": stance,
                "stance_score": 0.9 if stance == "supports" else 0.1,
                "campaign_posts": n_posts,
                "last_post_at": last_post,
            }
        )
        if lead_type not in WEIGHTS:
            continue
        comp = {
            "reach": round(rnd.random(), 4),
            "centrality": round(rnd.random(), 4),
            "role_fit": round(rnd.uniform(0.5, 1.0), 4),
            "activity": round(rnd.random(), 4),
            "country_need": 0.3 if cc is None else rnd.choice([1.0, 0.5, 0.8, 0.2]),
        }
        stance_value = 1.0 if stance == "supports" else 0.4
        score = sum(
            w * (stance_value if c == "stance" else comp[c]) for c, w in WEIGHTS[lead_type].items()
        )
        leads.append(
            {
                "campaign": CAMPAIGN,
                "account_id": acc["account_id"],
                "platform": acc["platform"],
                "handle": HOSTILE_HANDLE if user == "mallory" else acc["handle"],
                "display_name": name,
                "url": "javascript:alert(2)" if user == "mallory" else acc["url"],
                "lead_type": lead_type,
                "score": round(score, 4),
                "country": cc,
                "language": lang,
                "reasons": (
                    f"{role} in {cc or 'unknown country'}; {n_posts} campaign posts; "
                    f"{followers:,} followers; {stance} the campaign"
                ),
                **comp,
                "stance": stance,
                "stance_score": stance_value,
                "campaign_posts": n_posts,
                "ranked_at": NOW,
            }
        )
    leads_df = pd.DataFrame(leads)
    leads_df["rank"] = (
        leads_df.sort_values(["score", "account_id"], ascending=[False, True])
        .groupby("lead_type")
        .cumcount()
        .add(1)
        .reindex(leads_df.index)
    )
    insert(con, "accounts", pd.DataFrame(accounts))
    insert(con, "posts", pd.DataFrame(posts))
    insert(con, "campaign_posts", pd.DataFrame(campaign_posts))
    insert(con, "account_campaign", pd.DataFrame(stances))
    insert(con, "leads", leads_df)
    runs = pd.DataFrame(
        [
            {
                "run_id": "run-2026-11-20T06",
                "campaign": CAMPAIGN,
                "started_at": NOW - timedelta(hours=6),
                "finished_at": NOW - timedelta(hours=6) + timedelta(minutes=4),
                "status": "ok",
                "posts_new": 1800,
                "accounts_new": 240,
                "errors": 0,
            },
            {
                "run_id": "run-2026-11-20T12",
                "campaign": CAMPAIGN,
                "started_at": NOW - timedelta(minutes=9),
                "finished_at": NOW - timedelta(minutes=2, seconds=17),
                "status": "ok",
                "posts_new": 137,
                "accounts_new": 21,
                "errors": 2,
            },
        ]
    )
    insert(con, "runs", runs)


def make_campaign(**extra: Any) -> Campaign:
    section: dict[str, Any] = {
        "name": CAMPAIGN,
        "hashtags": ["CleanAirECI", "RightToBreathe"],
        "keywords": ["clean air initiative"],
        "countries": ["DE", "FR", "PL", "IT", "ES", "NL", "SE"],
    }
    section.update(extra)
    # placeholders on loopback (never connected to), named for the address policy
    with allowed_hosts("http://127.0.0.1:8081", "http://127.0.0.1:8082"):
        return Campaign.model_validate(
            {
                "campaign": section,
                "mastodon": {"instances": ["http://127.0.0.1:8081"]},
                "bluesky": {"service": "http://127.0.0.1:8082"},
                "privacy": {"retention_days": 90},
            }
        )


def build_store(seed: int = 2026) -> Store:
    """An in-memory :class:`Store` holding :func:`build_db`'s campaign database."""
    store = Store(":memory:")
    build_db(store.con, seed)
    return store
