"""`scout classify`: the crawl's classifier on the user's own profiles (JSONL in and out)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
