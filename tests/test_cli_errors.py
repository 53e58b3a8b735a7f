"""User errors end with exit 2 and one line on stderr, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import one_line_error, scout


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[campaign\nname='x'", "not valid TOML"),
        ("[mastodon]\ninstances=['https://a.example']", "campaign: missing section [campaign]"),
        ("[campaign]\nhashtags=['a']", "campaign.name: missing"),
        ("[campaign]\nname='x'\nhashtags=['a']\ncountries=['DE','XX']", "campaign.countries[1]"),
        ("[campaign]\nname='x'\nhashtags=['a b']", "campaign.hashtags[0]: not a hashtag"),
        ("[campaign]\nname='x'", "give at least one hashtag or keyword"),
        (
            "[campaign]\nname='x'\nhashtags=['a']\n[mastodon]\ninstances=['ftp://a']",
            "mastodon.instances[0]: not an http(s) URL",
        ),
        ("[campaign]\nname='x'\nhashtags=['a']\nsince='yesterday'", "campaign.since"),
        ("[campaign]\nname='x'\nhashtags=['a']\n[privacy]\nretention_days=0", "retention_days"),
        ("[campaign]\nname='x'\nhashtags=['a']\n[bluesky]\nservce='http://x'", "bluesky.servce"),
    ],
)
def test_bad_campaign_file_is_one_line_exit_2(tmp_path: Path, body: str, expected: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(body)
    line = one_line_error(scout("crawl", str(f), "--db", str(tmp_path / "x.duckdb"), cwd=tmp_path))
    assert "bad.toml" in line
    assert expected in line


def test_missing_campaign_file(tmp_path: Path) -> None:
    line = one_line_error(scout("leads", "nope.toml", cwd=tmp_path))
    assert "nope.toml: no such campaign file" in line


def test_leads_before_any_crawl(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[campaign]\nname='x'\nhashtags=['a']\n")
    line = one_line_error(
        scout("leads", str(f), "--db", str(tmp_path / "none.duckdb"), cwd=tmp_path)
    )
    assert "no database yet" in line


def test_bad_lead_type_and_export_suffix(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[campaign]\nname='x'\nhashtags=['a']\n")
    db = tmp_path / "s.duckdb"
    from crawler.db.store import Store

    Store(db).close()
    line = one_line_error(scout("leads", str(f), "--db", str(db), "--type", "fan", cwd=tmp_path))
    assert "--type" in line
    assert "'fan' is not one of 'volunteer', 'influencer', 'intermediary', 'sponsor'" in line
    line = one_line_error(
        scout("export", str(f), "--db", str(db), "--out", str(tmp_path / "x.pdf"), cwd=tmp_path)
    )
    assert "x.pdf" in line or ".pdf" in line


def test_not_a_database(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[campaign]\nname='x'\nhashtags=['a']\n")
    db = tmp_path / "junk.duckdb"
    db.write_text("this is not a database")
    line = one_line_error(scout("leads", str(f), "--db", str(db), cwd=tmp_path))
    assert "junk.duckdb" in line


def test_classify_rejects_bad_jsonl(tmp_path: Path) -> None:
    f = tmp_path / "p.jsonl"
    f.write_text('{"platform": "mastodon", "handle": "a@b", "bio": "x"}\n{oops\n')
    line = one_line_error(scout("classify", str(f), cwd=tmp_path))
    assert "p.jsonl:2" in line


def test_usage_error_exit_2(tmp_path: Path) -> None:
    line = one_line_error(scout("crawl", cwd=tmp_path))
    assert line == "scout: error: Missing argument 'campaign'."
    line = one_line_error(scout("leads", "c.toml", "--bogus", cwd=tmp_path))
    assert line == "scout: error: No such option: --bogus"


def test_forget_needs_an_account(tmp_path: Path) -> None:
    line = one_line_error(scout("forget", " ", "--db", str(tmp_path / "f.duckdb"), cwd=tmp_path))
    assert "give an account id, handle or profile URL" in line


def test_unusable_out_and_db_paths_are_exit_2(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[campaign]\nname='x'\nhashtags=['a']\n")
    db = tmp_path / "s.duckdb"
    from crawler.db.store import Store

    Store(db).close()
    line = one_line_error(
        scout("export", str(f), "--db", str(db), "--out", "/proc/x.csv", cwd=tmp_path)
    )
    assert (
        line == "scout: error: --out /proc/x.csv: cannot write in /proc (No such file or directory)"
    )
    line = one_line_error(scout("crawl", str(f), "--db", str(f) + "/x.duckdb", cwd=tmp_path))
    assert "is not a folder" in line
    line = one_line_error(scout("leads", str(f), "--db", str(db), "--country", "UK", cwd=tmp_path))
    assert line.endswith("not an EU member state code: 'UK'")


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ('"posts": "Heute in Leipzig"', "p.jsonl:2: 'posts' must be a list of texts, not str"),
        ('"posts": 42', "p.jsonl:2: 'posts' must be a list of texts, not int"),
        ('"posts": ["ok", {"text": "x"}]', "'posts' must be a list of texts, found {'text': 'x'}"),
        ('"fields": {"Web": "x.de"}', "'fields' must be a list of objects, not dict"),
        ('"sites": ["luft.de"]', "'sites' must be a list of objects, found 'luft.de'"),
        ('"followers_count": "many"', "'followers_count' must be a number, found 'many'"),
    ],
)
def test_classify_names_the_line_and_key_of_a_mistyped_value(record: str, expected: str) -> None:
    """A value of the wrong kind is a one-line error naming line and key, before any
    classification (a string of posts was read letter by letter, a number crashed)."""
    from crawler.app.profiles import read_profiles
    from crawler.core.errors import UserError

    good = '{"platform": "mastodon", "handle": "a@b", "posts": ["x", null], "followers_count": 3}'
    lines = [good, '{"handle": "a@b", ' + record + "}"]
    assert len(read_profiles(lines[:1], "p.jsonl")) == 1
    with pytest.raises(UserError) as err:
        read_profiles(lines, "p.jsonl")
    assert expected in str(err.value)


def test_lead_lists_read_a_campaign_on_a_private_host_the_crawl_refuses(tmp_path: Path) -> None:
    # the demo's campaign file names its servers on 127.0.0.1: an analyst lists the leads
    # of such a campaign without SCOUT_ALLOWED_HOSTS, which only says what may be fetched
    f = tmp_path / "c.toml"
    f.write_text(
        "[campaign]\nname='x'\nhashtags=['a']\n[mastodon]\ninstances=['http://127.0.0.1:8731']\n"
    )
    db = tmp_path / "s.duckdb"
    from crawler.db.store import Store

    Store(db).close()
    for args in (
        ("leads", str(f), "--db", str(db)),
        ("export", str(f), "--db", str(db), "--out", str(tmp_path / "l.csv")),
        ("report", str(f), "--db", str(db), "--out", str(tmp_path / "r.html")),
    ):
        proc = scout(*args, cwd=tmp_path)
        assert proc.returncode == 0, (args, proc.stderr)
    assert (tmp_path / "l.csv").exists() and (tmp_path / "r.html").exists()
    line = one_line_error(scout("crawl", str(f), "--db", str(db), cwd=tmp_path))
    assert "127.0.0.1:8731 not named in SCOUT_ALLOWED_HOSTS" in line
