"""Where the recorded fixtures live and how to read them.

Fixtures are read in place from ``../shared`` (never copied into the repo); tests that
need them skip with a clear reason when they are absent.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# the checkout, and ../shared beside it (fixtures, reference data, DESIGN.md)
ROOT = Path(__file__).resolve().parents[2]
SHARED_DIR = ROOT.parent / "shared"
FIXTURES_DIR = SHARED_DIR / "fixtures"


@dataclass
class RecordedResponse:
    """One request/response pair of a VCR.py (Python) or vcr (R) cassette."""

    method: str
    uri: str
    status: int
    headers: dict[str, list[str]]  # names lower-cased, values as lists
    body: str

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[-1] if values else None


def require(path: Path) -> Path:
    """``path`` if it exists, else skip the calling test with the reason."""
    if not path.exists():
        pytest.skip(f"recorded fixtures not found at {path} (../shared is not checked out)")
    return path


def fixture_files(pattern: str) -> list[Path]:
    """Fixture files matching a glob under ``../shared/fixtures`` (sorted; may be empty)."""
    if not FIXTURES_DIR.is_dir():
        return []
    return sorted(FIXTURES_DIR.glob(pattern))


def fixture_params(pattern: str) -> list[Any]:
    """``pytest.param`` per fixture file (id = parent/name), or one skipping param."""
    files = fixture_files(pattern)
    if not files:
        return [
            pytest.param(
                None,
                marks=pytest.mark.skip(reason=f"no fixtures {pattern} under {FIXTURES_DIR}"),
                id="fixtures-missing",
            )
        ]
    return [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in files]


def _header_lists(raw: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in (raw or {}).items():
        values = value if isinstance(value, list) else [value]
        out[str(name).lower()] = [str(v) for v in values]
    return out


def load_cassette(path: Path) -> list[RecordedResponse]:
    """Interactions of a VCR.py (``interactions``) or R vcr (``http_interactions``) file."""
    return list(_load_cassette(require(path)))


@functools.cache
def _load_cassette(path: Path) -> tuple[RecordedResponse, ...]:
    import yaml  # PyYAML: test-only dependency

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as f:
        data = yaml.load(f, Loader=loader)  # a safe loader
    out: list[RecordedResponse] = []
    for it in data.get("interactions") or data.get("http_interactions") or []:
        req, resp = it["request"], it["response"]
        status = resp.get("status")
        code = status.get("code") if isinstance(status, dict) else status
        body = resp.get("body") or {}
        text = body.get("string", "") if isinstance(body, dict) else str(body)
        out.append(
            RecordedResponse(
                method=str(req.get("method", "")).upper(),
                uri=str(req.get("uri", "")),
                status=int(code or 0),
                headers=_header_lists(resp.get("headers")),
                body=text if isinstance(text, str) else "",
            )
        )
    return tuple(out)


def json_bodies(path: Path) -> Iterator[tuple[str, Any]]:
    """``(request uri, decoded body)`` of every JSON response in a cassette or JSON file."""
    if path.suffix == ".json":
        yield str(path), json.loads(require(path).read_text(encoding="utf-8"))
        return
    for rec in load_cassette(path):
        try:
            yield rec.uri, rec.json()
        except ValueError:
            continue  # SSE streams, HTML errors, empty bodies


def walk_dicts(obj: Any) -> Iterator[dict[str, Any]]:
    """Every dict nested anywhere in decoded JSON (depth first, outer first)."""
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from walk_dicts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk_dicts(v)
