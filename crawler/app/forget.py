"""``scout forget ACCOUNT``: what the user typed -> the keys the database erases.

ACCOUNT is an account id (``mastodon:...``, ``bluesky:...``), a DID, a handle
(``user@host``, ``@user@host``, a Bluesky handle) or a profile URL (Mastodon
``https://host/@user``, ``/users/user``...; Bluesky ``https://bsky.app/profile/x``).
Knowing those URL formats is the app's business; the store takes resolved keys
(:meth:`crawler.db.store.Store.forget`).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from crawler.core.errors import UserError
from crawler.db.erasure import normalise_key
from crawler.db.store import Store


def forget_keys(who: str) -> list[str]:
    """Account ids and handles an erasure request may denote."""
    w = who.strip()
    if w.startswith(("mastodon:", "bluesky:")):
        return [w]
    if w.startswith("did:"):
        return ["bluesky:" + w]
    if w.startswith(("http://", "https://")):
        parts = urlsplit(w)
        host = (parts.hostname or "").lower()
        segs = [unquote(s) for s in parts.path.split("/") if s]
        keys = ["mastodon:" + w.rstrip("/")]
        if host.endswith("bsky.app") and len(segs) >= 2 and segs[0] == "profile":
            ident = segs[1]
            return ["bluesky:" + ident] if ident.startswith("did:") else [ident.lower()]
        if segs and segs[0].startswith("@"):  # https://host/@user or /@user@other
            user = segs[0][1:]
            keys.append(user if "@" in user else f"{user}@{host}")
        elif len(segs) >= 2 and segs[0] in ("users", "u", "profile", "accounts"):
            keys.append(f"{segs[1]}@{host}")
        return keys
    return [normalise_key(w)]


def forget(store: Store, who: str) -> dict[str, int]:
    """Erase the account ``who`` names everywhere (see the module docstring); returns
    rows removed per table and ``forgotten``, the number of hashes kept."""
    if not who.strip():
        raise UserError("forget: give an account id, handle or profile URL")
    return store.forget(forget_keys(who), urls=[who.strip()])


def forget_in(db: Path, who: str) -> dict[str, int]:
    """:func:`forget` in the database file ``db`` (created when missing)."""
    from crawler.app.summaries import open_store

    with open_store(db, must_exist=False) as store:
        return forget(store, who)
