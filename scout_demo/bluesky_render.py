"""Bluesky (atproto) JSON of the demo world: profiles, post records with facets
and embeds, post views.  :class:`BlueskyRender` is mixed into
:class:`scout_demo.bluesky_api.BlueskyApp`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from scout_demo.model import Account, Post, World, iso_ms
from scout_demo.tables import DEMO_BSKY_HANDLE

DEMO_DID = "did:plc:scoutdemo2026aaaaaaaaaaaa"
ACCESS_TTL = 2 * 3600
REFRESH_TTL = 60 * 86400


class BlueskyRender:
    """Renders profiles and posts (post views cached)."""

    world: World
    _post_cache: dict[int, dict[str, Any]]

    def profile_basic(self, acc: Account) -> dict[str, Any]:
        did = str(acc.did)
        out: dict[str, Any] = {
            "did": did,
            "handle": acc.username,
            "displayName": acc.display_name,
            "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/{acc.avatar_cid}@jpeg",
            "associated": {"chat": {"allowIncoming": "following"}},
            "viewer": {"muted": False, "blockedBy": False},
            "labels": self.labels(acc),
            "createdAt": iso_ms(acc.created_at),
        }
        if acc.idx % 17 == 0:
            del out["displayName"]  # real profiles may have none
        elif acc.idx % 23 == 0:
            out["displayName"] = ""
        return out

    def labels(self, acc: Account) -> list[dict[str, Any]]:
        did = str(acc.did)
        return [
            {
                "src": did,
                "uri": f"at://{did}/app.bsky.actor.profile/self",
                "cid": acc.profile_cid,
                "val": val,
                "cts": iso_ms(acc.created_at),
            }
            for val in acc.labels
        ]

    def profile_detailed(self, acc: Account) -> dict[str, Any]:
        out = self.profile_basic(acc)
        out["associated"] = {
            "lists": 0,
            "feedgens": 0,
            "starterPacks": self.starter_pack_count(acc),
            "labeler": False,
            "chat": {"allowIncoming": "following"},
        }
        out["description"] = acc.bio
        out["indexedAt"] = iso_ms(acc.created_at + timedelta(days=30))
        out["banner"] = f"https://cdn.bsky.app/img/banner/plain/{acc.did}/{acc.avatar_cid}@jpeg"
        out["followersCount"] = acc.followers
        out["followsCount"] = acc.following
        out["postsCount"] = acc.statuses_count
        return out

    def starter_pack_count(self, acc: Account) -> int:
        g = self.world.graph
        return 0 if g is None else sum(1 for p in g.packs if p.creator == acc.idx)

    def demo_profile(self) -> dict[str, Any]:
        return {
            "did": DEMO_DID,
            "handle": DEMO_BSKY_HANDLE,
            "displayName": "eci-scout demo",
            "description": "The account eci-scout logs in with on the demo network.",
            "associated": {"lists": 0, "feedgens": 0, "starterPacks": 0, "labeler": False},
            "viewer": {"muted": False, "blockedBy": False},
            "labels": [],
            "createdAt": "2026-01-01T00:00:00.000Z",
            "indexedAt": "2026-01-01T00:00:00.000Z",
            "followersCount": 0,
            "followsCount": 0,
            "postsCount": 0,
        }

    def post_uri(self, post: Post) -> str:
        return f"at://{self.world.accounts[post.author].did}/app.bsky.feed.post/{post.rkey}"

    def record(self, post: Post) -> dict[str, Any]:
        w = self.world
        text_parts: list[str] = []
        facets: list[dict[str, Any]] = []
        nbytes = 0
        for seg in post.segments:
            kind = seg[0]
            if kind == "t":
                piece = seg[1]
            elif kind == "tag":
                piece = "#" + seg[1]
                feature = {"$type": "app.bsky.richtext.facet#tag", "tag": seg[1]}
            elif kind == "m":
                acc = w.accounts[seg[1]]
                piece = "@" + acc.username
                feature = {"$type": "app.bsky.richtext.facet#mention", "did": acc.did}
            elif kind == "url":
                shown = seg[1].split("://", 1)[-1]
                piece = shown if len(shown) <= 30 else shown[:27] + "..."
                feature = {"$type": "app.bsky.richtext.facet#link", "uri": seg[1]}
            else:
                piece = "\n\n" if kind == "p" else ""
            size = len(piece.encode("utf-8"))
            if kind in ("tag", "m", "url"):
                facets.append(
                    {
                        "features": [feature],
                        "index": {"byteEnd": nbytes + size, "byteStart": nbytes},
                    }
                )
            text_parts.append(piece)
            nbytes += size
        rec: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "createdAt": iso_ms(post.created_at),
            "text": "".join(text_parts),
        }
        if facets:
            rec["facets"] = facets
        if post.lang:
            rec["langs"] = [post.lang]
        if post.record_tags:
            rec["tags"] = list(post.record_tags)
        if post.reply_to is not None:
            parent = w.posts[post.reply_to]
            root = parent
            while root.reply_to is not None:
                root = w.posts[root.reply_to]
            rec["reply"] = {
                "root": {"cid": root.cid, "uri": self.post_uri(root)},
                "parent": {"cid": parent.cid, "uri": self.post_uri(parent)},
            }
        if post.quote_of is not None:
            q = w.posts[post.quote_of]
            rec["embed"] = {
                "$type": "app.bsky.embed.record",
                "record": {"cid": q.cid, "uri": self.post_uri(q)},
            }
        elif post.link and post.idx % 2 == 0:
            rec["embed"] = {
                "$type": "app.bsky.embed.external",
                "external": {"description": "", "title": post.card_title, "uri": post.link},
            }
        return rec

    def post_view(self, idx: int) -> dict[str, Any]:
        cached = self._post_cache.get(idx)
        if cached is not None:
            return cached
        w = self.world
        post = w.posts[idx]
        author = w.accounts[post.author]
        rec = self.record(post)
        view: dict[str, Any] = {
            "uri": self.post_uri(post),
            "cid": post.cid,
            "author": self.profile_basic(author),
            "record": rec,
        }
        emb = rec.get("embed")
        if emb and emb["$type"] == "app.bsky.embed.record":
            q = w.posts[post.quote_of or 0]
            view["embed"] = {
                "$type": "app.bsky.embed.record#view",
                "record": {
                    "$type": "app.bsky.embed.record#viewRecord",
                    "uri": self.post_uri(q),
                    "cid": q.cid,
                    "author": self.profile_basic(w.accounts[q.author]),
                    "value": self.record(q),
                    "labels": [],
                    "likeCount": q.likes,
                    "replyCount": q.replies,
                    "repostCount": q.reposts,
                    "quoteCount": q.quotes,
                    "indexedAt": iso_ms(q.created_at + timedelta(milliseconds=480)),
                    "embeds": [],
                },
            }
        elif emb:
            view["embed"] = {
                "$type": "app.bsky.embed.external#view",
                "external": dict(emb["external"]),
            }
        view.update(
            {
                "replyCount": post.replies,
                "repostCount": post.reposts,
                "likeCount": post.likes,
                "quoteCount": post.quotes,
                "indexedAt": iso_ms(post.created_at + timedelta(milliseconds=480)),
                "viewer": {"threadMuted": False, "embeddingDisabled": False},
                "labels": [],
            }
        )
        self._post_cache[idx] = view
        return view
