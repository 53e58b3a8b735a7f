"""Link accounts into identities after a crawl (:func:`link_identities`) and record an
organizer's decision on a suggestion (:func:`decide`). The rules are
:mod:`crawler.core.identity`; merged identities are what the ranking lists as one lead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from crawler.app.forget import forget_keys
from crawler.core.errors import UserError
from crawler.core.identity import Profile, identities, link_accounts
from crawler.db.store import Store


@dataclass(frozen=True)
class LinkSummary:
    merged_accounts: int
    identities: int
    suggestions: int


def profile_of(row: dict[str, Any]) -> Profile:
    """The rules' view of a stored account row (fields decoded; a field's link, whole,
    wins over its text, which Mastodon cuts with an ellipsis)."""
    fields = []
    for f in row["fields"]:
        if not isinstance(f, dict):
            continue
        value = str(f.get("url") or f.get("value") or "")
        fields.append((str(f.get("name") or ""), value, bool(f.get("verified_at"))))
    return Profile(
        account_id=row["account_id"],
        platform=row["platform"],
        handle=row["handle"],
        url=row["url"],
        display_name=row["display_name"],
        bio=row["bio"],
        fields=tuple(fields),
    )


def link_identities(store: Store) -> LinkSummary:
    """Recompute identities and suggestions from the stored accounts (and the websites
    read, where they link back); decisions an organizer made are kept."""
    profiles = [profile_of(r) for r in store.identity_profiles()]
    confirmed, rejected = store.identity_decisions()
    linking = link_accounts(
        profiles,
        store.site_profile_links(),
        confirmed,
        rejected,
        site_profiles=store.verified_site_profiles(),
    )
    groups = identities(linking.strong)
    ident = pd.DataFrame(
        [
            {"identity_id": ident_id, "account_id": a, "evidence": "; ".join(evidence)}
            for a, (ident_id, evidence) in sorted(groups.items())
        ],
        columns=["identity_id", "account_id", "evidence"],
    )
    merged = set(groups)
    sugg = pd.DataFrame(
        [
            {"account_id": w.a, "other_account_id": w.b, "evidence": w.evidence, "score": w.score}
            for w in linking.weak
            if not (w.a in merged and w.b in merged and groups[w.a][0] == groups[w.b][0])
        ],
        columns=["account_id", "other_account_id", "evidence", "score"],
    )
    store.replace_identities(ident, sugg)
    return LinkSummary(len(ident), ident["identity_id"].nunique() if len(ident) else 0, len(sugg))


def decide(store: Store, who: str, other: str, status: str) -> str:
    """An organizer confirms (merges) or rejects (never suggests again) a pair; returns a
    one-line confirmation. Takes effect at the next ranking."""
    ids = []
    for key in (who, other):
        found = store.find_account_ids(forget_keys(key), [key.strip()]) if key.strip() else []
        if not found:
            raise UserError(f"no stored account {key!r}: run `scout crawl` first or check it")
        if len(found) > 1:
            raise UserError(f"{key!r} matches {len(found)} accounts; give the account id")
        ids.append(found[0])
    if ids[0] == ids[1]:
        raise UserError("the two accounts are the same account")
    evidence = "confirmed by an organizer" if status == "confirmed" else "rejected by an organizer"
    store.decide_identity(ids[0], ids[1], status, evidence)
    link_identities(store)
    verb = "linked" if status == "confirmed" else "kept apart"
    return f"{who} and {other} {verb}; the next ranking lists them accordingly"
