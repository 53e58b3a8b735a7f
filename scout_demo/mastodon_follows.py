"""Mastodon's follower and following lists on a demo instance.

``GET /api/v1/accounts/:id/followers`` and ``/following`` as Mastodon's
``FollowerAccountsController`` serves them: full Account entities, newest follow
first, paged by the *Follow's* id (``max_id``/``since_id``; ``min_id`` gives the page
just above), ``limit`` default 40 and at most 80, and a ``Link`` header whose ``next``
is present only when the page is full and ``prev`` whenever it is not empty.  An
account with ``hide_collections`` gets ``[]`` and no ``Link``.  The home instance knows
all of an account's follows; another instance only those involving its own users.
:class:`MastodonFollows` is mixed into :class:`scout_demo.mastodon_api.MastodonApp`.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Any

from scout_demo.follows import Follow
from scout_demo.model import Account, World
from scout_demo.service import Reply, Request

DEFAULT_LIMIT = 40
MAX_LIMIT = 80


class MastodonFollows:
    world: World
    base: str
    index: int

    if TYPE_CHECKING:  # provided by MastodonRender

        def account_json(self, acc: Account) -> dict[str, Any]: ...

    def ep_followers(self, req: Request) -> Reply:
        return self.follow_list(req, "followers")

    def ep_following(self, req: Request) -> Reply:
        return self.follow_list(req, "following")

    def follow_list(self, req: Request, direction: str) -> Reply:
        w, q = self.world, req.q
        try:
            acc_idx = w.account_by_id[self.index].get(int(req.params["id"]))
            limit = int(q["limit"]) if q.get("limit") else DEFAULT_LIMIT
            max_id = int(q["max_id"]) if q.get("max_id") else None
            since_id = int(q["since_id"]) if q.get("since_id") else None
            min_id = int(q["min_id"]) if q.get("min_id") else None
        except ValueError:
            return 400, {"error": "Invalid parameter"}, {}
        if acc_idx is None:
            return 404, {"error": "Record not found"}, {}
        limit = max(1, min(MAX_LIMIT, abs(limit)))
        g = w.graph
        if g is None or acc_idx in g.hidden:
            return 200, [], {}
        page = self.follow_page(
            self.known_edges(acc_idx, direction), limit, max_id, since_id, min_id
        )
        other = (lambda f: f.src) if direction == "followers" else (lambda f: f.dst)
        body = [self.account_json(w.accounts[other(f)]) for f in page]
        links = []
        path = f"{self.base}/api/v1/accounts/{req.params['id']}/{direction}"
        lim = f"limit={q['limit']}&" if q.get("limit") else ""
        if len(page) == limit:
            links.append(f'<{path}?{lim}max_id={page[-1].mastodon_id}>; rel="next"')
        if page:
            links.append(f'<{path}?{lim}since_id={page[0].mastodon_id}>; rel="prev"')
        return 200, body, {"Link": ", ".join(links)} if links else {}

    def known_edges(self, acc_idx: int, direction: str) -> list[Follow]:
        """Edges this instance knows, oldest Follow id first."""
        w = self.world
        assert w.graph is not None
        edges = w.graph.edges(acc_idx, direction, w.advanced)
        if w.accounts[acc_idx].instance != self.index:
            end = (lambda f: f.src) if direction == "followers" else (lambda f: f.dst)
            edges = [f for f in edges if w.accounts[end(f)].instance == self.index]
        return sorted(edges, key=lambda f: f.mastodon_id)

    @staticmethod
    def follow_page(
        edges: list[Follow],
        limit: int,
        max_id: int | None,
        since_id: int | None,
        min_id: int | None,
    ) -> list[Follow]:
        """Newest first below ``max_id`` and above ``since_id``; with ``min_id``, the
        ``limit`` edges just above it (still newest first)."""
        ids = [f.mastodon_id for f in edges]
        hi = bisect.bisect_left(ids, max_id) if max_id is not None else len(ids)
        lo = bisect.bisect_right(ids, since_id) if since_id is not None else 0
        if min_id is not None:
            lo = max(lo, bisect.bisect_right(ids, min_id))
            return list(reversed(edges[lo : min(hi, lo + limit)]))
        return list(reversed(edges[max(lo, hi - limit) : hi]))
