"""``scout correct`` and ``scout corrections``: organizers correct the classifier.

A correction names an account the way ``scout forget`` does (account id, handle or
profile URL) and sets any of role, org_type, country and scope, each checked against
:mod:`crawler.core.vocab`. It is stored in ``overrides`` and wins over the classifier
everywhere (accounts, leads, exports) and across crawls. ``scout corrections`` writes
the corrected accounts as JSON lines the training ``convert`` step reads: ``platform,
handle, display_name, bio, role, org_type, country, scope, lang``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from crawler.app.forget import forget_keys
from crawler.core.errors import UserError
from crawler.core.files import atomic_path
from crawler.core.vocab import ORG_TYPES, ROLES, SCOPES, country_code
from crawler.db.store import Store

TRAINING_FIELDS: tuple[str, ...] = (
    "platform",
    "handle",
    "display_name",
    "bio",
    "role",
    "org_type",
    "country",
    "scope",
    "lang",
)


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    v = value.strip().lower()
    if v not in allowed:
        raise UserError(f"unknown {what} {value!r}: use one of {', '.join(allowed)}")
    return v


def corrected_values(
    role: str | None = None,
    org_type: str | None = None,
    country: str | None = None,
    scope: str | None = None,
) -> dict[str, str | None]:
    """The fields to store for one correction, validated (``UserError`` otherwise).

    An ``org_type`` makes the account an organization; a person's role clears the
    org_type."""
    values: dict[str, str | None] = {}
    if role is not None:
        values["role"] = _choice(role, ROLES, "role")
    if org_type is not None:
        values["org_type"] = _choice(org_type, ORG_TYPES, "org type")
        if values.setdefault("role", "organization") != "organization":
            raise UserError(f"--org-type needs role organization, not {values['role']!r}")
    elif values.get("role") not in (None, "organization"):
        values["org_type"] = None
    if country is not None:
        code = country_code(country)
        if code is None:
            raise UserError(f"unknown country {country!r}: give an EU member state, e.g. DE")
        values["country"] = code
    if scope is not None:
        values["scope"] = _choice(scope, SCOPES, "scope")
    if not values:
        raise UserError("correct: give at least one of --role, --org-type, --country, --scope")
    return values


def correct(store: Store, who: str, values: dict[str, str | None]) -> str:
    """Store ``values`` (from :func:`corrected_values`) for the account ``who`` names;
    returns its account id."""
    if not who.strip():
        raise UserError("correct: give an account id, handle or profile URL")
    ids = store.find_account_ids(forget_keys(who), [who.strip()])
    if not ids:
        raise UserError(f"no stored account {who!r}: run `scout crawl` first or check the handle")
    if len(ids) > 1:
        raise UserError(f"{who!r} names {len(ids)} accounts: give the account id")
    store.set_overrides(ids[0], values)
    return ids[0]


def _clean(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def training_rows(store: Store) -> list[dict[str, Any]]:
    """One dict per corrected account with :data:`TRAINING_FIELDS` (and ``account_id``,
    ``corrected``: the fields an organizer set)."""
    rows = []
    for record in store.corrections().to_dict("records"):
        row = {f: _clean(record.get(f)) for f in ("account_id", *TRAINING_FIELDS)}
        fields = record.get("corrected")
        row["corrected"] = sorted(str(f) for f in (list(fields) if fields is not None else []))
        rows.append(row)
    return rows


def export_corrections(store: Store, out: Path) -> int:
    """Write the corrections as JSON lines to ``out`` (atomically); returns how many."""
    out = Path(out)
    if not out.parent.is_dir():
        raise UserError(f"{out}: folder {out.parent} does not exist")
    rows = training_rows(store)
    with atomic_path(out) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)
