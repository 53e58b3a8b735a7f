"""Training table for ``scout_textcat``, built from the labelled real accounts.

Sources (``../shared/data/labels``, see its README and MULTI_README):

* ``humanizr``: ``humanizr_dev.csv``, organisation vs person only (``label`` empty);
* ``multi_dev``: ``multi_dev.csv``, role and org_type, the distribution of the held-back
  split: model selection and evaluation use these rows (``dev`` true);
* ``extra``: ``multi_train_extra.csv``, skewed: every row by default (training weighs
  each (label, language) cell down, see ``nlp.textcat_train.joint_weights``), or each
  cell capped at ``extra_cap`` rows (lowest sha1 of the id first); training only, never
  scored.

Each row: ``id, source, text, org`` (1 organisation, 0 person), ``label`` (joint label
``individual`` | ``politician`` | ``organization/<org_type>``, "" when unknown), ``lang``,
``group`` (rows with the same group are the same account or organisation: they always
land in the same cross-validation fold), ``fold`` (0..k-1, dev rows only, else -1).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nlp.profile import text_and_sections

FOLDS = 5
DEFAULT_EXTRA_CAP = 0  # 0 = every extra row
_NON_WORD = re.compile(r"\W+")


@dataclass(frozen=True)
class Row:
    id: str
    source: str
    text: str
    org: int
    label: str
    lang: str
    group: str
    fold: int
    country: str = ""
    display_name: str = ""
    bio: str = ""
    website: str = ""

    @property
    def dev(self) -> bool:
        return self.fold >= 0


def sha1_int(text: str) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16)


def group_key(name: str, fallback: str) -> str:
    """Accounts with the same normalised name are one group (duplicates, re-registrations)."""
    key = _NON_WORD.sub("", name.lower())
    return key if len(key) >= 3 else fallback


def profile_text(display_name: str, bio: str) -> str:
    """The text the model sees: the same as the classifier builds for a profile."""
    return text_and_sections(display_name, bio, None)[0]


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _joint(role: str, org_type: str) -> str:
    return f"{role}/{org_type}" if role == "organization" and org_type else role


def humanizr_rows(path: Path, folds: int = FOLDS) -> list[Row]:
    out = []
    for r in _read(path):
        group = "h:" + group_key(r["handle"], r["handle"])
        org = int(r["label"] == "organization")
        out.append(
            Row(
                id="humanizr:" + r["handle"],
                source="humanizr",
                text=profile_text(r["display_name"], r["bio"]),
                org=org,
                label="" if org else "individual",
                lang="",
                group=group,
                fold=sha1_int(group) % folds,
                display_name=r["display_name"],
                bio=r["bio"],
            )
        )
    return out


def multi_rows(path: Path, source: str, folds: int = FOLDS) -> list[Row]:
    out = []
    for r in _read(path):
        group = "m:" + group_key(r["display_name"] or r["handle"], r["id"])
        out.append(
            Row(
                id=r["id"],
                source=source,
                text=profile_text(r["display_name"], r["bio"]),
                org=int(r["role"] == "organization"),
                label=_joint(r["role"], r["org_type"]),
                lang=r["lang"],
                group=group,
                fold=sha1_int(group) % folds if source == "multi_dev" else -1,
                country=r["country"],
                display_name=r["display_name"],
                bio=r["bio"],
                website=r.get("website") or "",
            )
        )
    return out


def balance(rows: Iterable[Row], cap: int) -> list[Row]:
    """At most ``cap`` rows per (label, language), lowest sha1(id) first (0 = all)."""
    if not cap:
        return list(rows)
    cells: dict[tuple[str, str], list[Row]] = {}
    for row in sorted(rows, key=lambda r: sha1_int(r.id)):
        cells.setdefault((row.label, row.lang), []).append(row)
    return [r for cell in cells.values() for r in cell[:cap]]


def sample(rows: list[Row], n: int) -> list[Row]:
    """A deterministic sample of ``n`` rows (0 = all)."""
    return sorted(rows, key=lambda r: sha1_int(r.id))[:n] if n else rows


def build_table(
    humanizr: Path,
    multi_dev: Path,
    extra: Path | None,
    extra_cap: int = DEFAULT_EXTRA_CAP,
    n_sample: int = 0,
) -> list[Row]:
    rows = sample(humanizr_rows(humanizr), n_sample)
    rows += sample(multi_rows(multi_dev, "multi_dev"), n_sample)
    if extra is not None:
        rows += sample(balance(multi_rows(extra, "extra"), extra_cap), n_sample)
    return rows


def row_profile(row: Row, website: bool = True) -> dict[str, Any]:
    """The profile the classifier reads for a labelled row: its name, its bio and, when
    the row has one (and ``website``), its website as a profile link field, the way a
    Mastodon profile shows one ("Website: https://..."). The model never reads a
    link-only field (``nlp.textcat.model_text``); the country evidence does."""
    profile: dict[str, Any] = {
        "platform": "twitter",
        "display_name": row.display_name,
        "bio": row.bio,
    }
    if website and row.website:
        profile["fields"] = [{"name": "Website", "value": row.website}]
    return profile


def write_table(rows: Iterable[Row], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


def read_table(path: Path) -> list[Row]:
    with path.open(encoding="utf-8") as fh:
        return [Row(**json.loads(line)) for line in fh if line.strip()]


def summary(rows: Iterable[Row]) -> dict[str, dict[str, int]]:
    """Row counts per source, per label and per language (for meta.json)."""
    out: dict[str, dict[str, int]] = {"source": {}, "label": {}, "lang": {}, "person_lang": {}}
    for r in rows:
        person = r.lang if r.label in ("individual", "politician") else ""
        for key, value in (
            ("source", r.source),
            ("label", r.label or "?"),
            ("lang", r.lang),
            ("person_lang", person),
        ):
            if value:
                out[key][value] = out[key].get(value, 0) + 1
    return {k: dict(sorted(v.items())) for k, v in out.items()}
