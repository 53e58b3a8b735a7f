"""The campaign graph in and out of DuckDB: edges as numbered Arrow columns for the graph
library, measures written back as one Arrow batch, communities described in SQL.

``campaign_graph`` numbers the campaign's accounts 0..n-1 (by account id) and returns the
nodes and the weighted edges between them (``sql/graph_members.sql``,
``graph_edges.sql``, ``graph_nodes.sql``); ``replace_account_graph`` replaces the
campaign's ``account_graph`` rows (adding the seed accounts each account follows) and
its ``communities`` (``account_graph_write.sql``, ``communities.sql``) in one
transaction. Erasure of these rows lives in :mod:`crawler.db.erasure`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pyarrow as pa

from crawler.db.connection import Connection, sql

GRAPH_BATCH_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("pagerank", pa.float64()),
        ("community", pa.int32()),
        ("in_degree", pa.int64()),
        ("out_degree", pa.int64()),
    ]
)

_INDEXED_EDGES = (
    "SELECT s.idx AS src, d.idx AS dst, e.weight FROM _graph_edges e"
    " JOIN _graph_nodes s ON s.account_id = e.src JOIN _graph_nodes d ON d.account_id = e.dst"
)
_TEMP = ("_graph_members", "_graph_edges", "_graph_nodes")


class Graph(Connection):
    def campaign_graph(
        self, campaign: str, follow_weight: float, interaction_weight: float
    ) -> tuple[pa.Table, pa.Table]:
        """(nodes: account_id, idx ordered by idx; edges: src, dst node numbers and
        weight, each directed pair once) of the campaign's graph."""
        params = {
            "campaign": campaign,
            "follow_weight": follow_weight,
            "interaction_weight": interaction_weight,
        }
        with self.session() as con:
            try:
                con.execute(sql("graph_members"), {"campaign": campaign})
                con.execute(sql("graph_edges"), params)
                con.execute(sql("graph_nodes"))
                node_table = con.sql(
                    "SELECT account_id, idx FROM _graph_nodes ORDER BY idx"
                ).to_arrow_table()
                edge_table = con.sql(_INDEXED_EDGES).to_arrow_table()
            finally:
                for name in _TEMP:
                    con.execute(f"DROP TABLE IF EXISTS {name}")
        return node_table, edge_table

    def replace_account_graph(
        self,
        campaign: str,
        batch: pa.Table,
        *,
        central: int,
        hashtags: int,
        values: int,
        campaign_tags: Sequence[str] = (),
    ) -> int:
        """Replace the campaign's ``account_graph`` rows with ``batch`` (the columns of
        :data:`GRAPH_BATCH_SCHEMA`) and describe its communities (``campaign_tags``: the
        campaign's own hashtags, left out of the labels); returns how many communities
        were described."""
        batch = batch.select(GRAPH_BATCH_SCHEMA.names).cast(GRAPH_BATCH_SCHEMA)
        describe = {"campaign": campaign, "central": central, "hashtags": hashtags}
        describe["values"] = values
        describe["campaign_tags"] = [t.lower() for t in campaign_tags]
        with self.transaction() as con, self._registered("_graph_batch", batch):
            con.execute("DELETE FROM account_graph WHERE campaign = ?", [campaign])
            con.execute("DELETE FROM communities WHERE campaign = ?", [campaign])
            con.execute(sql("account_graph_write"), {"campaign": campaign})
            con.execute(sql("communities"), describe)
            rows = con.execute(
                "SELECT count(*) FROM communities WHERE campaign = ?", [campaign]
            ).fetchall()
        return int(rows[0][0]) if rows else 0

    def lead_communities(self, campaign: str) -> pd.DataFrame:
        """Per account in the campaign's graph: community, community_label,
        community_size, pagerank, seeds_followed (ids) and seeds_followed_handles."""
        with self.session() as con:
            return con.execute(sql("lead_communities"), {"campaign": campaign}).df()

    def community_overview(self, campaign: str) -> pd.DataFrame:
        """The campaign's communities, largest first: community, size, languages,
        countries, top_hashtags, label and central_handles (most central first)."""
        with self.session() as con:
            return con.execute(sql("community_overview"), {"campaign": campaign}).df()
