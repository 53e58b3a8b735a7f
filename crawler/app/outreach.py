"""``scout mark``: organizers record where they are with a lead.

A mark names an account the way ``scout correct`` does (account id, handle or profile
URL) and sets any of status (one of :data:`~crawler.core.vocab.LEAD_STATUSES`), owner
and note for one campaign. It is stored in ``lead_status`` with one
``lead_status_history`` row per change (:mod:`crawler.db.outreach`); crawls never
rewrite it. A lead whose status is in :data:`~crawler.core.vocab.CLOSED_STATUSES`
leaves the "to contact" lists and stays visible (exports, the report, ``--status``).
"""

from __future__ import annotations

import pandas as pd

from crawler.app.forget import forget_keys
from crawler.core.errors import UserError
from crawler.core.vocab import CLOSED_STATUSES, LEAD_STATUSES
from crawler.db.store import Store

# ``--status`` words beyond the statuses themselves
OPEN = "open"  # every status but the closed ones: the "to contact" list
ALL = "all"


def check_status(value: str) -> str:
    """``value`` as a stored status (``to-contact`` and ``Not relevant`` accepted), or a
    :class:`UserError` naming the allowed values."""
    v = "_".join(value.strip().lower().replace("-", " ").split())
    if v not in LEAD_STATUSES:
        raise UserError(f"unknown status {value!r}: use one of {', '.join(LEAD_STATUSES)}")
    return v


def status_filter(value: str | None, default: str = ALL) -> tuple[str, ...] | None:
    """The statuses a ``--status`` option keeps: a comma-separated list of statuses,
    ``open`` (all but :data:`CLOSED_STATUSES`) or ``all`` (None: no filter)."""
    words = [w for w in (value if value is not None else default).split(",") if w.strip()]
    if not words:
        raise UserError(f"--status: give statuses, {OPEN!r} or {ALL!r}")
    keep: list[str] = []
    for word in words:
        w = word.strip().lower()
        if w == ALL:
            return None
        if w == OPEN:
            keep += [s for s in LEAD_STATUSES if s not in CLOSED_STATUSES]
        else:
            keep.append(check_status(word))
    return tuple(s for s in LEAD_STATUSES if s in keep)


def resolve_account(store: Store, who: str, command: str = "mark") -> str:
    """The one stored account id ``who`` names (account id, handle or profile URL)."""
    if not who.strip():
        raise UserError(f"{command}: give an account id, handle or profile URL")
    ids = store.find_account_ids(forget_keys(who), [who.strip()])
    if not ids:
        raise UserError(f"no stored account {who!r}: run `scout crawl` first or check the handle")
    if len(ids) > 1:
        raise UserError(f"{who!r} names {len(ids)} accounts: give the account id")
    return ids[0]


def mark(
    store: Store,
    campaign: str,
    who: str,
    *,
    status: str | None,
    owner: str | None,
    note: str | None,
    changed_by: str | None = None,
) -> str:
    """Set the outreach state of the lead ``who`` names in ``campaign``; returns a
    one-line confirmation. ``None`` keeps a stored value, an empty owner or note clears
    it."""
    if status is None and owner is None and note is None:
        raise UserError("mark: give at least one of --status, --owner, --note")
    checked = None if status is None else check_status(status)
    account_id = resolve_account(store, who)
    row = store.set_lead_status(
        campaign, account_id, status=checked, owner=owner, note=note, changed_by=changed_by
    )
    parts = [f"status {row['status']}", f"owner {row['owner'] or '(none)'}"]
    if row["note"]:
        parts.append(f"note {row['note']!r}")
    closed = " (closed: off the to-contact lists)" if row["status"] in CLOSED_STATUSES else ""
    return f"marked {account_id} in {campaign!r}: {', '.join(parts)}{closed}"


def statuses_frame(store: Store, campaign: str) -> pd.DataFrame:
    """The campaign's marked leads: the ``lead_status`` columns with the account's
    handle, display_name, platform and url, its lead_type and rank (empty when it is no
    ranked lead now) and ``closed``; most recently changed first."""
    return store.marked_leads(campaign, closed=list(CLOSED_STATUSES))


def history_frame(store: Store, campaign: str, who: str) -> pd.DataFrame:
    """Every change of the lead ``who`` names, newest first."""
    return store.lead_status_history(campaign, resolve_account(store, who))
