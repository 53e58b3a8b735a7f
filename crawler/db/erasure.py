"""Erasure and consent: ``scout forget``, remembered opt-outs, deleted posts, retention.

An erased account keeps only salted sha256 hashes of its id and handles (table
``forgotten``) so it is never collected again; an opt-out is remembered the same way
(``opted_out``) until the account is seen again without it. Keys arrive resolved: an
account id (``platform:...``) or a handle; turning what a user typed (a profile URL, a
DID...) into keys is the app's job (:mod:`crawler.app.forget`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime

from crawler.core.vocab import PLATFORMS
from crawler.db.connection import Connection, now, sql, unit, utc


def normalise_key(key: str) -> str:
    """The form of an account id or handle that erasure hashes: trimmed, no '@', lower case."""
    return key.strip().lstrip("@").lower()


def is_account_id(key: str) -> bool:
    """``platform:...`` (an account id) rather than a handle."""
    return key.partition(":")[0] in PLATFORMS


# (table, statement) pairs run in order by :meth:`Erasure._delete_accounts`; each takes
# $ids (account ids) and $handles (normalised handles).
_ACCOUNT_DELETES: tuple[tuple[str, str], ...] = (
    (
        "interactions",
        "DELETE FROM interactions WHERE src_account_id = ANY($ids::VARCHAR[])"
        " OR dst_account_id = ANY($ids::VARCHAR[]) OR lower(dst_handle) = ANY($handles::VARCHAR[])"
        " OR post_id IN (SELECT post_id FROM posts WHERE account_id = ANY($ids::VARCHAR[]))",
    ),
    (
        "campaign_posts",
        "DELETE FROM campaign_posts WHERE post_id IN"
        " (SELECT post_id FROM posts WHERE account_id = ANY($ids::VARCHAR[]))",
    ),
    (
        "refs",
        "DELETE FROM refs WHERE target_id = ANY($ids::VARCHAR[]) OR target_id IN"
        " (SELECT post_id FROM posts WHERE account_id = ANY($ids::VARCHAR[]))",
    ),
    ("posts", "DELETE FROM posts WHERE account_id = ANY($ids::VARCHAR[])"),
    ("leads", "DELETE FROM leads WHERE account_id = ANY($ids::VARCHAR[])"),
    ("account_campaign", "DELETE FROM account_campaign WHERE account_id = ANY($ids::VARCHAR[])"),
    ("overrides", "DELETE FROM overrides WHERE account_id = ANY($ids::VARCHAR[])"),
    ("lead_status", "DELETE FROM lead_status WHERE account_id = ANY($ids::VARCHAR[])"),
    (
        "lead_status_history",
        "DELETE FROM lead_status_history WHERE account_id = ANY($ids::VARCHAR[])",
    ),
    (
        "follows",
        "DELETE FROM follows WHERE src_account_id = ANY($ids::VARCHAR[])"
        " OR dst_account_id = ANY($ids::VARCHAR[])",
    ),
    ("list_members", "DELETE FROM list_members WHERE account_id = ANY($ids::VARCHAR[])"),
    ("account_graph", "DELETE FROM account_graph WHERE account_id = ANY($ids::VARCHAR[])"),
    (
        "account_graph",
        "UPDATE account_graph SET seeds_followed = list_filter(seeds_followed,"
        " lambda m: NOT list_contains($ids::VARCHAR[], m))"
        " WHERE list_has_any(seeds_followed, $ids::VARCHAR[])",
    ),
    ("websites", "DELETE FROM websites WHERE account_id = ANY($ids::VARCHAR[])"),
    ("contacts", "DELETE FROM contacts WHERE account_id = ANY($ids::VARCHAR[])"),
    # a merged lead of the account's identity lists it: back to one account per lead
    # until the next ranking (before the identity rows go)
    (
        "leads",
        "UPDATE leads SET identity_id = account_id, handles = [handle]"
        " WHERE identity_id = ANY($ids::VARCHAR[]) OR identity_id IN (SELECT identity_id"
        " FROM identities WHERE account_id = ANY($ids::VARCHAR[]))",
    ),
    (
        "identities",
        "DELETE FROM identities WHERE account_id = ANY($ids::VARCHAR[])"
        " OR identity_id = ANY($ids::VARCHAR[])",
    ),
    (
        "identity_suggestions",
        "DELETE FROM identity_suggestions WHERE account_id = ANY($ids::VARCHAR[])"
        " OR other_account_id = ANY($ids::VARCHAR[])",
    ),
    ("campaign_seeds", "DELETE FROM campaign_seeds WHERE account_id = ANY($ids::VARCHAR[])"),
    ("seed_lists", "DELETE FROM seed_lists WHERE account_id = ANY($ids::VARCHAR[])"),
    (
        "communities",
        "UPDATE communities SET central_members = list_filter(central_members,"
        " lambda m: NOT list_contains($ids::VARCHAR[], m))"
        " WHERE list_has_any(central_members, $ids::VARCHAR[])",
    ),
    ("accounts", "DELETE FROM accounts WHERE account_id = ANY($ids::VARCHAR[])"),
)

# Where the account ids of :data:`_ACCOUNT_DELETES` can be: (table, column, is a list).
# The statements that name only ``$ids`` run for the ids found here, in one query, and
# not at all when none is: an account seen opted out in a follower page is usually
# stored nowhere yet, and the twenty-odd statements (a few ms each) ran for every page.
_ID_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("accounts", "account_id", False),
    ("posts", "account_id", False),
    ("refs", "target_id", False),
    ("leads", "account_id", False),
    ("leads", "identity_id", False),
    ("account_campaign", "account_id", False),
    ("overrides", "account_id", False),
    ("lead_status", "account_id", False),
    ("lead_status_history", "account_id", False),
    ("follows", "src_account_id", False),
    ("follows", "dst_account_id", False),
    ("list_members", "account_id", False),
    ("account_graph", "account_id", False),
    ("account_graph", "seeds_followed", True),
    ("websites", "account_id", False),
    ("contacts", "account_id", False),
    ("identities", "account_id", False),
    ("identities", "identity_id", False),
    ("identity_suggestions", "account_id", False),
    ("identity_suggestions", "other_account_id", False),
    ("campaign_seeds", "account_id", False),
    ("seed_lists", "account_id", False),
    ("communities", "central_members", True),
)
_PRESENT_IDS = " UNION ".join(
    f"SELECT unnest(list_intersect({column}, $ids::VARCHAR[])) AS id FROM {table}"  # noqa: S608
    f" WHERE list_has_any({column}, $ids::VARCHAR[])"
    if is_list
    else f"SELECT {column} AS id FROM {table} WHERE {column} = ANY($ids::VARCHAR[])"  # noqa: S608
    for table, column, is_list in _ID_COLUMNS
)

# Other posts' references to an erased account: reply_to / repost_of / quote_of ids of its
# posts (stored or not: ids embed the account's URI or DID), reply_to_ref refs that
# resolve to them. $posts: its stored post ids; $refpat: a regex of ids that embed it.
_REFERENCES = (
    "UPDATE posts SET"
    " reply_to = CASE WHEN reply_to = ANY($posts::VARCHAR[])"
    " OR regexp_matches(reply_to, $refpat) THEN NULL ELSE reply_to END,"
    " repost_of = CASE WHEN repost_of = ANY($posts::VARCHAR[])"
    " OR regexp_matches(repost_of, $refpat) THEN NULL ELSE repost_of END,"
    " quote_of = CASE WHEN quote_of = ANY($posts::VARCHAR[])"
    " OR regexp_matches(quote_of, $refpat) THEN NULL ELSE quote_of END,"
    " reply_to_ref = CASE WHEN reply_to_ref IN"
    " (SELECT ref FROM refs WHERE target_id = ANY($posts::VARCHAR[]))"
    " THEN NULL ELSE reply_to_ref END"
    " WHERE reply_to = ANY($posts::VARCHAR[]) OR regexp_matches(reply_to, $refpat)"
    " OR repost_of = ANY($posts::VARCHAR[]) OR regexp_matches(repost_of, $refpat)"
    " OR quote_of = ANY($posts::VARCHAR[]) OR regexp_matches(quote_of, $refpat)"
    " OR reply_to_ref IN (SELECT ref FROM refs WHERE target_id = ANY($posts::VARCHAR[]))"
)
REDACTED = "[erased]"
# the account's handle, profile URL and URI in other posts' texts and links, and in bios
_REDACT_POSTS = (
    "UPDATE posts SET text = regexp_replace(text, $pat, $repl, 'gi'),"
    " links = list_filter(links, lambda u: NOT regexp_matches(u, $pat, 'i'))"
    " WHERE regexp_matches(text, $pat, 'i')"
    " OR list_bool_or(list_transform(links, lambda u: regexp_matches(u, $pat, 'i')))"
)
_REDACT_BIOS = (
    "UPDATE accounts SET bio = regexp_replace(bio, $pat, $repl, 'gi')"
    " WHERE regexp_matches(bio, $pat, 'i')"
)
# the short form ``@user`` of a Mastodon handle, only in posts that mention the account
_REDACT_SHORT = (
    "UPDATE posts SET text = regexp_replace(text, $pat, $repl, 'gi')"
    " WHERE regexp_matches(text, $pat, 'i')"
    " AND list_has_any(list_transform(mentions, lambda h: lower(h)), $handles::VARCHAR[])"
)
# before a match: start or a character that cannot continue a handle; after it: end or
# such a character (a final '.' ends a sentence, '.org' continues a host name)
_NOTHING = r"[^\s\S]"  # a regex that matches nothing, not even ""
_BEFORE = r"(^|[^\w.@-])"
_AFTER = r"(\.?(?:[^\w@.-]|$))"


def _alternation(values: Sequence[str]) -> str:
    return "|".join(re.escape(v) for v in sorted(set(values), key=len, reverse=True) if v)


def reference_pattern(ids: Sequence[str]) -> str:
    """A regex of post ids that embed one of these account ids (``mastodon:URI/...``,
    ``bluesky:at://DID/...``); matches nothing for no ids."""
    prefixes = []
    for account_id in ids:
        platform, _, key = account_id.partition(":")
        if not key:
            continue
        prefixes.append(f"bluesky:at://{key}" if platform == "bluesky" else account_id)
    alt = _alternation(prefixes)
    return f"^(?:{alt})(?:/|$)" if alt else _NOTHING


def redaction_patterns(
    ids: Sequence[str], handles: Sequence[str], urls: Sequence[str]
) -> tuple[str, str]:
    """(full, short) regexes for :data:`_REDACT_POSTS` and :data:`_REDACT_SHORT`: the
    handles with or without '@', profile URLs, Mastodon actor URIs and DIDs; the short
    ``@user`` form of Mastodon handles. Group 1 and the last group keep the boundaries."""
    full = [h.lstrip("@") for h in handles] + list(urls)
    full += [i.partition(":")[2] for i in ids if ":" in i]
    short = [h.lstrip("@").split("@")[0] for h in handles if "@" in h.lstrip("@")]
    alt_full, alt_short = _alternation(full), _alternation(short)
    return (
        f"{_BEFORE}@?(?:{alt_full}){_AFTER}" if alt_full else _NOTHING,
        f"{_BEFORE}@(?:{alt_short}){_AFTER}" if alt_short else _NOTHING,
    )


_OLD_POSTS = "(SELECT post_id FROM posts WHERE created_at < $cutoff)"
_GONE_ACCOUNTS = (
    "(SELECT account_id FROM accounts a WHERE a.last_seen_at < $cutoff"
    " AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.account_id = a.account_id))"
)
# (table, statement) pairs of the retention purge, in order; each takes $cutoff.
_PURGE: tuple[tuple[str, str], ...] = (
    ("interactions", f"DELETE FROM interactions WHERE post_id IN {_OLD_POSTS}"),  # noqa: S608
    ("campaign_posts", f"DELETE FROM campaign_posts WHERE post_id IN {_OLD_POSTS}"),  # noqa: S608
    ("refs", f"DELETE FROM refs WHERE target_id IN {_OLD_POSTS}"),  # noqa: S608
    ("posts", "DELETE FROM posts WHERE created_at < $cutoff"),
    ("refs", f"DELETE FROM refs WHERE target_id IN {_GONE_ACCOUNTS}"),  # noqa: S608
    ("leads", f"DELETE FROM leads WHERE account_id IN {_GONE_ACCOUNTS}"),  # noqa: S608
    (
        "account_campaign",
        f"DELETE FROM account_campaign WHERE account_id IN {_GONE_ACCOUNTS}",  # noqa: S608
    ),
    (
        "follows",
        f"DELETE FROM follows WHERE src_account_id IN {_GONE_ACCOUNTS}"  # noqa: S608
        f" OR dst_account_id IN {_GONE_ACCOUNTS}",
    ),
    ("list_members", f"DELETE FROM list_members WHERE account_id IN {_GONE_ACCOUNTS}"),  # noqa: S608
    ("account_graph", f"DELETE FROM account_graph WHERE account_id IN {_GONE_ACCOUNTS}"),  # noqa: S608
    ("websites", f"DELETE FROM websites WHERE account_id IN {_GONE_ACCOUNTS}"),  # noqa: S608
    ("contacts", f"DELETE FROM contacts WHERE account_id IN {_GONE_ACCOUNTS}"),  # noqa: S608
    (
        "identities",
        f"DELETE FROM identities WHERE account_id IN {_GONE_ACCOUNTS}"  # noqa: S608
        f" OR identity_id IN {_GONE_ACCOUNTS}",
    ),
    (
        "identity_suggestions",
        f"DELETE FROM identity_suggestions WHERE account_id IN {_GONE_ACCOUNTS}"  # noqa: S608
        f" OR other_account_id IN {_GONE_ACCOUNTS}",
    ),
    (
        "accounts",
        "DELETE FROM accounts a WHERE a.last_seen_at < $cutoff AND NOT EXISTS"
        " (SELECT 1 FROM posts p WHERE p.account_id = a.account_id)",
    ),
)


class Erasure(Connection):
    def forget_hash(self, key: str) -> str:
        """sha256 of the database's salt and the normalised key, hex."""
        salt = self._salt or ""
        return hashlib.sha256((salt + "\x00" + normalise_key(key)).encode("utf-8")).hexdigest()

    def _forgotten_hashes(self) -> set[str]:
        if self._forgotten is None:
            with self.session() as con:
                rows = con.execute("SELECT key_hash FROM forgotten").fetchall()
            self._forgotten = {r[0] for r in rows}
        return self._forgotten

    def _opted_out_hashes(self) -> set[str]:
        if self._opted_out is None:
            with self.session() as con:
                rows = con.execute("SELECT key_hash FROM opted_out").fetchall()
            self._opted_out = {r[0] for r in rows}
        return self._opted_out

    @unit
    def record_opt_out(self, account_id: str, handle: str | None, reason: str) -> None:
        hashes = [self.forget_hash(k) for k in (account_id, handle) if k]
        self.con.execute(
            "INSERT INTO opted_out SELECT h, ?, ? FROM unnest(?::VARCHAR[]) t(h) "
            "ON CONFLICT (key_hash) DO UPDATE SET reason = excluded.reason,"
            " seen_at = excluded.seen_at",
            [reason, now(), hashes],
        )
        self._opted_out_hashes().update(hashes)

    def clear_opt_out(self, account_id: str, handle: str | None) -> bool:
        """The account was seen without its opt-out: forget that it had one."""
        hashes = [self.forget_hash(k) for k in (account_id, handle) if k]
        known = self._opted_out_hashes()
        if not known.intersection(hashes):
            return False
        with self.session() as con:
            con.execute("DELETE FROM opted_out WHERE key_hash = ANY(?::VARCHAR[])", [hashes])
        known.difference_update(hashes)
        return True

    def is_opted_out(self, key: str) -> bool:
        known = self._opted_out_hashes()
        return bool(known) and self.forget_hash(key) in known

    def is_forgotten(self, account_id: str, handle: str | None = None) -> bool:
        hashes = self._forgotten_hashes()
        if not hashes:
            return False
        keys = [account_id] + ([handle] if handle else [])
        return any(self.forget_hash(k) in hashes for k in keys if k)

    def _clear_references(self, ids: list[str], handles: list[str]) -> dict[str, int]:
        """Other posts' references to these accounts' posts, and their handles, profile
        URLs and URIs in other posts' texts, links and bios (before the posts go)."""
        if not ids and not handles:
            return {}
        with self.session() as con:
            posts = [
                str(r[0])
                for r in con.execute(
                    "SELECT post_id FROM posts WHERE account_id = ANY(?::VARCHAR[])", [ids]
                ).fetchall()
            ]
            urls = [
                str(r[0])
                for r in con.execute(
                    "SELECT url FROM accounts WHERE account_id = ANY(?::VARCHAR[])"
                    " AND url IS NOT NULL",
                    [ids],
                ).fetchall()
            ]
        full, short = redaction_patterns(ids, handles, urls)
        repl = "\\1" + REDACTED + "\\2"
        lh = sorted({normalise_key(h) for h in handles if h})
        return {
            "references": self._changed(
                _REFERENCES, {"posts": posts, "refpat": reference_pattern(ids)}
            ),
            # full forms first: a profile URL holds the short form ("/@user")
            "redacted": self._changed(_REDACT_POSTS, {"pat": full, "repl": repl})
            + self._changed(_REDACT_SHORT, {"pat": short, "repl": repl, "handles": lh}),
            "bios_redacted": self._changed(_REDACT_BIOS, {"pat": full, "repl": repl}),
        }

    def _present_ids(self, ids: list[str]) -> list[str]:
        """The ids stored in any table :data:`_ACCOUNT_DELETES` erases by id."""
        if not ids:
            return []
        with self.session() as con:
            rows = con.execute(_PRESENT_IDS, {"ids": ids}).fetchall()
        return sorted({str(r[0]) for r in rows})

    def _delete_accounts(self, ids: list[str], handles: list[str]) -> dict[str, int]:
        counts: dict[str, int] = self._clear_references(ids, handles)
        present = self._present_ids(ids)
        params = {"ids": ids, "handles": [normalise_key(h) for h in handles]}
        for table, statement in _ACCOUNT_DELETES:
            used = {k: v for k, v in params.items() if f"${k}" in statement}
            if "handles" not in used:
                if not present:
                    counts.setdefault(table, 0)
                    continue
                used["ids"] = present
            counts[table] = counts.get(table, 0) + self._changed(statement, used)
        counts["mentions"] = self.strip_mentions(handles)
        return counts

    def delete_posts(self, post_ids: Sequence[str]) -> None:
        """Erase posts their authors deleted, with the interactions, campaign matches and
        refs that point at them."""
        ids = list(post_ids)
        if not ids:
            return
        with self.transaction() as con:
            con.execute("DELETE FROM interactions WHERE post_id = ANY(?::VARCHAR[])", [ids])
            con.execute("DELETE FROM campaign_posts WHERE post_id = ANY(?::VARCHAR[])", [ids])
            con.execute("DELETE FROM refs WHERE target_id = ANY(?::VARCHAR[])", [ids])
            con.execute("DELETE FROM posts WHERE post_id = ANY(?::VARCHAR[])", [ids])

    def strip_mentions(self, handles: Sequence[str]) -> int:
        """Remove these handles from every stored post's ``mentions``; returns the number
        of posts changed. Used for accounts that opted out or were forgotten."""
        lh = sorted({normalise_key(h) for h in handles if h})
        if not lh:
            return 0
        # interactions with them that reached the store after their opt-out was erased
        # (stored in the same batch as the sighting that showed it) go too
        self._changed(
            "DELETE FROM interactions WHERE lower(dst_handle) = ANY($handles::VARCHAR[])",
            {"handles": lh},
        )
        return self._changed(
            "UPDATE posts SET mentions = list_filter(mentions,"
            " lambda h: NOT list_contains($handles::VARCHAR[], lower(h))) "
            "WHERE list_has_any(list_transform(mentions, lambda h: lower(h)), $handles::VARCHAR[])",
            {"handles": lh},
        )

    @unit
    def forget(self, keys: str | Sequence[str], *, urls: Sequence[str] = ()) -> dict[str, int]:
        """Erase accounts everywhere and keep only salted hashes so they are never collected.

        ``keys`` are account ids (``mastodon:...``, ``bluesky:...``) and handles, as
        :func:`crawler.app.forget.forget_keys` resolves them from what a user typed;
        ``urls`` are profile URLs matched against ``accounts.url``. Every key is hashed,
        even when nothing is stored yet.
        """
        wanted = [k.strip() for k in ([keys] if isinstance(keys, str) else keys) if k.strip()]
        if not wanted:
            raise ValueError("forget: give an account id, handle or profile URL")
        found = self.con.execute(
            sql("find_accounts"),
            {
                "ids": [k for k in wanted if is_account_id(k)],
                "handles": [normalise_key(k) for k in wanted if not is_account_id(k)],
                "urls": [u.strip() for u in urls],
            },
        ).fetchall()
        ids = [str(a) for a, _h in found]
        handles = [str(h) for _a, h in found]
        with self.transaction() as con:
            counts = self._delete_accounts(ids, handles)
            to_hash = sorted({self.forget_hash(k) for k in [*ids, *handles, *wanted]})
            con.execute(
                "INSERT INTO forgotten SELECT h, $at FROM unnest($hashes::VARCHAR[]) t(h) "
                "ON CONFLICT (key_hash) DO NOTHING",
                {"hashes": to_hash, "at": now()},
            )
        counts["forgotten"] = len(to_hash)
        self._forgotten = None
        return counts

    @unit
    def delete_account_data(self, account_id: str) -> dict[str, int]:
        """Delete everything stored about one account (e.g. deleted on Bluesky), no hash."""
        rows = self.con.execute(
            "SELECT handle FROM accounts WHERE account_id = ?", [account_id]
        ).fetchall()
        with self.transaction():
            return self._delete_accounts([account_id], [str(r[0]) for r in rows])

    @unit
    def record_opt_outs_and_delete(
        self, accounts: Sequence[tuple[str, str, str]]
    ) -> dict[str, int]:
        """Many accounts seen opted out (``(account_id, handle, reason)``): remember each
        as salted hashes and delete what is stored about them, in one unit of work (one
        pass of the erasure statements for all of them, not one per account)."""
        if not accounts:
            return {}
        stamp = now()
        hashes = [
            (self.forget_hash(k), reason)
            for account_id, handle, reason in accounts
            for k in (account_id, handle)
            if k
        ]
        ids = list(dict.fromkeys(a for a, _h, _r in accounts))
        stored = self.con.execute(
            "SELECT handle FROM accounts WHERE account_id = ANY(?::VARCHAR[])", [ids]
        ).fetchall()
        handles = list(
            dict.fromkeys([*(h for _a, h, _r in accounts if h), *(str(r[0]) for r in stored)])
        )
        with self.transaction() as con:
            con.execute(
                "INSERT INTO opted_out SELECT DISTINCT ON (e.h) e.h, e.r, ? FROM"
                " (SELECT unnest(?::VARCHAR[]) AS h, unnest(?::VARCHAR[]) AS r) e"
                " ON CONFLICT (key_hash) DO UPDATE SET reason = excluded.reason,"
                " seen_at = excluded.seen_at",
                [stamp, [h for h, _ in hashes], [r for _, r in hashes]],
            )
            counts = self._delete_accounts(ids, handles)
        if self._opted_out is not None:
            self._opted_out.update(h for h, _ in hashes)
        return counts

    def purge_older_than(self, cutoff: datetime) -> dict[str, int]:
        """Delete posts created before ``cutoff`` (with their interactions and campaign
        matches) and accounts with no posts left that were last seen before ``cutoff``."""
        counts: dict[str, int] = {}
        with self.transaction():
            for table, statement in _PURGE:
                counts[table] = counts.get(table, 0) + self._changed(
                    statement, {"cutoff": utc(cutoff)}
                )
        return counts
