"""Contact routes of leads, for every output (``scout leads``, exports, the report, the
workspace): the website, a public e-mail and contact form (organisations and public
figures only; a private person, and so every volunteer, is reached through the profile), whether the platform
lets a stranger write to them, and the 1 to 3 campaign posts that made the lead, so an
organizer can quote them. A merged identity's accounts pool their routes.

Sources, best first: the website pass (table ``contacts``; verified routes first), then
the profiles (Mastodon fields, verified ones first; a Bluesky handle on its own domain).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from crawler.core.identity import site_key
from crawler.db.store import Store

CONTACT_COLUMNS: tuple[str, ...] = (
    "handles",
    "website",
    "email",
    "contact_form",
    "messages",
    "evidence_posts",
)
# roles whose public e-mail is a contact route (never a private person's)
PUBLIC_ROLES = frozenset({"organization", "politician", "journalist", "public_figure"})
_HOSTED = (".bsky.social", ".bsky.app", ".bsky.team")

_MASTODON_MESSAGES = {
    False: "Mastodon: open (mention or direct message)",
    True: "Mastodon: locked (follow request needs approval)",
}
_BLUESKY_MESSAGES = {
    "all": "Bluesky: messages open to all",
    "following": "Bluesky: messages only from accounts they follow",
    "none": "Bluesky: messages closed",
}


def _fields(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, list):
        return [f for f in raw if isinstance(f, dict)]
    try:
        decoded = json.loads(raw) if raw else []
    except (TypeError, ValueError):
        return []
    return [f for f in decoded if isinstance(f, dict)] if isinstance(decoded, list) else []


def _profile_website(account: Mapping[Any, Any]) -> tuple[str | None, bool]:
    """(site URL, verified) a profile names: a verified field first, then any field
    that is a site; a Bluesky handle on its own domain is a verified site."""
    best: tuple[str | None, bool] = (None, False)
    for f in _fields(account.get("fields")):
        value = str(f.get("url") or f.get("value") or "").strip()
        key = site_key(value)
        if key is None or "/@" in key or "/users/" in key:
            continue  # not a site, or another profile
        url = value if "://" in value else "https://" + value
        if f.get("verified_at"):
            return url, True
        if best[0] is None:
            best = (url, False)
    handle = str(account.get("handle") or "")
    if (
        best[0] is None
        and account.get("platform") == "bluesky"
        and "." in handle
        and not handle.endswith(_HOSTED)
        and handle != "handle.invalid"
    ):
        return "https://" + handle, True
    return best


def _messages(account: Mapping[Any, Any]) -> str | None:
    if account.get("platform") == "mastodon":
        locked = account.get("locked")
        return _MASTODON_MESSAGES.get(bool(locked)) if locked is not None else None
    return _BLUESKY_MESSAGES.get(str(account.get("chat_allow_incoming")))


def lead_contacts(store: Store, campaign: str) -> pd.DataFrame:
    """One row per lead (``account_id``) with :data:`CONTACT_COLUMNS` (text; empty
    routes are None)."""
    accounts = store.lead_contact_accounts(campaign)
    routes = store.lead_contact_routes(campaign)
    posts = store.lead_evidence_posts(campaign)
    by_lead: dict[str, list[Mapping[Any, Any]]] = {}
    for a in accounts.to_dict("records"):
        by_lead.setdefault(str(a["lead_account_id"]), []).append(a)
    found: dict[str, dict[str, list[tuple[str, bool]]]] = {}
    for r in routes.to_dict("records"):
        kinds = found.setdefault(str(r["lead_account_id"]), {})
        kinds.setdefault(str(r["kind"]), []).append((str(r["value"]), bool(r["verified"])))
    evidence: dict[str, list[str]] = {}
    for p in posts.to_dict("records"):
        evidence.setdefault(str(p["lead_account_id"]), []).append(str(p["url"]))
    rows = []
    for lead, members in by_lead.items():
        own = members[0]
        # a public figure not yet well known is a volunteer: a private person, reached
        # through the profile like any other
        public = own.get("role") in PUBLIC_ROLES and own.get("lead_type") != "volunteer"
        kinds = found.get(lead, {})
        website = _first(kinds.get("website"))
        if website is None:
            sites = [_profile_website(m) for m in members]
            verified = [u for u, v in sites if u and v]
            website = verified[0] if verified else next((u for u, _v in sites if u), None)
        messages = [m for m in (_messages(a) for a in members) if m]
        rows.append(
            {
                "account_id": lead,
                "handles": ", ".join(dict.fromkeys(str(m["handle"]) for m in members)),
                "website": website,
                "email": _first(kinds.get("email")) if public else None,
                "contact_form": _first(kinds.get("contact_form")) if public else None,
                "messages": "; ".join(dict.fromkeys(messages)) or None,
                "evidence_posts": " ".join(evidence.get(lead, [])) or None,
            }
        )
    return pd.DataFrame(rows, columns=["account_id", *CONTACT_COLUMNS])


def _first(values: list[tuple[str, bool]] | None) -> str | None:
    """The first value (the SQL orders verified ones first)."""
    return values[0][0] if values else None


def contact_line(lead: Mapping[Any, Any]) -> str:
    """The routes of one exported lead in a few words, best first (for a terminal)."""
    parts = []
    for key in ("email", "contact_form", "website"):
        value = lead.get(key)
        if isinstance(value, str) and value:
            parts.append(value)
    messages = lead.get("messages")
    if isinstance(messages, str) and messages and not parts:
        parts.append(messages)
    return " · ".join(parts[:2]) or "profile"
