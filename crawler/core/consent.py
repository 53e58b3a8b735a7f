"""Opt-out signals the platforms publish, read as the design's consent rules.

Every collector's items pass :class:`pipelines.consent.ConsentPipeline`, which uses
:func:`opt_out_reason`; nothing of an opted-out account is stored.
"""

from __future__ import annotations

import re

from crawler.core.items import AccountItem

# Hashtags (Mastodon rules: not after a word character, "/" or ")") people put in their bio or profile fields to say "do not index/collect me".
OPT_OUT_TAGS: tuple[str, ...] = ("nobot", "nobots", "noindex", "nosearch")
_OPT_OUT_RE = re.compile(r"(?<![\w#/)])#(" + "|".join(OPT_OUT_TAGS) + r")\b", re.IGNORECASE)

# Bluesky self-label: "do not show my content to logged-out users"; we treat it as a
# refusal of third-party collection too.
BSKY_NO_UNAUTHENTICATED = "!no-unauthenticated"


def opt_out_reason(account: AccountItem) -> str | None:
    """Why this account must not be collected, or ``None`` when it may be."""
    if account.platform == "mastodon":
        if account.discoverable is False:
            return "discoverable=false"
        if account.indexable is False:
            return "indexable=false"
        if account.noindex is True:
            return "noindex=true"
    if account.platform == "bluesky" and BSKY_NO_UNAUTHENTICATED in account.labels:
        return "label !no-unauthenticated"
    texts = [account.bio or "", account.display_name or ""]
    texts += [f"{f.name} {f.value}" for f in account.fields]
    for text in texts:
        m = _OPT_OUT_RE.search(text)
        if m:
            return f"#{m.group(1).lower()} in profile"
    return None
