"""Strings from the network reach the terminal as plain text: no rich markup, no escape
sequences, no bidi overrides (DESIGN.md, Safety); and no code-executing remote control
runs beside a crawl."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.core.terminal import cell, markup_safe, plain
from crawler.db.store import Store
from tests.support.cli import ROOT, run_in_process

CAMPAIGN = "Clean Air [bold]"
HOSTILE = {
    "[/bold]": "closing tag that made `scout leads` fail",
    "[link=file:///etc/passwd]click me[/link]": "a terminal hyperlink",
    "\x1b]8;;file:///etc/passwd\x1b\\open\x1b]8;;\x1b\\": "an OSC 8 hyperlink",
    "\x1b[2J\x1b[31mred\x1b[0m": "clear screen and colour",
    "\x9b31mC1 red": "an 8-bit CSI",
    "abc\u202edcba": "a bidi override",
    "bell\x07 and back\x08space": "control characters",
    "[bold red]loud[/]": "markup",
    "\\[escaped]": "a backslash before a bracket",
}


@pytest.mark.parametrize("text", list(HOSTILE), ids=list(HOSTILE.values()))
def test_plain_removes_sequences(text: str) -> None:
    out = plain(text)
    assert "\x1b" not in out and "\x9b" not in out and "\u202e" not in out
    assert not any(ord(c) < 32 and c not in "\t\n" for c in out)
    assert cell(text).plain == out  # a Text: rich never parses it
    from rich.console import Console

    console = Console(record=True, width=200, force_terminal=True, color_system="truecolor")
    console.print(f"name: {markup_safe(text)}")
    shown = console.export_text()
    assert shown.strip() == "name: " + " ".join(out.split())
    assert "file:///" not in console.export_html() or "[link=" in text


def _leads_db(path: Path) -> None:
    with Store(path) as store:
        for i, (name, _why) in enumerate(HOSTILE.items(), start=1):
            store.con.execute(
                "INSERT INTO leads (campaign, account_id, platform, handle, display_name, url,"
                " lead_type, score, rank, country, reasons) VALUES (?, ?, 'mastodon', ?, ?, ?,"
                " 'volunteer', ?, ?, 'DE', ?)",
                [
                    CAMPAIGN,
                    f"mastodon:https://x.example/users/u{i}",
                    f"u{i}@x.example{name if i % 2 else ''}",
                    name,
                    "https://x.example/@u",
                    1.0 / i,
                    i,
                    f"posts {name} often",
                ],
            )


def test_scout_leads_prints_hostile_names_as_plain_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crawler import cli

    monkeypatch.setattr(cli.out, "width", 300)  # no folding inside the cells read below
    db = tmp_path / "s.duckdb"
    _leads_db(db)
    camp = tmp_path / "c.toml"
    camp.write_text(f"[campaign]\nname = '{CAMPAIGN}'\nhashtags = ['a']\n")
    code, out, err = run_in_process("leads", str(camp), "--db", str(db), "--limit", "50")
    assert code == 0, err
    assert "\x1b" not in out and "\x9b" not in out and "\u202e" not in out
    assert not any(ord(c) < 32 and c not in "\n" for c in out)
    # the markup is shown as written, not applied
    assert "[/bold]" in out and "[link=file:///etc/passwd]click" in out
    assert "[bold red]loud[/]" in out
    # through a real terminal console: no hyperlink, no style from the data
    proc = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "leads", str(camp), "--db", str(db)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "FORCE_COLOR": "1",
             "COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "\x1b]8;" not in proc.stdout  # no OSC 8 hyperlink at all
    assert "file:///etc/passwd" in proc.stdout  # shown as text
    assert "\x1b[2J" not in proc.stdout and "\u202e" not in proc.stdout


def test_error_lines_quoting_data_are_plain(tmp_path: Path) -> None:
    camp = tmp_path / "c.toml"
    camp.write_text('[campaign]\nname = "x"\nhashtags = ["a\\u001b[31mred"]\n')
    code, out, err = run_in_process("leads", str(camp), "--db", str(tmp_path / "n.duckdb"))
    assert code == 2 and "\x1b" not in err and "not a hashtag" in err
    assert len(err.strip().splitlines()) == 1


_PROBE = """
import json
from pathlib import Path
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from crawler.app.crawl import _scrapy_settings
from crawler.core.config import Campaign

class Probe(Spider):
    name = "probe"

camp = Campaign.model_validate({"campaign": {"name": "x", "hashtags": ["a"]}})
crawler = Crawler(Probe, _scrapy_settings(Path("unused.duckdb"), camp, "WARNING"))
crawler._apply_settings()
mws = DownloaderMiddlewareManager.from_crawler(crawler)
name = lambda o: type(o).__module__ + "." + type(o).__name__
print(json.dumps({"extensions": [name(e) for e in crawler.extensions.middlewares],
                  "downloader": [name(m) for m in mws.middlewares]}))
"""


def test_the_crawler_runs_no_remote_control(tmp_path: Path) -> None:
    from scrapy.settings import default_settings

    # Scrapy enables it by default: the test would notice if our settings stopped
    # switching it off
    assert "scrapy.extensions.remote_control.RemoteControl" in default_settings.EXTENSIONS_BASE
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    built = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "scrapy.extensions.corestats.CoreStats" in built["extensions"]  # it did build
    assert not any("remote_control" in e or "telnet" in e for e in built["extensions"])
    assert "crawler.fetch.address.AddressPolicyMiddleware" in built["downloader"]
    # no job files (token + port) left in the user's state folder
    assert not list(tmp_path.rglob("job_files/*"))
