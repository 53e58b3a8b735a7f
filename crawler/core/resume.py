"""Where a backward walk stands, so a killed run loses at most one page.

Every paged source (a Mastodon tag timeline per instance, a Bluesky search per query)
keeps two cursors in the ``cursors`` table:

* the **watermark** (key ``K``): the newest item of the last *finished* walk. Everything
  from there down to the campaign's ``since`` is stored. Later runs walk from the top of
  the feed down to it.
* the **backfill** (key ``K#backfill``): a walk that has not finished, as JSON
  ``{"at": ..., "top": ..., "floor": ...}``: the page position to continue from
  (Mastodon's ``max_id``; the oldest time read on Bluesky), the newest item the walk saw
  (the next watermark) and where the walk ends (the watermark it started from). It is
  written right after each page's items (the storage pipeline flushes before it saves a
  cursor) and cleared once the walk reaches its floor, after the watermark is saved.

A run first continues an unfinished walk from ``at`` down to ``floor``, saves ``top`` as
the watermark, then walks the top of the feed down to that watermark.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

BACKFILL_SUFFIX = "#backfill"


def backfill_key(key: str) -> str:
    """The cursor key of the unfinished walk of watermark key ``key``."""
    return key + BACKFILL_SUFFIX


@dataclass(frozen=True)
class Backfill:
    at: str  # continue below this position (Mastodon max_id; Bluesky: ISO time)
    top: str | None  # the newest item this walk saw: the watermark once it is done
    floor: str | None  # the watermark the walk started from: where it ends

    def encode(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def decode(cls, value: str | None) -> Backfill | None:
        """The stored walk, or ``None`` (no walk, a cleared one, or an unreadable value:
        then the run walks from the top again, which upserts make harmless)."""
        if not value:
            return None
        try:
            raw = json.loads(value)
        except ValueError:
            return None
        if not isinstance(raw, dict) or not isinstance(raw.get("at"), str) or not raw["at"]:
            return None
        top, floor = raw.get("top"), raw.get("floor")
        return cls(
            at=raw["at"],
            top=top if isinstance(top, str) else None,
            floor=floor if isinstance(floor, str) else None,
        )


# the value that clears a backfill cursor (the cursors table has no delete for runs)
CLEARED = ""
