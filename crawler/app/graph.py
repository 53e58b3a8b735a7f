"""Graph measures per campaign: PageRank and communities over follows and interactions.

``measure_campaign(store, campaign)`` reads the campaign's weighted directed graph from
the store (``crawler/db/sql/graph_nodes.sql`` and ``graph_edges.sql``: current follow
edges around the campaign's seeds and starter packs, plus mentions, replies, reposts and
quotes among the accounts that posted for it) as Arrow columns, computes the measures on a
scipy sparse matrix (no Python object per edge: about 21 s of one core for a million
accounts and ten million edges, see ``bench/graph_measures.py``) and replaces the
campaign's ``account_graph`` and ``communities`` rows. :func:`measure` is the pure part
(integer arrays in, arrays out) that ``bench/graph_measures.py`` times.

Measures
    pagerank     weighted PageRank (damping 0.85) on the directed graph: a follow points
                 from the follower to the followed, an interaction from its author to
                 the account addressed, so attention flows to whom people listen to.
                 Power iteration on the sparse matrix until the scores move less than
                 :data:`PAGERANK_TOLERANCE` in total; accounts pointing nowhere spread
                 their score evenly (as networkx and igraph do).
    community    Louvain communities maximising modularity (scikit-network) on the
                 undirected graph (the two directions of a pair summed). Deterministic:
                 nodes are visited in order, no random choice is made, so a rerun on the
                 same graph gives the same answer. Communities are numbered by size,
                 largest first (0, 1, ...; ties by the smallest account). Communities of
                 fewer than :data:`MIN_COMMUNITY_SIZE` members (isolated pairs,
                 singletons) are not communities: their members get ``community`` NULL
                 and the ``communities`` table has no row for them.
    in_degree / out_degree  distinct accounts pointing to / pointed at by the account.
    seeds_followed  the campaign's seed accounts the account follows (ids).

Each community is described in SQL (``communities.sql``): size, languages and
countries of its members (most frequent first), the hashtags most of its members use in
their posts, its most central members by PageRank, and a label such as
``pl · PL · #klimat #strajk`` (the label's hashtags leave out the campaign's own, which
every community shares, unless there is no other used by two members).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from scipy import sparse
from sknetwork.clustering import Louvain

from crawler.core.config import Campaign
from crawler.db.store import Store

DAMPING = 0.85
# total (L1) change of the scores between two iterations at which PageRank stops: as
# close as igraph's exact solver (PRPACK) gets, 61 iterations on the benchmark graph
PAGERANK_TOLERANCE = 1e-10
PAGERANK_MAX_ITERATIONS = 1_000
MIN_COMMUNITY_SIZE = 3
FOLLOW_WEIGHT = 1.0  # one interaction weighs as much as one follow; repeats count log2(1+n)
INTERACTION_WEIGHT = 1.0
CENTRAL_MEMBERS = 5
TOP_HASHTAGS = 5
TOP_VALUES = 3  # languages and countries kept per community

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Measures:
    """Per node (index = node number): PageRank, community (-1: none), degrees."""

    pagerank: FloatArray
    community: IntArray
    in_degree: IntArray
    out_degree: IntArray

    @property
    def communities(self) -> int:
        return int(self.community.max()) + 1 if len(self.community) else 0


def pagerank(adjacency: sparse.csr_matrix, damping: float = DAMPING) -> FloatArray:
    """Weighted PageRank of the directed graph whose ``adjacency[i, j]`` is the weight of
    the edge from ``i`` to ``j``: the scores sum to 1."""
    n = adjacency.shape[0]
    out_weight = np.asarray(adjacency.sum(axis=1), dtype=np.float64).ravel()
    dangling = out_weight == 0
    inverse = np.divide(1.0, out_weight, out=np.zeros(n), where=~dangling)
    into = adjacency.T.tocsr()  # row j: the weighted edges pointing to j
    scores = np.full(n, 1.0 / n)
    for _ in range(PAGERANK_MAX_ITERATIONS):
        # the teleport share and the dangling accounts' score go to everyone evenly
        spread = (damping * scores[dangling].sum() + 1.0 - damping) / n
        new = damping * (into @ (scores * inverse)) + spread
        change = float(np.abs(new - scores).sum())
        scores = new
        if change < PAGERANK_TOLERANCE:
            break
    return np.asarray(scores / scores.sum(), dtype=np.float64)


def louvain(undirected: sparse.csr_matrix) -> IntArray:
    """Louvain communities (Newman modularity) of the symmetric weighted ``undirected``."""
    if undirected.nnz == 0:  # no edge: every account is alone
        return np.arange(undirected.shape[0], dtype=np.int64)
    method = Louvain(modularity="newman", return_probs=False, return_aggregate=False)
    return np.asarray(method.fit_predict(undirected), dtype=np.int64)


def renumber(membership: IntArray, min_size: int) -> IntArray:
    """Communities by size, largest first (ties: the one with the smaller first node);
    members of communities smaller than ``min_size`` get -1."""
    if not len(membership):
        return membership
    sizes = np.bincount(membership)
    first = np.full(len(sizes), len(membership), dtype=np.int64)
    np.minimum.at(first, membership, np.arange(len(membership)))
    order = np.lexsort((first, -sizes))
    new_id = np.full(len(sizes), -1, dtype=np.int64)
    kept = order[sizes[order] >= min_size]
    new_id[kept] = np.arange(len(kept))
    return new_id[membership]


def measure(
    n: int,
    src: IntArray,
    dst: IntArray,
    weight: FloatArray,
    *,
    min_size: int = MIN_COMMUNITY_SIZE,
) -> Measures:
    """PageRank, communities and degrees of the directed graph of ``n`` nodes whose edge
    ``i`` runs from ``src[i]`` to ``dst[i]`` with ``weight[i]`` (pairs given once)."""
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Measures(np.zeros(0), empty, empty, empty)
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    adjacency = sparse.csr_matrix((weight, (src, dst)), shape=(n, n))
    ranks = pagerank(adjacency)
    in_degree = np.bincount(dst, minlength=n).astype(np.int64)
    out_degree = np.bincount(src, minlength=n).astype(np.int64)
    # each pair once, both directions summed
    membership = louvain((adjacency + adjacency.T).tocsr())
    return Measures(ranks, renumber(membership, min_size), in_degree, out_degree)


def measure_campaign(store: Store, campaign: Campaign) -> int:
    """Compute the campaign's graph measures and replace its ``account_graph`` and
    ``communities`` rows; returns how many communities were described."""
    name = campaign.name
    nodes, edges = store.campaign_graph(name, FOLLOW_WEIGHT, INTERACTION_WEIGHT)
    n = nodes.num_rows
    result = measure(
        n,
        edges.column("src").to_numpy().astype(np.int64),
        edges.column("dst").to_numpy().astype(np.int64),
        edges.column("weight").to_numpy().astype(np.float64),
    )
    community = pa.array(result.community, mask=result.community < 0, type=pa.int32())
    table = pa.table(
        {
            "account_id": nodes.column("account_id"),
            "pagerank": pa.array(result.pagerank, type=pa.float64()),
            "community": community,
            "in_degree": pa.array(result.in_degree, type=pa.int64()),
            "out_degree": pa.array(result.out_degree, type=pa.int64()),
        }
    )
    return store.replace_account_graph(
        name,
        table,
        central=CENTRAL_MEMBERS,
        hashtags=TOP_HASHTAGS,
        values=TOP_VALUES,
        campaign_tags=[t.lstrip("#").lower() for t in campaign.campaign.hashtags],
    )
