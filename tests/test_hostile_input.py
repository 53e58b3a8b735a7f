"""Hostile or careless campaign files and command lines are refused with one line and
exit 2 (an unknown account to forget: exit 1), never a traceback, a hang or a usage box.

The corpus is generated: wrong types for every key (no bool/str/float coercion), bounds,
refused URLs for every URL key and every address-policy case, deep nesting, huge lists
and files. Campaign files go through ``load_campaign`` and through ``scout`` in process;
a few through a real subprocess.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.core.config import MAX_TERMS, CampaignError, load_campaign
from tests.support.cli import assert_one_line, run_in_process, scout

BASE = "[campaign]\nname = 'x'\nhashtags = ['a']\n"

# (section, key, TOML value) that must be refused; values are TOML literals
BAD_VALUES: list[tuple[str, str, str]] = [
    *[("campaign", "name", v) for v in ("1", "true", "[]", "{}", "''", "'" + "n" * 201 + "'")],
    *[
        ("campaign", "hashtags", v)
        for v in ("'a'", "[1]", "[true]", "[[]]", "[{}]", "['a b']", "['#']", "[1.5]")
    ],
    *[
        ("campaign", "keywords", v)
        for v in ("'kw'", "[1]", "[true]", "[['x']]", "['" + "k" * 201 + "']")
    ],
    *[("campaign", "countries", v) for v in ("['UK']", "['XX']", "[1]", "'DE'", "[true]", "['']")],
    *[("campaign", "languages", v) for v in ("['xx']", "[1]", "'de'", "[false]")],
    *[
        ("campaign", "since", v)
        for v in ("1700000000", "true", "'yesterday'", "[2024]", "1.5", "'2024-13-01'")
    ],
    *[
        ("campaign", "signatures", v)
        for v in (
            "{DE = true}",
            "{DE = 1.5}",
            "{DE = '5'}",
            "{DE = -1}",
            "{DE = 1000000000000}",
            "{DE = 100000000000000000000000}",
            "{UK = 5}",
            "[1]",
            "{DE = [1]}",
        )
    ],
    *[("privacy", "retention_days", v) for v in ("true", "0", "3651", "'180'", "1.0", "-5", "[]")],
    *[("privacy", "respect_opt_outs", v) for v in ("'no'", "0", "'false'", "1", "[]")],
    *[("privacy", "exclude_bots_from_volunteers", v) for v in ("'yes'", "1", "'true'")],
    *[("privacy", "unknown_key", v) for v in ("1",)],
]
MASTODON = "\n[mastodon]\ninstances = ['https://mastodon.example']\n"
BAD_MASTODON: list[tuple[str, str]] = [
    *[("discover", v) for v in ("'yes'", "1", "'true'")],
    *[("max_instances", v) for v in ("0", "1000000000", "2.5", "true", "'50'", "-1")],
    *[("token_env", v) for v in ("'1BAD'", "'A B'", "true", "''", "'X;rm -rf /'")],
    *[("requests_per_instance", v) for v in ("0", "1.5", "false", "100000000000")],
    *[("instances", v) for v in ("'https://a.example'", "[1]", "[]", "[true]", "[['x']]")],
]
BLUESKY = "\n[bluesky]\n"
BAD_BLUESKY: list[tuple[str, str]] = [
    *[("service", v) for v in ("1", "true", "'ftp://x.example'", "'not a url'", "[]")],
    *[("appview", v) for v in ("1", "'wss://x.example'")],
    *[("jetstream", v) for v in ("'https://x.example'", "1", "'ws://'")],
    *[("handle_env", v) for v in ("''", "'a-b'", "1")],
    *[("max_pages", v) for v in ("0", "true", "2.0", "10000000")],
]

# URLs the address policy refuses without SCOUT_ALLOWED_HOSTS: metadata and link-local
# (never), loopback and private in every numeric spelling, names for private networks,
# and URLs that are not plain http(s)
REFUSED_HOSTS = [
    "169.254.169.254",
    "169.254.0.1",
    "100.100.100.200",
    "[fd00:ec2::254]",
    "metadata.google.internal",
    "metadata.google.internal.",
    "[fe80::1]",
    "127.0.0.1",
    "127.0.0.1:3000",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0x7f.0.0.1",
    "0177.0.0.1",
    "017700000001",
    "127.000.000.001",
    "localhost",
    "localhost.",
    "LocalHost",
    "api.localhost",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",
    "[64:ff9b::7f00:1]",
    "[2002:7f00:1::1]",
    "[::ffff:169.254.169.254]",
    "10.0.0.1",
    "10.1",
    "172.16.5.4",
    "192.168.1.1",
    "100.64.0.1",
    "[fc00::1]",
    "[fd12:3456::1]",
    "0.0.0.0",
    "0",
    "[::]",
    "255.255.255.255",
    "224.0.0.1",
    "printer.local",
    "intranet",
    "\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11",  # full-width 127.0.0.1
    "1.2.3.4.5",
    "256.1.1.1",
    "a..example",
]
REFUSED_URLS = [f"http://{h}/" for h in REFUSED_HOSTS] + [
    "https://user:secret@mastodon.example",
    "https://mastodon.example\\@127.0.0.1/",
    "https://mastodon.example\n.evil",
    "file:///etc/passwd",
    "gopher://mastodon.example",
    "javascript:alert(1)",
    "https://",
    "https://mastodon.example:99999",
]


def _case_files() -> Iterator[tuple[str, str, str]]:
    """(id, TOML text, the key the error must name)."""
    for section, key, value in BAD_VALUES:
        body = (
            f"{BASE}{key} = {value}\n"
            if section == "campaign"
            else (f"{BASE}\n[{section}]\n{key} = {value}\n")
        )
        if section == "campaign" and key == "hashtags":
            body = f"[campaign]\nname = 'x'\nhashtags = {value}\n"
        if section == "campaign" and key == "name":
            body = f"[campaign]\nname = {value}\nhashtags = ['a']\n"
        yield f"{section}.{key}={value[:20]}", body, f"{section}.{key}"
    for key, value in BAD_MASTODON:
        body = f"{BASE}\n[mastodon]\n{key} = {value}\n"
        if key != "instances":
            body += "instances = ['https://mastodon.example']\n"
        yield f"mastodon.{key}={value[:20]}", body, f"mastodon.{key}"
    for key, value in BAD_BLUESKY:
        yield f"bluesky.{key}={value[:20]}", f"{BASE}{BLUESKY}{key} = {value}\n", f"bluesky.{key}"
    for url in REFUSED_URLS:
        lit = _toml_str(url)
        yield (
            f"instances:{url[:30]}",
            f"{BASE}\n[mastodon]\ninstances = [{lit}]\n",
            ("mastodon.instances[0]"),
        )
        yield f"service:{url[:30]}", f"{BASE}{BLUESKY}service = {lit}\n", "bluesky.service"
        yield f"appview:{url[:30]}", f"{BASE}{BLUESKY}appview = {lit}\n", "bluesky.appview"
        ws = url.replace("https://", "wss://").replace("http://", "ws://")
        yield (
            f"jetstream:{ws[:30]}",
            f"{BASE}{BLUESKY}jetstream = {_toml_str(ws)}\n",
            ("bluesky.jetstream"),
        )


def _toml_str(value: str) -> str:
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{out}"'


CASES = list(_case_files())


def test_the_corpus_is_large() -> None:
    assert len(CASES) >= 250, len(CASES)


@pytest.fixture(autouse=True)
def _no_allowed_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCOUT_ALLOWED_HOSTS", raising=False)


@pytest.mark.parametrize(("body", "key"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_campaign_file_is_one_line_exit_2(tmp_path: Path, body: str, key: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(CampaignError) as caught:
        load_campaign(f)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 600, message
    assert message.startswith(f"{f}: {key}"), message
    # through the command line, in process: the same line, exit 2, nothing on stdout (a
    # crawl: lead lists accept private hosts, they fetch nothing)
    code, out, err = run_in_process("crawl", str(f), "--db", str(tmp_path / "none.duckdb"))
    line = assert_one_line(code, out, err)
    assert line == f"scout: error: {message}"
    assert out == ""


BIG_CASES: dict[str, str] = {
    "100k hashtags": "[campaign]\nname='x'\nhashtags=["
    + ",".join(f"'t{i}'" for i in range(100_000))
    + "]\n",
    "1001 keywords": "[campaign]\nname='x'\nkeywords=["
    + ",".join(f"'k{i}'" for i in range(MAX_TERMS + 1))
    + "]\n",
    "1001 instances": BASE
    + "[mastodon]\ninstances=["
    + ",".join(f"'https://m{i}.example'" for i in range(MAX_TERMS + 1))
    + "]\n",
    "huge hashtag": "[campaign]\nname='x'\nhashtags=['" + "h" * 100_000 + "']\n",
    "huge file": BASE + "# " + "x" * 2_000_000 + "\n",
    "array 500 deep": BASE + "x = " + "[" * 500 + "]" * 500 + "\n",
    "array 100000 deep": BASE + "x = " + "[" * 100_000 + "]" * 100_000 + "\n",
    "hashtags 200 deep": "[campaign]\nname='x'\nhashtags = " + "[" * 200 + "]" * 200 + "\n",
    "table 3000 deep": BASE + "x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
    "not utf-8": "[campaign]\nname='\udcff'\n",
    "binary": "\x00\x01\x02[campaign]",
    "empty": "",
}


@pytest.mark.parametrize("name", list(BIG_CASES))
def test_huge_and_deep_files_fail_fast_on_one_line(tmp_path: Path, name: str) -> None:
    f = tmp_path / "big.toml"
    f.write_bytes(BIG_CASES[name].encode("utf-8", errors="surrogateescape"))
    started = time.monotonic()
    code, out, err = run_in_process("leads", str(f), "--db", str(tmp_path / "none.duckdb"))
    elapsed = time.monotonic() - started
    line = assert_one_line(code, out, err)
    assert line.startswith(f"scout: error: {f}: "), line
    assert len(line) < 600
    # a generous bound: the point is "no quadratic hang", measured in seconds not minutes
    assert elapsed < 20, elapsed


def test_valid_files_still_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The policy refuses what it must, not everything: controls that pass."""
    f = tmp_path / "ok.toml"
    f.write_text(
        BASE
        + "since = '2026-01-02'\nsignatures = {DE = 41000, EL = 5}\n"
        + "[mastodon]\ninstances = ['https://mastodon.social/', 'https://xn--mnchen-3ya.de', "
        + "'http://127.0.0.1:8731']\nmax_instances = 10\n"
        + "[bluesky]\nservice = 'https://bsky.social'\njetstream = 'wss://jet.example/subscribe'\n"
        + "[privacy]\nretention_days = 30\nrespect_opt_outs = false\n",
        encoding="utf-8",
    )
    with pytest.raises(CampaignError, match="127.0.0.1:8731 not named in SCOUT_ALLOWED_HOSTS"):
        load_campaign(f)
    monkeypatch.setenv("SCOUT_ALLOWED_HOSTS", "127.0.0.1:8731")
    camp = load_campaign(f)
    assert camp.mastodon is not None
    assert camp.mastodon.instances[0] == "https://mastodon.social"
    assert camp.campaign.signatures == {"DE": 41000, "GR": 5}
    assert camp.privacy.respect_opt_outs is False and camp.privacy.retention_days == 30
    # named but link-local: never
    monkeypatch.setenv("SCOUT_ALLOWED_HOSTS", "169.254.169.254:80")
    f.write_text(BASE + "[bluesky]\nservice = 'http://169.254.169.254'\n", encoding="utf-8")
    with pytest.raises(CampaignError, match="never fetched"):
        load_campaign(f)


# ------------------------------------------------------------------ command lines


@pytest.fixture()
def world(tmp_path: Path) -> dict[str, Path]:
    from crawler.db.store import Store

    camp = tmp_path / "c.toml"
    camp.write_text(BASE, encoding="utf-8")
    db = tmp_path / "s.duckdb"
    Store(db).close()
    afile = tmp_path / "afile"
    afile.write_text("x")
    return {"campaign": camp, "db": db, "afile": afile, "tmp": tmp_path}


def _cli_cases(w: dict[str, Path]) -> list[tuple[list[str], int, str]]:
    c, db, afile, tmp = str(w["campaign"]), str(w["db"]), str(w["afile"]), w["tmp"]
    cases: list[tuple[list[str], int, str]] = []
    for cc in ("UK", "XX", "", "DE;DROP TABLE leads", "\x1b[31mDE", "D" * 5000, "[bold]"):
        cases.append((["leads", c, "--db", db, "--country", cc], 2, "--country"))
        cases.append(
            (
                ["export", c, "--db", db, "--country", cc, "--out", str(tmp / "x.csv")],
                2,
                "--country",
            )
        )
    for bad_out in ("/proc/x.csv", f"{afile}/x.csv", str(tmp), str(tmp / "no" / "x.csv")):
        cases.append((["export", c, "--db", db, "--out", bad_out], 2, "--out"))
        cases.append((["report", c, "--db", db, "--out", bad_out.replace(".csv", ".html")], 2, ""))
    for bad_db in ("/proc/x.duckdb", f"{afile}/x.duckdb", str(tmp / "no" / "x.duckdb")):
        cases.append((["forget", "alice@eu.social", "--db", bad_db], 2, ""))
        cases.append((["leads", c, "--db", bad_db], 2, ""))
    cases.append((["crawl", c, "--db", "/proc/x.duckdb"], 2, "--db"))
    cases.append((["crawl", c, "--db", str(tmp)], 2, ""))
    for who in ("", " ", "\t", "\n"):
        cases.append((["forget", who, "--db", db], 2, "give an account"))
    for who in ("nobody@nowhere.example", "\x1b]8;;file:///etc/passwd\x1b\\x", "[bold]x"):
        cases.append((["forget", who, "--db", db], 1, "no stored account matches"))
    for args in (
        ["leads", c, "--db", db, "--type", "fan"],
        ["leads", c, "--db", db, "--limit", "0"],
        ["leads", c, "--db", db, "--limit", "-1"],
        ["leads", c, "--db", db, "--limit", "many"],
        ["leads", c, "--db", db, "--bogus"],
        ["leads"],
        ["crawl"],
        ["export", c, "--db", db],
        ["nonsense-command"],
        ["leads", str(tmp / "missing.toml"), "--db", db],
        ["leads", c, "--db", str(tmp / "none.duckdb")],
        ["leads", str(tmp), "--db", db],
    ):
        cases.append((args, 2, ""))
    return cases


def test_hostile_command_lines(world: dict[str, Path]) -> None:
    cases = _cli_cases(world)
    assert len(cases) >= 40
    for args, expected_code, needle in cases:
        code, out, err = run_in_process(*args)
        line = assert_one_line(code, out, err, expected_code)
        assert needle in line, (args, line)
        assert "\x1b" not in line


def test_unknown_country_does_not_write_an_empty_file(world: dict[str, Path]) -> None:
    out_file = world["tmp"] / "uk.csv"
    code, out, err = run_in_process(
        "export", str(world["campaign"]), "--db", str(world["db"]), "--country", "UK",
        "--out", str(out_file),
    )  # fmt: skip
    assert "not an EU member state code: 'UK'" in assert_one_line(code, out, err)
    assert not out_file.exists()
    # EL is the EU's code for Greece: accepted
    code, out, err = run_in_process(
        "export", str(world["campaign"]), "--db", str(world["db"]), "--country", "el",
        "--out", str(out_file),
    )  # fmt: skip
    assert code == 0, err
    assert out_file.exists()


def test_a_few_through_a_real_process(world: dict[str, Path]) -> None:
    tmp = world["tmp"]
    bad = tmp / "bad.toml"
    bad.write_text(BASE + "[privacy]\nretention_days = true\n", encoding="utf-8")
    for args, expected in [
        (["crawl", str(bad), "--db", str(tmp / "x.duckdb")], 2),
        (["export", str(world["campaign"]), "--db", str(world["db"]), "--out", "/proc/x.csv"], 2),
        (["forget", "", "--db", str(world["db"])], 2),
        (["forget", "nobody@nowhere.example", "--db", str(world["db"])], 1),
    ]:
        proc = scout(*args, cwd=tmp)
        assert_one_line(proc.returncode, proc.stdout, proc.stderr, expected)
