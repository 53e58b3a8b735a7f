"""`scout classify`: the crawl's classifier on the user's own profiles (JSONL in and out)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.fixtures import ROOT

PROFILES = [
    {
        "platform": "mastodon",
        "handle": "verdi_muenchen@social.example",
        "display_name": "ver.di Bezirk München",
        "bio": "Wir sind die Gewerkschaft für Dienstleistungen in München. Impressum: verdi.example",
        "fields": [{"name": "Ort", "value": "München"}],
        "followers_count": 4200,
        "bot": False,
        "posts": ["Unterschreibt die Europäische Bürgerinitiative! #CleanAirECI"],
    },
    {
        "platform": "bluesky",
        "handle": "marie-dupont.bsky.social",
        "display_name": "Marie Dupont",
        "bio": "Députée européenne 🇫🇷 Commission ENVI. Lyon.",
        "followers_count": 38000,
        "posts": ["Je soutiens l'initiative citoyenne pour un air pur."],
    },
    {
        "platform": "mastodon",
        "handle": "kowalska@pl.social.example",
        "display_name": "Anna Kowalska",
        "bio": "Dziennikarka, piszę o klimacie i zdrowiu. Kraków",
        "followers_count": 9100,
        "posts": ["Nowy raport o smogu w Krakowie."],
    },
    {
        "platform": "mastodon",
        "handle": "giulia@social.example",
        "display_name": "Giulia",
        "bio": "mamma, ciclista urbana, amo il mare",
        "followers_count": 180,
        "posts": ["Ho firmato anche io! #CleanAirECI"],
    },
    {
        "platform": "mastodon",
        "handle": "airbot@social.example",
        "display_name": "Air quality bot",
        "bio": "Automated hourly air quality readings.",
        "bot": True,
        "posts": [],
    },
]


def run_classify(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "classify", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_classify_jsonl_file_to_file(tmp_path: Path) -> None:
    src, out = tmp_path / "profiles.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in PROFILES) + "\n\n")
    proc = run_classify(str(src), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["handle"] for r in rows] == [p["handle"] for p in PROFILES]  # order kept
    for row in rows:
        assert set(row) >= {"role", "org_type", "confidence", "language", "country", "reasons"}
        assert 0.0 <= row["confidence"] <= 1.0
        assert row["reasons"], row
    union, mep, journalist, person, bot = rows
    assert (union["role"], union["org_type"], union["country"]) == ("organization", "union", "DE")
    assert (mep["role"], mep["country"], mep["language"]) == ("politician", "FR", "fr")
    assert (journalist["role"], journalist["country"]) == ("journalist", "PL")
    assert person["role"] == "individual" and person["org_type"] is None
    assert bot["is_bot"] is True


def test_classify_reads_stdin_and_writes_stdout() -> None:
    lines = "\n".join(json.dumps(p, ensure_ascii=False) for p in PROFILES[:2])
    proc = run_classify("-", stdin=lines)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["role"] for r in rows] == ["organization", "politician"]


def test_classify_reads_what_other_tools_write() -> None:
    """A byte order mark and CRLF (Windows tools), UTF-8 whatever the locale says, and
    one JSON document (a pretty-printed array, as ``jq .`` or an API's search prints it)
    are read; each was an error ("Unexpected UTF-8 BOM", "Expecting value")."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "latin-1"}

    def classify(data: bytes) -> list[dict[str, object]]:
        proc = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "classify", "-"],
            input=data,
            env=env,
            capture_output=True,
            timeout=180,
        )
        assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
        return [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]

    jsonl = "\r\n".join(json.dumps(p, ensure_ascii=False) for p in PROFILES[:2]) + "\r\n"
    rows = classify(b"\xef\xbb\xbf" + jsonl.encode("utf-8"))
    assert [r["role"] for r in rows] == ["organization", "politician"]
    array = json.dumps(PROFILES[:3], ensure_ascii=False, indent=2)
    assert [r["handle"] for r in classify(array.encode("utf-8"))] == [
        p["handle"] for p in PROFILES[:3]
    ]
    single = json.dumps(PROFILES[2], ensure_ascii=False, indent=2)  # "Dziennikarka ... Kraków"
    (row,) = classify(single.encode("utf-8"))
    assert (row["role"], row["country"]) == ("journalist", "PL")


def test_classify_reads_an_api_answer_as_it_comes() -> None:
    """``curl .../api/v1/directory | scout classify -``: the recorded body, byte for byte
    as the server sent it (one JSON array of Account entities), one row per account."""
    from tests.support.fixtures import SHARED_DIR, load_cassette, require

    path = require(SHARED_DIR / "fixtures/mastodon/dev-server-4.6.4/test_directory.yaml")
    answer = next(r for r in load_cassette(path) if r.uri.endswith("/api/v1/directory"))
    accounts = json.loads(answer.body)
    assert isinstance(accounts, list) and accounts
    proc = run_classify("-", stdin=answer.body)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    # a local account's acct has no host: the crawl's parser adds the server's
    assert [r["handle"] for r in rows] == [f"{a['acct']}@localhost" for a in accounts]
    assert {r["platform"] for r in rows} == {"mastodon"}


def test_classify_names_a_bad_item_of_a_json_array() -> None:
    from crawler.app.profiles import read_profiles
    from crawler.core.errors import UserError

    with pytest.raises(UserError, match=r"^p.json\[1\]: expected a JSON object \(a profile\), "
                       "found a string$"):  # fmt: skip
        read_profiles(['[{"display_name": "x"},', ' "y"]'], "p.json")
    with pytest.raises(UserError, match=r"^p.json:2: not JSON"):  # JSON lines, one broken
        read_profiles(['{"display_name": "x"}', '{"display_name": '], "p.json")
    with pytest.raises(UserError, match=r"^-: not UTF-8 text"):
        from crawler.cli.tools import _stdin_lines

        class Latin1:
            buffer = __import__("io").BytesIO("Café".encode("latin-1"))

        real, sys.stdin = sys.stdin, Latin1()  # type: ignore[assignment]
        try:
            _stdin_lines()
        finally:
            sys.stdin = real


def _platform_objects() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Every Mastodon Account entity and Bluesky profile view in the recorded responses
    (../shared/fixtures), each once."""
    from tests.support.fixtures import fixture_files, json_bodies, walk_dicts

    masto: dict[str, dict[str, object]] = {}
    bsky: dict[str, dict[str, object]] = {}
    for path in fixture_files("mastodon/**/*.yaml") + fixture_files("bluesky/**/*.json"):
        for _, body in json_bodies(path):
            for d in walk_dicts(body):
                if isinstance(d.get("acct"), str) and "username" in d and d.get("uri"):
                    masto.setdefault(str(d["uri"]), d)
                did = d.get("did")
                if isinstance(did, str) and did.startswith("did:") and "handle" in d:
                    if "displayName" in d or "description" in d:
                        bsky.setdefault(did, d)
    return list(masto.values()), list(bsky.values())


def test_classify_reads_the_platforms_own_account_objects(tmp_path: Path) -> None:
    """A Mastodon ``Account`` (``acct``, ``note`` in HTML) and a Bluesky profile view
    (``displayName``, ``description``), as the APIs return them, are read the way the
    crawl reads them; before, their bio was silently dropped (no 'bio' key)."""
    import pytest

    from crawler.bluesky.parse import parse_profile
    from crawler.core.net import hostname
    from crawler.mastodon.parse import parse_account
    from tests.support.cli import run_in_process

    masto, bsky = _platform_objects()
    if not masto or not bsky:
        pytest.skip("recorded fixtures not found (../shared is not checked out)")
    src = tmp_path / "native.jsonl"
    src.write_text("".join(json.dumps(o) + "\n" for o in masto + bsky), encoding="utf-8")
    code, out, err = run_in_process("classify", str(src))
    assert code == 0, err
    assert "ignored" not in err  # nothing of the objects the classifier reads is unread
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(masto) + len(bsky)
    now = datetime.now(UTC)
    expected = [parse_account(o, hostname(str(o.get("url") or o["uri"])), now) for o in masto] + [
        parse_profile(o, now) for o in bsky
    ]
    assert [(r["platform"], r["handle"]) for r in rows] == [
        (e.platform, e.handle) for e in expected
    ]
    # the notes were read: a profile with a bio has its words as evidence or a language
    with_bio = [r for r, e in zip(rows, expected, strict=True) if e.bio and len(e.bio) > 60]
    assert with_bio and any(r["language"] for r in with_bio)


def test_classify_names_keys_it_does_not_read_and_a_broken_platform_object(
    tmp_path: Path,
) -> None:
    from tests.support.cli import run_in_process

    src = tmp_path / "p.jsonl"
    src.write_text(
        json.dumps({"platform": "mastodon", "handle": "a@b.example", "description": "x"})
        + "\n"
        + json.dumps({"platform": "mastodon", "handle": "c@b.example", "description": "y"})
        + "\n",
        encoding="utf-8",
    )
    code, out, err = run_in_process("classify", str(src))
    assert code == 0 and len(out.splitlines()) == 2
    assert "keys the classifier does not read, ignored: 'description' (2)" in err
    # a Mastodon account object without uri or url: one line naming the line
    src.write_text(json.dumps({"username": "a", "acct": "a", "note": "hi"}) + "\n")
    code, out, err = run_in_process("classify", str(src))
    assert code == 2 and out == ""
    assert err.strip().startswith(f"scout: error: {src}:1: ") and "\n" not in err.strip()
