"""What every ``scout`` command shares: the typer app, the consoles, the options and
the checks of paths and codes made before any work starts."""

from __future__ import annotations

import logging
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from crawler.core import vocab
from crawler.core.config import Campaign, load_campaign
from crawler.core.errors import UserError
from crawler.core.vocab import LEAD_TYPES, country_code

DB_PATH = Path(vocab.DEFAULT_DB)  # --db default

# --type choices: the lead types of the vocabulary, in display order
LeadType = StrEnum("LeadType", [(t.upper(), t) for t in LEAD_TYPES])  # type: ignore[misc]

app = typer.Typer(
    name="scout",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


def version_text() -> str:
    """``scout 0.1.0 (classifier model 1.4.1)``: what a bug report needs, without
    loading spaCy (the model's version is read from its ``meta.json``)."""
    import json
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version("eci-scout")
    except PackageNotFoundError:  # run from a checkout that was never installed
        package = "unknown"
    meta = Path(__file__).resolve().parents[2] / "nlp" / "models" / "scout_textcat" / "meta.json"
    try:
        model = str(json.loads(meta.read_text(encoding="utf-8")).get("version", "unknown"))
    except (OSError, ValueError):
        model = "missing"
    return f"scout {package} (classifier model {model})"


def _print_version(value: bool) -> None:
    if value:
        out.print(version_text(), markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version (and the classifier model's) and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Find the partners who will carry a European Citizens' Initiative."""


DbOpt = Annotated[
    Path, typer.Option("--db", help="DuckDB database file.", show_default=True, dir_okay=False)
]
CampaignArg = Annotated[Path, typer.Argument(help="Campaign file (TOML).", dir_okay=False)]
TypeOpt = Annotated[
    LeadType | None,
    typer.Option("--type", "-t", help="Lead type.", case_sensitive=False),
]


def _country_code(value: str | None) -> str | None:
    """--country: an EU member state code (``EL`` accepted), refused as usage otherwise
    (a filter on ``UK`` would write an empty file and say nothing)."""
    if value is None:
        return None
    code = country_code(value)
    if code is None:
        raise typer.BadParameter(f"not an EU member state code: {value[:40]!r}")
    return code


CountryOpt = Annotated[
    str | None,
    typer.Option(
        "--country",
        "-c",
        help="ISO 3166 alpha-2 code of an EU member state, e.g. DE.",
        callback=_country_code,
    ),
]
ScopeOpt = Annotated[
    str | None,
    typer.Option("--scope", help="Level: local, regional, national or european."),
]


def _one_line(record: logging.LogRecord) -> bool:
    """Without -v a log record is one plain line: no traceback (cron mails stay short)."""
    if record.exc_info or record.exc_text:
        record.exc_info, record.exc_text = None, None
        record.msg = f"{record.getMessage()} (-v shows the traceback)"
        record.args = None
    return True


def setup_logging(verbose: bool) -> None:
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.root.handlers:
        handler.setLevel(level)
        if not verbose:
            handler.addFilter(_one_line)


def load_campaign_file(path: Path, *, fetches: bool = True) -> Campaign:
    """The campaign file; ``fetches=False`` for commands that fetch nothing (they accept
    loopback and private hosts without ``SCOUT_ALLOWED_HOSTS``: ``scout leads`` on the
    demo's campaign file)."""
    return load_campaign(path, fetches=fetches)


def type_name(lead_type: Any) -> str | None:
    return None if lead_type is None else str(lead_type.value)


def writable(path: Path, what: str) -> Path:
    """``path`` can be written (its folder exists and takes a new file, it is no folder
    itself), else a :class:`UserError` (exit 2) before any work is done. Tried for real:
    permission bits say nothing to root or on read-only and virtual file systems."""
    import tempfile

    if path.is_dir():
        raise UserError(f"{what} {path}: is a folder, not a file")
    folder = path.parent
    if not folder.is_dir():
        why = "is not a folder" if folder.exists() else "does not exist"
        raise UserError(f"{what} {path}: {folder} {why}")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".scout-probe-"):
            pass
    except OSError as exc:
        raise UserError(f"{what} {path}: cannot write in {folder} ({exc.strerror})") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise UserError(f"{what} {path}: not writable")
    return path
