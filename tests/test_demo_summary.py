"""The demo's closing lines: every path and command whole, whatever the width."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from crawler.app.demo import print_files


def test_paths_and_commands_are_never_broken_in_a_narrow_terminal_or_a_log(
    tmp_path: Path,
) -> None:
    out = tmp_path / "a folder with a long name" / "demo-output"
    db = out / "demo.duckdb"
    written = {"volunteer": out / "leads-volunteer.csv", "report": out / "report.html"}
    console = Console(record=True, width=40, force_terminal=False)
    print_files(console, written, db, out / "campaign.toml", 158.2)
    lines = console.export_text().splitlines()
    assert "Done in 158 s. Files:" in lines
    assert f"  volunteer     {out / 'leads-volunteer.csv'}" in lines
    assert f"  database      {db}   (query it: duckdb {db})" in lines
    assert f"  campaign      {out / 'campaign.toml'}" in lines
    assert f"List the leads: scout leads {out / 'campaign.toml'} --db {db}" in lines
    serve = [line for line in lines if "scout serve" in line]
    assert serve and f"scout serve --db {db}  (then open http://127.0.0.1:" in serve[0]
