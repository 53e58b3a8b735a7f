"""Embeds and references of a Bluesky post: quotes, links, reply parents.

An embed comes in two forms: the record form written by the author
(``app.bsky.embed.record``, ``recordWithMedia``, ``external`` with a strongRef) and the
view form an AppView returns (``...#view`` with the quoted post's ``viewRecord``).  Each
helper reads either form and returns None for anything it does not recognise; none of
them raises on a malformed embed.
"""

from __future__ import annotations

from typing import Any


def strong_ref_uri(v: Any) -> str | None:
    """The ``at://`` URI of a ``com.atproto.repo.strongRef`` (a reply parent), or None."""
    if isinstance(v, dict):
        uri = v.get("uri")
        if isinstance(uri, str) and uri.startswith("at://"):
            return uri
    return None


def embed_quote_uri(embed: Any) -> str | None:
    """URI of the record a post embeds (record or view form), or None."""
    if not isinstance(embed, dict):
        return None
    kind = str(embed.get("$type") or "")
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        inner = embed.get("record")
        # record form: {"record": {"record": strongRef}}; view form: {"record": {"record": viewRecord}}
        return strong_ref_uri(inner.get("record")) if isinstance(inner, dict) else None
    if kind.startswith("app.bsky.embed.record"):
        return strong_ref_uri(embed.get("record"))
    return None


def quote_detached(embed_view: Any) -> bool:
    """True when the view says the quoted post's author detached the quote."""
    if not isinstance(embed_view, dict):
        return False
    rec = embed_view.get("record")
    if str(embed_view.get("$type") or "").startswith("app.bsky.embed.recordWithMedia"):
        rec = rec.get("record") if isinstance(rec, dict) else None
    return isinstance(rec, dict) and (
        rec.get("$type") == "app.bsky.embed.record#viewDetached" or rec.get("detached") is True
    )


def embed_external_uri(embed: Any) -> str | None:
    """The link of an ``app.bsky.embed.external`` (alone or beside a quote), or None."""
    if not isinstance(embed, dict):
        return None
    kind = str(embed.get("$type") or "")
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        return embed_external_uri(embed.get("media"))
    if kind.startswith("app.bsky.embed.external"):
        ext = embed.get("external")
        if isinstance(ext, dict):
            uri = ext.get("uri")
            if isinstance(uri, str) and uri:
                return uri
    return None
