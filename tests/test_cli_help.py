"""``scout --help`` lists every command with a one-line summary a user can read."""

from __future__ import annotations

import inspect

from crawler.cli import app
from tests.support.cli import run_scout


def test_the_command_list_shows_each_summary_without_the_docstring_line_breaks() -> None:
    # wide enough that no summary needs wrapping: each command is one row of the list
    proc = run_scout("--help", env={"COLUMNS": "400"})
    assert proc.returncode == 0, proc.stderr
    rows = {}
    for line in proc.stdout.splitlines():
        cells = line.strip("│ ").split(None, 1)
        if len(cells) == 2:
            rows[cells[0]] = cells[1].strip("│ ")
    for info in app.registered_commands:
        name = info.name or info.callback.__name__.replace("_", "-")  # type: ignore[union-attr]
        first = inspect.getdoc(info.callback).split("\n\n")[0]  # type: ignore[union-attr]
        assert rows.get(name) == " ".join(first.split()), (name, rows.get(name))
    # e.g. the live command's docstring breaks its first sentence over two lines
    assert "until Ctrl-C, SIGTERM or --duration" in rows["live"]


def test_version_names_the_package_and_the_classifier_model() -> None:
    import json
    import tomllib

    from tests.support.cli import ROOT

    proc = run_scout("--version")
    assert proc.returncode == 0, proc.stderr
    package = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    meta = ROOT / "nlp" / "models" / "scout_textcat" / "meta.json"
    model = json.loads(meta.read_text())["version"]
    assert proc.stdout.strip() == f"scout {package} (classifier model {model})"
