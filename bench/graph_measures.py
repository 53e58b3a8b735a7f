"""Graph measures: the campaign graph step (scipy PageRank + Louvain) against networkx.

    python -m bench.graph_measures [--scale 1.0] [--baseline-edges 2000000] [--seed 7]
                                   [--breakdown]

A synthetic social graph of ``scale`` x 1,000,000 accounts and 10,000,000 follow and
interaction edges is generated with numpy (not timed): accounts live in communities of
about a thousand (85 % of edges stay inside), activity and popularity are heavy-tailed,
one edge in ten carries an interaction weight. The timed step is
:func:`crawler.app.graph.measure` (sparse matrix build, weighted PageRank, degrees, both
directions summed, Louvain, renumbering), run on one core. ``--breakdown`` then times
its stages once more, one by one (not counted in the ratio).

Baseline in the same run: ``networkx.pagerank`` (weighted) on the same graph. networkx
needs minutes and gigabytes at full scale, so when the graph has more edges than
``--baseline-edges`` it runs on the subgraph of the first edges (all nodes kept) and its
time is extrapolated linearly in edges (networkx PageRank is linear in edges per
iteration); the output says so. Target: the full step under 30 s on one core.

Both sides are timed as wall time and as CPU time of this process (``time.process_time``,
pinned to one core): on a shared, busy machine the CPU time is what one core spends, and
the ratio uses it.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import numpy.typing as npt

NODES = 1_000_000
EDGES = 10_000_000
COMMUNITY_SIZE = 1_000
INSIDE = 0.85
TARGET_SECONDS = 30.0

IntArray = npt.NDArray[np.int64]


def synthetic_graph(
    n: int, m: int, seed: int = 7
) -> tuple[IntArray, IntArray, npt.NDArray[np.float64]]:
    """(src, dst, weight) of about ``m`` distinct directed edges over ``n`` nodes."""
    rng = np.random.default_rng(seed)
    k = max(1, n // COMMUNITY_SIZE)
    size = n // k
    perm = rng.permutation(n)  # rank -> node, so popularity is not tied to node ids
    draw = int(m * 1.1)  # room for the duplicates and loops removed below
    src = perm[(n * rng.random(draw) ** 2.0).astype(np.int64).clip(0, n - 1)]
    community = np.minimum(src // size, k - 1)
    inside = rng.random(draw) < INSIDE
    local = community * size + (size * rng.random(draw) ** 2.5).astype(np.int64)
    popular = perm[(n * rng.random(draw) ** 3.0).astype(np.int64).clip(0, n - 1)]
    dst = np.where(inside, local.clip(0, n - 1), popular)
    keep = src != dst
    keys = np.unique(src[keep] * n + dst[keep])[:m]
    rng.shuffle(keys)
    src, dst = keys // n, keys % n
    weight = np.where(
        rng.random(len(src)) < 0.1, 1 + np.log2(1 + rng.integers(1, 8, len(src))), 1.0
    )
    return src, dst, weight.astype(np.float64)


def time_step(
    n: int, src: IntArray, dst: IntArray, weight: npt.NDArray[np.float64]
) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, communities found) of the graph step."""
    from crawler.app.graph import measure

    start, cpu = time.perf_counter(), time.process_time()
    result = measure(n, src, dst, weight)
    return time.perf_counter() - start, time.process_time() - cpu, result.communities


def time_stages(
    n: int, src: IntArray, dst: IntArray, weight: npt.NDArray[np.float64]
) -> list[tuple[str, float]]:
    """CPU seconds of each stage of :func:`crawler.app.graph.measure`, run one by one."""
    from scipy import sparse

    from crawler.app.graph import louvain, pagerank, renumber

    stages: list[tuple[str, float]] = []

    def timed(name: str, cpu: float) -> None:
        stages.append((name, time.process_time() - cpu))

    cpu = time.process_time()
    adjacency = sparse.csr_matrix((weight, (src, dst)), shape=(n, n))
    timed("sparse matrix from the edge arrays", cpu)
    cpu = time.process_time()
    pagerank(adjacency)
    timed("weighted PageRank (power iteration)", cpu)
    cpu = time.process_time()
    np.bincount(dst, minlength=n)
    np.bincount(src, minlength=n)
    timed("in and out degrees", cpu)
    cpu = time.process_time()
    undirected = (adjacency + adjacency.T).tocsr()
    timed("both directions summed (A + A.T)", cpu)
    cpu = time.process_time()
    membership = louvain(undirected)
    timed("Louvain communities", cpu)
    cpu = time.process_time()
    renumber(membership, 3)
    timed("renumbering by size", cpu)
    return stages


def time_networkx(
    n: int, src: IntArray, dst: IntArray, weight: npt.NDArray[np.float64]
) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of networkx PageRank (building its graph not counted)."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), weight.tolist(), strict=True))
    start, cpu = time.perf_counter(), time.process_time()
    nx.pagerank(g, alpha=0.85, weight="weight")
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of 1M nodes / 10M edges")
    parser.add_argument("--baseline-edges", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--breakdown", action="store_true", help="time the step's stages once more, one by one"
    )
    args = parser.parse_args()
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    except (AttributeError, OSError):
        pass
    n, m = max(10, int(NODES * args.scale)), max(20, int(EDGES * args.scale))
    start = time.perf_counter()
    src, dst, weight = synthetic_graph(n, m, args.seed)
    took = time.perf_counter() - start
    print(f"graph: {n:,} nodes, {len(src):,} edges (generated in {took:.1f} s)")

    wall, seconds, communities = time_step(n, src, dst, weight)
    print(
        f"graph step (scipy PageRank + Louvain): {seconds:.1f} s CPU ({wall:.1f} s wall), "
        f"{communities:,} communities of 3 or more"
    )

    if args.breakdown:
        for name, stage_seconds in time_stages(n, src, dst, weight):
            print(f"  {name}: {stage_seconds:.1f} s CPU")

    sub = min(len(src), args.baseline_edges)
    nx_wall, nx_seconds = time_networkx(n, src[:sub], dst[:sub], weight[:sub])
    if sub < len(src):
        estimate = nx_seconds * len(src) / sub
        print(
            f"networkx PageRank alone: {nx_seconds:.1f} s CPU ({nx_wall:.1f} s wall) on the "
            f"first {sub:,} edges, extrapolated linearly to {estimate:.1f} s CPU for all "
            f"{len(src):,} (the full graph was not run: minutes and gigabytes)"
        )
    else:
        estimate = nx_seconds
        print(
            f"networkx PageRank alone: {nx_seconds:.1f} s CPU ({nx_wall:.1f} s wall) "
            "on the same graph"
        )
    print(f"ratio networkx PageRank / graph step (CPU): {estimate / seconds:.1f}x")
    if args.scale >= 1.0:
        verdict = "met" if seconds < TARGET_SECONDS else "NOT met"
        print(f"target under {TARGET_SECONDS:.0f} s of one core at full scale: {verdict}")
    else:
        print(f"reduced scale {args.scale}: the {TARGET_SECONDS:.0f} s target is for --scale 1")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"(machine load average during the run: {load:.1f})")


if __name__ == "__main__":
    main()
