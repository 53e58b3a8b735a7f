"""The structure the code promises (docs/ARCHITECTURE.md): layers whose imports only
point down, SQL in the db layer only, modules a reader can hold in their head, one
home per constant. Read from the source with ``ast``, so an import inside a function
or under ``TYPE_CHECKING`` counts as much as one at the top."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.support.fixtures import ROOT

# module prefix -> layer; the longest matching prefix decides
LAYER_OF: dict[str, str] = {
    "crawler.core": "core",
    "nlp": "nlp",
    "crawler.mastodon": "platforms",
    "crawler.bluesky": "platforms",
    "crawler.fetch": "platforms",
    "crawler.sites": "platforms",
    "spiders": "platforms",
    "crawler.db": "db",
    "pipelines": "pipelines",
    "crawler.app": "app",
    "crawler.cli": "cli",
    "crawler.web": "web",
    "scout_demo": "demo",
}
# what each layer may import (besides itself)
MAY_IMPORT: dict[str, set[str]] = {
    "core": set(),
    "nlp": {"core"},
    "platforms": {"core"},
    "db": {"core"},
    "pipelines": {"core", "db"},
    "app": {"core", "nlp", "platforms", "db", "pipelines", "demo"},
    "web": {"core", "app", "db"},
    "cli": {"core", "app", "web"},
    "demo": {"core"},
}
PACKAGES = ("crawler", "nlp", "spiders", "pipelines", "scout_demo")
MAX_LINES = 500
# names that live in crawler/core/vocab.py and nowhere else
VOCABULARY = {
    "EU_LANGUAGES",
    "EU_COUNTRIES",
    "MEP_SEATS",
    "SIGNATURES_PER_SEAT",
    "LEAD_TYPES",
    "ROLES",
    "ORG_TYPES",
    "SCOPES",
    "LEAD_STATUSES",
    "DEFAULT_DB",
    "USER_AGENT",
}


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def layer(module: str) -> str | None:
    best = max(
        (p for p in LAYER_OF if module == p or module.startswith(p + ".")), key=len, default=None
    )
    return LAYER_OF[best] if best else None


def imports_of(module: str, path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            # ``from crawler import app`` imports the module crawler.app
            found += [
                (node.lineno, f"{base}.{a.name}")
                for a in node.names
                if f"{base}.{a.name}" in MODULES
            ]
    return found


def test_every_product_module_has_a_layer() -> None:
    homeless = [m for m in MODULES if layer(m) is None and m not in ("crawler",)]
    assert not homeless, f"modules outside every layer: {homeless}"


def test_imports_only_point_down() -> None:
    wrong = []
    for module, path in MODULES.items():
        own = layer(module)
        if own is None:
            continue
        for line, target in imports_of(module, path):
            theirs = layer(target)
            if theirs is not None and theirs != own and theirs not in MAY_IMPORT[own]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} ({own}) imports {target} ({theirs})")
    assert not wrong, "imports that point up or sideways:\n" + "\n".join(wrong)


def test_the_checker_sees_upward_imports(tmp_path: Path) -> None:
    # the check above is only as good as its parser: make sure it would catch one
    bad = tmp_path / "x.py"
    bad.write_text("def f():\n    from crawler.app import crawl\n    from ..db import store\n")
    found = dict((t, n) for n, t in imports_of("crawler.core.x", bad))
    assert "crawler.app" in found and "crawler.db" in found
    assert layer("crawler.app.crawl") == "app" and "app" not in MAY_IMPORT["core"]


def test_sql_runs_only_in_the_db_layer() -> None:
    call = re.compile(r"\.(execute|executemany|sql|query)\(")
    outside = [
        f"{path.relative_to(ROOT)}:{i}"
        for module, path in MODULES.items()
        if layer(module) != "db"
        for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if call.search(text)
    ]
    assert not outside, f"SQL outside crawler/db: {outside}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_is_readable_in_one_sitting(module: str) -> None:
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(ROOT)}: {lines} lines"


def test_vocabulary_has_one_home() -> None:
    copies = []
    for module, path in MODULES.items():
        if module == "crawler.core.vocab":
            continue
        text = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(text)):
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            value = getattr(node, "value", None)
            if isinstance(value, ast.Name | ast.Attribute):
                continue  # a setting that names the vocabulary's value (Scrapy's USER_AGENT)
            for t in targets:
                if isinstance(t, ast.Name) and t.id in VOCABULARY:
                    copies.append(f"{path.relative_to(ROOT)}:{node.lineno} {t.id}")
        if re.search(r"""["']GR["'] if \w+ == ["']EL["']""", text):
            copies.append(f"{path.relative_to(ROOT)}: its own EL->GR (use vocab.country_code)")
    assert not copies, f"copies of the vocabulary: {copies}"
