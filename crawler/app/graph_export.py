"""The network export (``scout graph``): a campaign's accounts and the follow and
interaction edges between them, as GraphML (network tools, networkx, igraph) or GEXF
(Gephi), chosen by the ``--out`` suffix.

Nodes are the campaign's accounts (``sql/network_members.sql``: posters of its posts, its
leads, its seeds, their followers and followings, starter-pack members), keyed by
``account_id``, with the attributes ``label`` (the handle), ``handle``, ``platform``,
``display_name``, ``url``, ``role``, ``org_type``, ``country``, ``language``, ``scope``,
``bot``, ``seed``, ``lead_type``, ``score``, ``rank``, ``community`` and ``pagerank``; an
attribute the database does not know is left out (GraphML and GEXF have no null), so
``community`` and ``pagerank`` appear once the graph step has run.

The graph is directed and simple (one edge per ordered pair, as Gephi and most
measures expect): ``weight`` is the follow edge (1) plus the number of posts with each
interaction (mention, reply, repost, quote) from source to target; ``kind`` lists what
the edge is made of (``follow,mention``), and one integer attribute per kind gives its
share of the weight.

Every text attribute is made safe like the lead exports: control characters (which XML
cannot hold) removed and spreadsheet formulas neutralised (a leading ``'``); the XML
writer escapes ``<``, ``&`` and quotes. The file is written atomically.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx

from crawler.app.export import neutralize
from crawler.core.errors import UserError
from crawler.core.files import atomic_path
from crawler.core.terminal import plain
from crawler.core.vocab import INTERACTION_KINDS
from crawler.db.network import graph_rows
from crawler.db.store import Store

EDGE_KINDS: tuple[str, ...] = ("follow", *INTERACTION_KINDS)
FORMATS: dict[str, Callable[[nx.DiGraph, Path], None]] = {
    ".graphml": lambda g, path: nx.write_graphml(g, path, encoding="utf-8"),
    ".gexf": lambda g, path: nx.write_gexf(g, path, encoding="utf-8"),
}
_TEXT = ("handle", "display_name", "url", "role", "org_type", "country", "language")
_NODE = (*_TEXT, "scope", "platform", "lead_type")
# what XML 1.0 cannot hold even escaped, beyond the controls plain() removes
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


class GraphExportError(UserError):
    """A graph file that cannot be written (one line for the user)."""


def graph_format(out: Path) -> str:
    """The ``--out`` suffix if it is a graph format, else a :class:`GraphExportError`."""
    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        shown = suffix or "(none)"
        raise GraphExportError(
            f"{out}: unknown graph format {shown}: use {', '.join(sorted(FORMATS))}"
        )
    return suffix


def safe_text(value: object) -> str:
    """A string from the network as a graph attribute: no control characters, no
    formula a spreadsheet would run."""
    return str(neutralize(_NOT_XML.sub("", plain(value))))


def build_graph(store: Store, campaign: str) -> nx.DiGraph:
    """The campaign's network as a directed graph (see the module docstring)."""
    nodes, edges = graph_rows(store, campaign)
    graph = nx.DiGraph(name=safe_text(campaign))
    for row in nodes:
        attrs: dict[str, Any] = {}
        for key in _NODE:
            if row.get(key) not in (None, ""):
                attrs[key] = safe_text(row[key])
        attrs["label"] = attrs.get("handle", safe_text(row["account_id"]))
        attrs["bot"] = bool(row["bot"])
        attrs["seed"] = bool(row["seed"])
        for key, kind in (("score", float), ("pagerank", float), ("rank", int), ("community", int)):
            if row.get(key) is not None:
                attrs[key] = kind(row[key])
        graph.add_node(safe_text(row["account_id"]), **attrs)
    for src, dst, kind, n in edges:
        u, v = safe_text(src), safe_text(dst)
        if not graph.has_edge(u, v):
            graph.add_edge(u, v, weight=0, kind="", **dict.fromkeys(EDGE_KINDS, 0))
        data = graph.edges[u, v]
        data[kind] = data.get(kind, 0) + int(n)
        data["weight"] += int(n)
    for _u, _v, data in graph.edges(data=True):
        data["kind"] = ",".join(k for k in EDGE_KINDS if data.get(k))
    return graph


def write_graph(graph: nx.DiGraph, out: Path) -> Path:
    """Write ``graph`` to ``out`` (GraphML or GEXF by suffix), atomically."""
    out = Path(out)
    writer = FORMATS[graph_format(out)]
    if not out.parent.is_dir():
        raise GraphExportError(f"{out}: folder {out.parent} does not exist")
    try:
        with atomic_path(out) as tmp:
            writer(graph, tmp)
    except OSError as exc:
        raise GraphExportError(f"{out}: cannot write ({exc.strerror or exc})") from None
    return out


def export_graph(store: Store, campaign: str, out: Path) -> tuple[Path, int, int]:
    """Build and write the campaign's network; ``(path, nodes, edges)``."""
    graph_format(out)
    graph = build_graph(store, campaign)
    return write_graph(graph, out), graph.number_of_nodes(), graph.number_of_edges()
