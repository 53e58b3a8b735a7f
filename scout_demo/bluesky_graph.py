"""The social graph on the demo Bluesky service (AppView): follows and starter packs.

``app.bsky.graph.getFollowers`` / ``getFollows`` (``actor``; ``limit`` 1-100, default
50; ``cursor``; ``{subject, followers|follows, cursor}`` of ``profileView``s, newest
follow first, the cursor being the follow record key of the last one),
``app.bsky.graph.getStarterPack`` (``starterPack`` at:// URI; ``{starterPack:
starterPackView}`` with the record, the creator and the list as ``listViewBasic``) and
``app.bsky.graph.getList`` (``list``; ``limit``; ``cursor``; ``{list: listView, items:
[{uri, subject: profileView}], cursor}``).  Like the public AppView they answer without
a session, but a bearer token, if sent, must be valid.  Profiles carry their
self-labels (``!no-unauthenticated``): honouring them is the client's job.
:class:`BlueskyGraph` is mixed into :class:`scout_demo.bluesky_api.BlueskyApp`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from scout_demo.follows import StarterPack
from scout_demo.model import Account, World, iso_ms
from scout_demo.service import Reply, Request

STARTER_PACK = "app.bsky.graph.starterpack"
LIST = "app.bsky.graph.list"
REFERENCE_LIST = "app.bsky.graph.defs#referencelist"
SAMPLE = 12  # listItemsSample holds at most 12 members


def _error(message: str, error: str = "InvalidRequest") -> Reply:
    return 400, {"error": error, "message": message}, {}


class BlueskyGraph:
    world: World

    if TYPE_CHECKING:  # provided by BlueskyRender and BlueskyApp

        def profile_basic(self, acc: Account) -> dict[str, Any]: ...

        def check_jwt(self, headers: Any, scope: str) -> tuple[int, dict[str, str]] | None: ...

    # -- views --------------------------------------------------------------------------
    def profile_view(self, acc: Account) -> dict[str, Any]:
        """``app.bsky.actor.defs#profileView``: the basic view plus the bio."""
        out = self.profile_basic(acc)
        if acc.bio:
            out["description"] = acc.bio
        out["indexedAt"] = iso_ms(acc.created_at + timedelta(days=30))
        return out

    def list_uri(self, pack: StarterPack) -> str:
        return f"at://{self.world.accounts[pack.creator].did}/{LIST}/{pack.list_rkey}"

    def pack_uri(self, pack: StarterPack) -> str:
        return f"at://{self.world.accounts[pack.creator].did}/{STARTER_PACK}/{pack.rkey}"

    def list_basic(self, pack: StarterPack) -> dict[str, Any]:
        return {
            "uri": self.list_uri(pack),
            "cid": pack.list_cid,
            "name": pack.name[:64],
            "purpose": REFERENCE_LIST,
            "listItemCount": len(pack.members),
            "labels": [],
            "viewer": {"muted": False},
            "indexedAt": iso_ms(pack.created_at + timedelta(milliseconds=600)),
        }

    def list_items(self, pack: StarterPack) -> list[tuple[str, dict[str, Any]]]:
        """``(record key, listItemView)``, newest first."""
        accounts = self.world.accounts
        did = accounts[pack.creator].did
        pairs = sorted(zip(pack.item_rkeys, pack.members, strict=True), reverse=True)
        return [
            (
                rkey,
                {
                    "uri": f"at://{did}/app.bsky.graph.listitem/{rkey}",
                    "subject": self.profile_view(accounts[i]),
                },
            )
            for rkey, i in pairs
        ]

    def starter_pack_view(self, pack: StarterPack) -> dict[str, Any]:
        creator = self.world.accounts[pack.creator]
        record = {
            "$type": STARTER_PACK,
            "name": pack.name,
            "description": pack.description,
            "list": self.list_uri(pack),
            "feeds": [],
            "createdAt": iso_ms(pack.created_at + timedelta(seconds=1)),
        }
        return {
            "uri": self.pack_uri(pack),
            "cid": pack.cid,
            "record": record,
            "creator": self.profile_basic(creator),
            "list": self.list_basic(pack),
            "listItemsSample": [view for _, view in self.list_items(pack)[:SAMPLE]],
            "feeds": [],
            "joinedWeekCount": len(pack.members) // 5,
            "joinedAllTimeCount": len(pack.members) * 3,
            "labels": [],
            "indexedAt": iso_ms(pack.created_at + timedelta(seconds=2)),
        }

    # -- lookups ------------------------------------------------------------------------
    def actor_index(self, actor: str) -> int | None:
        w = self.world
        actor = actor.strip().lstrip("@")
        idx = w.bsky_by_did.get(actor)
        return w.bsky_by_handle.get(actor.lower()) if idx is None else idx

    def find_pack(self, uri: str, collection: str) -> StarterPack | None:
        """The starter pack behind an at:// URI of the pack (or of its list); the
        authority may be the creator's DID or handle."""
        g = self.world.graph
        parts = uri.removeprefix("at://").split("/")
        if g is None or not uri.startswith("at://") or len(parts) != 3 or parts[1] != collection:
            return None
        creator = self.actor_index(parts[0])
        for pack in g.packs:
            key = pack.rkey if collection == STARTER_PACK else pack.list_rkey
            if pack.creator == creator and key == parts[2]:
                return pack
        return None

    def optional_auth(self, req: Request) -> Reply | None:
        """Public like the AppView, but a token that is sent must be valid."""
        if not req.headers.get("Authorization"):
            return None
        err = self.check_jwt(req.headers, "access")
        return (err[0], err[1], {}) if err else None

    @staticmethod
    def paging(q: dict[str, str]) -> tuple[int, str, Reply | None]:
        """``(limit, cursor, error)`` of a listing request."""
        try:
            limit = int(q.get("limit") or 50)
        except ValueError:
            return 0, "", _error("Error: limit must be an integer")
        if not 1 <= limit <= 100:
            return 0, "", _error("Error: limit can not be greater than 100")
        return limit, q.get("cursor") or "", None

    # -- endpoints ----------------------------------------------------------------------
    def ep_get_followers(self, req: Request) -> Reply:
        return self.follow_list(req, "followers")

    def ep_get_follows(self, req: Request) -> Reply:
        return self.follow_list(req, "follows")

    def follow_list(self, req: Request, key: str) -> Reply:
        denied = self.optional_auth(req)
        if denied:
            return denied
        if not req.q.get("actor"):
            return _error('Error: Params must have the property "actor"')
        limit, cursor, bad = self.paging(req.q)
        if bad:
            return bad
        w = self.world
        idx = self.actor_index(req.q["actor"])
        if idx is None or w.graph is None:
            return _error("Profile not found")
        direction = "followers" if key == "followers" else "following"
        edges = sorted(
            w.graph.edges(idx, direction, w.advanced), key=lambda f: f.rkey, reverse=True
        )
        if cursor:
            edges = [f for f in edges if f.rkey < cursor]
        page = edges[:limit]
        other = [f.src if key == "followers" else f.dst for f in page]
        body: dict[str, Any] = {
            "subject": self.profile_view(w.accounts[idx]),
            key: [self.profile_view(w.accounts[i]) for i in other],
        }
        if len(edges) > limit:
            body["cursor"] = page[-1].rkey
        return 200, body, {}

    def ep_get_starter_pack(self, req: Request) -> Reply:
        denied = self.optional_auth(req)
        if denied:
            return denied
        uri = req.q.get("starterPack", "")
        if not uri:
            return _error('Error: Params must have the property "starterPack"')
        pack = self.find_pack(uri, STARTER_PACK)
        if pack is None:
            return _error("Starter pack not found", "NotFound")
        return 200, {"starterPack": self.starter_pack_view(pack)}, {}

    def ep_get_list(self, req: Request) -> Reply:
        denied = self.optional_auth(req)
        if denied:
            return denied
        uri = req.q.get("list", "")
        if not uri:
            return _error('Error: Params must have the property "list"')
        limit, cursor, bad = self.paging(req.q)
        if bad:
            return bad
        pack = self.find_pack(uri, LIST)
        if pack is None:
            return _error("List not found")
        items = self.list_items(pack)
        if cursor:
            items = [it for it in items if it[0] < cursor]
        page = items[:limit]
        creator = self.world.accounts[pack.creator]
        view = self.list_basic(pack)
        view.update(creator=self.profile_view(creator), description=pack.description)
        body: dict[str, Any] = {"list": view, "items": [v for _, v in page]}
        if len(items) > limit:
            body["cursor"] = page[-1][0]
        return 200, body, {}
