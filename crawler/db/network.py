"""The read model of the network export (``scout graph``): a campaign's accounts and
the follow and interaction edges between them, as plain rows.

``sql/network_members.sql`` says who belongs to the campaign's network; it is the
``members`` CTE of ``sql/network_nodes.sql`` and ``sql/network_edges.sql`` (constant
texts joined here; the campaign is a parameter). The graph measures have their own
read model (:mod:`crawler.db.graph`)."""

from __future__ import annotations

from typing import Any

from crawler.db.connection import Connection, sql


def _with_members(name: str) -> str:
    return f"WITH members AS ({sql('network_members')})\n{sql(name)}"


def graph_rows(db: Connection, campaign: str) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    """``(nodes, edges)`` of the campaign's network in one unit of work: nodes as dicts
    (columns of ``network_nodes.sql``, NULLs as None), edges as ``(src, dst, kind, n)``."""
    params = {"campaign": campaign}
    with db.session() as con:
        cur = con.execute(_with_members("network_nodes"), params)
        names = [d[0] for d in cur.description or []]
        nodes = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        edges = con.execute(_with_members("network_edges"), params).fetchall()
    return nodes, edges
