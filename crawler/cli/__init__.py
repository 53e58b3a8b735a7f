"""``scout``: the command line of eci-scout (public contract in DESIGN.md).

Exit codes: 0 success; 2 bad usage, bad campaign file or unusable database (one line on
stderr, never a traceback); 1 a run that failed for another reason (one line too).
Errors raised on purpose are :class:`~crawler.core.errors.ScoutError`; the exception
class gives the exit code. The CLI only formats and prints: the work, and every read
of the database, is done by ``crawler.app``.
"""

from __future__ import annotations

import inspect
import os
import sys

import typer

# typer vendors click; its usage errors are these classes, not the click package's
from typer._click import exceptions as usage_errors

from crawler.cli import commands, identities, tools  # noqa: F401  (registers the commands)
from crawler.cli.base import app, err, out
from crawler.core.errors import ScoutError, UserError
from crawler.core.terminal import plain

__all__ = ["app", "err", "main", "out"]


def _one_line_summaries() -> None:
    """``scout --help`` lists each command with its docstring's first paragraph, and
    typer's rich markup mode keeps that paragraph's line breaks there ("... until" /
    "Ctrl-C, ..."): give every command its first paragraph on one line as its summary."""
    for info in app.registered_commands:
        if info.short_help is None:
            doc = info.help or inspect.getdoc(info.callback) or ""
            info.short_help = " ".join(doc.split("\n\n", 1)[0].split())


_one_line_summaries()


def _fail(message: str, code: int) -> None:
    """One line on stderr (never wrapped, whatever the terminal width), then exit."""
    sys.stderr.write(plain(message, one_line=True) + "\n")
    sys.exit(code)


def main() -> None:
    try:
        # not standalone: usage errors come here and are printed as one line too
        code = app(standalone_mode=False)
    except usage_errors.NoArgsIsHelpError as exc:  # `scout` alone: typer printed the help
        sys.exit(exc.exit_code)
    except usage_errors.ClickException as exc:  # bad usage, e.g. a missing argument
        _fail(f"scout: error: {exc.format_message()}", exc.exit_code)
    except typer.Abort:  # end of input at a prompt
        _fail("scout: aborted", 1)
    except ScoutError as exc:  # on purpose: the class says user error (2) or failure (1)
        kind = "error" if isinstance(exc, UserError) else "failed"
        _fail(f"scout: {kind}: {exc}", exc.exit_code)
    except KeyboardInterrupt:
        _fail("scout: interrupted; the next run resumes where this one stopped", 130)
    except Exception as exc:  # one line for the user; SCOUT_DEBUG=1 shows the traceback
        if os.environ.get("SCOUT_DEBUG"):
            raise
        _fail(f"scout: failed: {type(exc).__name__}: {exc} (SCOUT_DEBUG=1 shows details)", 1)
    sys.exit(code if isinstance(code, int) else 0)
