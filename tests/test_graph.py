"""Graph measures: PageRank and Louvain on small graphs with known answers, the campaign
graph written to ``account_graph`` and ``communities``, its use in the ranking, erasure
and the report.

The campaign world is built through the store's own loads: a Polish climate group and a
German union group (five posters each, following each other), one seed account per
group, a bridge between the groups, and followers of the seeds who never posted.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from markupsafe import escape

from crawler.app.export import COLUMNS, select_leads
from crawler.app.graph import measure, measure_campaign
from crawler.app.ranking import rank
from crawler.app.report import build_report
from crawler.core.config import Campaign
from crawler.core.items import FollowItem, InteractionItem, SeedListItem
from crawler.db.store import Store
from tests.support.items import T0, mastodon_account, mastodon_post

CAMPAIGN = "Klimat ECI"
HOSTILE = "<img src=x onerror=alert(1)>"
PL = [f"pl{i}" for i in range(5)]
DE = [f"de{i}" for i in range(5)]


def aid(user: str) -> str:
    return f"mastodon:https://eu.social/users/{user}"


def arrays(edges: list[tuple[int, int]], weights: list[float] | None = None) -> Any:
    src = np.array([e[0] for e in edges], dtype=np.int64)
    dst = np.array([e[1] for e in edges], dtype=np.int64)
    w = np.array(weights if weights is not None else [1.0] * len(edges), dtype=np.float64)
    return src, dst, w


# ------------------------------------------------------------------ known answers


def test_two_cliques_joined_by_one_edge_are_two_communities() -> None:
    a, b = range(0, 6), range(6, 12)
    edges = [(i, j) for group in (a, b) for i in group for j in group if i != j]
    edges.append((5, 6))
    result = measure(12, *arrays(edges))
    assert result.communities == 2
    assert len(set(result.community[:6])) == 1 and len(set(result.community[6:])) == 1
    assert result.community[0] != result.community[6]
    assert result.in_degree[6] == 6 and result.out_degree[5] == 6


def test_star_center_has_the_top_pagerank() -> None:
    edges = [(leaf, 0) for leaf in range(1, 9)]
    result = measure(9, *arrays(edges))
    assert int(np.argmax(result.pagerank)) == 0
    assert result.pagerank.sum() == pytest.approx(1.0)
    # the leaves are symmetric
    assert np.allclose(result.pagerank[1:], result.pagerank[1])


def test_cycle_pagerank_is_uniform() -> None:
    # closed form: on a directed cycle every node has PageRank 1/n
    result = measure(7, *arrays([(i, (i + 1) % 7) for i in range(7)]))
    assert np.allclose(result.pagerank, 1 / 7)


def test_weighted_pagerank_matches_networkx() -> None:
    rng = random.Random(3)
    pairs = {(rng.randrange(40), rng.randrange(40)) for _ in range(200)}
    edges = [(s, d) for s, d in sorted(pairs) if s != d]
    weights = [rng.choice([1.0, 1.0, 2.0, 2.58]) for _ in edges]
    result = measure(40, *arrays(edges, weights))
    g = nx.DiGraph()
    g.add_nodes_from(range(40))
    g.add_weighted_edges_from((s, d, w) for (s, d), w in zip(edges, weights, strict=True))
    expected = nx.pagerank(g, alpha=0.85, weight="weight", tol=1e-12, max_iter=1000)
    assert np.allclose(result.pagerank, [expected[i] for i in range(40)], atol=1e-6)


def test_tiny_groups_are_no_community_and_results_repeat() -> None:
    edges = [(i, j) for i in range(5) for j in range(5) if i != j] + [(5, 6)]
    first = measure(8, *arrays(edges))
    # the pair 5-6 and the isolated node 7 are below the minimum size
    assert list(first.community) == [0, 0, 0, 0, 0, -1, -1, -1]
    again = measure(8, *arrays(edges))
    assert np.array_equal(first.community, again.community)
    assert np.array_equal(first.pagerank, again.pagerank)
    assert measure(0, *arrays([])).communities == 0
    lonely = measure(3, *arrays([]))  # nodes without edges: uniform, no community
    assert np.allclose(lonely.pagerank, 1 / 3) and list(lonely.community) == [-1, -1, -1]


def test_communities_are_numbered_largest_first() -> None:
    small = [(i, j) for i in range(3) for j in range(3) if i != j]
    big = [(i, j) for i in range(3, 10) for j in range(3, 10) if i != j]
    result = measure(10, *arrays(small + big + [(0, 3)]))
    assert result.community[5] == 0 and result.community[0] == 1


# ------------------------------------------------------------------ the campaign graph


def make_campaign() -> Campaign:
    return Campaign.model_validate(
        {"campaign": {"name": CAMPAIGN, "hashtags": ["KlimatECI"], "keywords": []}}
    )


def build(store: Store) -> None:
    people: list[tuple[str, str, str | None, str, str, bool]] = [
        # user, role, org_type, language, country, bot
        *[(u, "individual", None, "pl", "PL", False) for u in PL],
        *[(u, "individual", None, "de", "DE", False) for u in DE],
        ("klimatpl", "organization", "ngo", "pl", "PL", False),
        ("umweltde", "organization", "union", "de", "DE", False),
        ("fan", "individual", None, "pl", "PL", False),
        ("botfan", "individual", None, "pl", "PL", True),
        ("orgfan", "organization", "association", "pl", "PL", False),
    ]
    store.upsert_accounts(
        [
            mastodon_account(u, display_name=HOSTILE if u == "pl1" else u.title(), is_bot=bot)
            for u, _, _, _, _, bot in people
        ]
    )
    posts = []
    for i, u in enumerate(PL + DE):
        tags = ["klimateci", "klimat"] if u in PL else ["klimateci", "gewerkschaft"]
        posts.append(mastodon_post(u, 1, text="Podpisz! #KlimatECI", hashtags=tags))
        if i % 5 == 0:
            posts.append(mastodon_post(u, 2, text="cats", hashtags=["caturday"]))
    store.upsert_posts(posts)
    follows = [
        FollowItem(aid(a), aid(b), "mastodon", T0)
        for group in (PL, DE)
        for a in group
        for b in group
        if a != b
    ]
    follows.append(FollowItem(aid("pl0"), aid("de0"), "mastodon", T0))  # the bridge
    seed_of = {"klimatpl": PL + ["fan", "botfan", "orgfan"], "umweltde": DE[:4]}
    seed_of["umweltde"] += ["pl4", "fan"]  # pl4 and fan follow both seeds
    for seed, followers in seed_of.items():
        follows += [FollowItem(aid(f), aid(seed), "mastodon", T0) for f in followers]
    store.add_follows(follows)
    # a reply inside the Polish group, in a campaign post
    store.add_interactions(
        [InteractionItem(aid("pl2"), aid("pl3"), "reply", mastodon_post("pl2", 1).post_id, T0)]
    )
    for seed in seed_of:
        store.finish_seed_list(
            SeedListItem(
                f"{aid(seed)}#followers", CAMPAIGN, f"{seed}@eu.social", aid(seed),
                "followers", "mastodon", "complete", T0 - timedelta(hours=1), 9,
            )
        )  # fmt: skip
    store.tag_campaign_posts(CAMPAIGN, make_campaign().matcher)
    store.write_classifications(
        pd.DataFrame(
            [
                {
                    "account_id": aid(u),
                    "role": role,
                    "org_type": org,
                    "language": lang,
                    "country": cc,
                    "role_confidence": 0.9,
                    "country_confidence": 0.9,
                    "class_reasons": "test world",
                    "is_bot": bot,
                }
                for u, role, org, lang, cc, bot in people
            ]
        )
    )
    store.write_account_campaign(
        CAMPAIGN,
        pd.DataFrame(
            [
                {
                    "account_id": aid(u),
                    "stance": "supports",
                    "stance_score": 0.9,
                    "campaign_posts": 1,
                    "last_post_at": T0 - timedelta(hours=1),
                }
                for u in PL + DE
            ]
        ),
    )


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "scout.duckdb")
    build(s)
    yield s
    s.close()


def graph_rows(store: Store) -> dict[str, dict[str, Any]]:
    df = store.lead_communities(CAMPAIGN)
    return {
        str(r["account_id"]).rsplit("/", 1)[1]: {str(k): v for k, v in r.items()}
        for r in df.to_dict("records")
    }


def modularity(store: Store, groups: list[set[str]]) -> float:
    """Newman modularity of ``groups`` (user names) on the campaign's undirected graph."""
    nodes, edges = store.campaign_graph(CAMPAIGN, 1.0, 1.0)
    names = [str(a).rsplit("/", 1)[1] for a in nodes.column("account_id").to_pylist()]
    g = nx.Graph()
    g.add_nodes_from(names)
    for e in edges.to_pylist():
        pair = (names[e["src"]], names[e["dst"]])
        w = e["weight"] + (g.edges[pair]["weight"] if g.has_edge(*pair) else 0.0)
        g.add_edge(*pair, weight=w)
    return float(nx.community.modularity(g, groups, weight="weight"))


def test_campaign_graph_tables(store: Store) -> None:
    described = measure_campaign(store, make_campaign())
    # three communities: the Polish posters; the German posters with the seed they
    # follow; the Polish seed with the followers only it gathers (a seed's audience:
    # they reach the graph only through it)
    assert described == 3
    rows = graph_rows(store)
    # posters, seeds and the seeds' followers; nobody else
    assert set(rows) == {*PL, *DE, "klimatpl", "umweltde", "fan", "botfan", "orgfan"}
    pl_community = rows["pl2"]["community"]
    de_community = rows["de2"]["community"]
    audience = rows["klimatpl"]["community"]
    assert {rows[u]["community"] for u in PL} == {pl_community}
    assert {rows[u]["community"] for u in [*DE, "umweltde"]} == {de_community}
    assert {rows[u]["community"] for u in ("fan", "botfan", "orgfan")} == {audience}
    assert len({pl_community, de_community, audience}) == 3
    # ... which is the modularity optimum: the seed and its audience among the Polish
    # posters would score lower
    found = [set(PL), {*DE, "umweltde"}, {"klimatpl", "fan", "botfan", "orgfan"}]
    merged = [set(PL) | {"klimatpl", "fan", "botfan", "orgfan"}, {*DE, "umweltde"}]
    assert modularity(store, found) > modularity(store, merged)
    assert list(rows["pl4"]["seeds_followed"]) == sorted([aid("klimatpl"), aid("umweltde")])
    assert list(rows["pl4"]["seeds_followed_handles"]) == [
        "klimatpl@eu.social",
        "umweltde@eu.social",
    ]
    assert list(rows["de4"]["seeds_followed"]) == []
    # the seed followed by a group is its most central account
    assert max(rows, key=lambda u: rows[u]["pagerank"]) in ("klimatpl", "umweltde")
    communities = store.community_overview(CAMPAIGN).set_index("community")
    pl = communities.loc[pl_community]
    assert list(pl["languages"])[0] == "pl" and list(pl["countries"]) == ["PL"]
    assert list(pl["top_hashtags"])[:2] == ["klimat", "klimateci"]
    assert pl["label"] == "pl · PL · #klimat"
    assert pl["central_handles"][0] == "pl3@eu.social"  # the one the others reply to
    # the seed a community follows is its most central member
    assert communities.loc[de_community]["central_handles"][0] == "umweltde@eu.social"
    assert communities.loc[audience]["central_handles"][0] == "klimatpl@eu.social"
    assert communities.loc[audience]["label"] == "pl · PL"  # its members never posted
    assert int(pl["size"]) == sum(1 for r in rows.values() if r["community"] == pl_community)
    # a rerun replaces, never duplicates
    assert measure_campaign(store, make_campaign()) == 3
    assert store.count("account_graph") == len(rows)


def test_ranking_uses_seeds_and_communities(store: Store) -> None:
    measure_campaign(store, make_campaign())
    leads = rank(store, make_campaign(), now=T0)
    got = {str(r["handle"]).split("@")[0]: r for r in leads.to_dict("records")}
    # a seed follower who never posted is a volunteer, an organisation its own type
    # (tests/test_seed_leads.py); a bot is no lead
    assert got["fan"]["lead_type"] == "volunteer"
    assert "no campaign post yet" in got["fan"]["reasons"]
    assert got["orgfan"]["lead_type"] == "intermediary"
    assert "follows the campaign seed klimatpl@eu.social" in got["orgfan"]["reasons"]
    assert "botfan" not in got
    # following two seeds ranks higher than following one, all else equal
    assert got["pl4"]["score"] > got["pl3"]["score"]
    assert got["pl4"]["centrality"] > got["pl3"]["centrality"]
    # following a seed and posting beats following a seed only
    assert got["pl3"]["score"] > got["fan"]["score"]
    reasons = got["pl4"]["reasons"]
    assert "follows 2 campaign seeds: klimatpl@eu.social, umweltde@eu.social" in reasons
    assert "follows the campaign seed klimatpl@eu.social" in got["pl3"]["reasons"]
    community = graph_rows(store)["pl4"]["community"]
    assert f'community {community} "pl · PL · #klimat" (' in reasons
    assert "x the average account of the campaign graph" in reasons
    # the export carries the community
    exported = select_leads(store, CAMPAIGN)
    assert list(exported.columns) == list(COLUMNS)
    row = exported[exported["handle"] == "pl4@eu.social"].iloc[0]
    assert row["community"] == community
    assert row["community_label"] == "pl · PL · #klimat"


def test_without_a_graph_the_ranking_falls_back(store: Store) -> None:
    leads = rank(store, make_campaign(), now=T0)
    handles = set(leads["handle"])
    assert "fan@eu.social" not in handles  # seed followers need the graph
    assert not leads["reasons"].str.contains("campaign seed").any()
    assert select_leads(store, CAMPAIGN)["community"].isna().all()


def test_forget_removes_graph_rows(store: Store) -> None:
    measure_campaign(store, make_campaign())
    assert aid("klimatpl") in set(store.lead_communities(CAMPAIGN)["account_id"])
    store.forget([aid("pl4"), aid("klimatpl")])
    left = set(store.lead_communities(CAMPAIGN)["account_id"])
    assert aid("pl4") not in left and aid("klimatpl") not in left
    for central in store.community_overview(CAMPAIGN)["central_handles"]:
        assert "klimatpl@eu.social" not in list(central)
    # the next computation no longer sees the erased seed
    measure_campaign(store, make_campaign())
    assert list(graph_rows(store)["pl3"]["seeds_followed"]) == []


def test_report_has_the_communities_section_escaped(store: Store, tmp_path: Path) -> None:
    measure_campaign(store, make_campaign())
    rank(store, make_campaign(), now=T0)
    page = build_report(store, make_campaign(), tmp_path / "r.html", now=T0).read_text("utf-8")
    start = page.index('<section id="communities">')
    part = page[start : page.index("</section>", start)]
    assert "pl · PL · #klimat" in part and "de · DE · #gewerkschaft" in part
    assert "<span>#gewerkschaft</span>" in part
    assert "klimatpl@eu.social" in part  # the most central member
    assert str(escape(HOSTILE)) in part  # pl1, one of the community's leads
    assert HOSTILE not in page
    assert "<svg" in part  # the communities chart


def test_report_without_communities(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.duckdb") as s:
        assert measure_campaign(s, make_campaign()) == 0
        page = build_report(s, make_campaign(), tmp_path / "r.html", now=T0).read_text("utf-8")
    assert "No communities yet" in page
