"""One error family. The CLI catches :class:`ScoutError` and prints ``str(exc)`` as one
line (exit 2 for a user error, 1 otherwise); everything else is a bug and keeps its
traceback."""

from __future__ import annotations


class ScoutError(Exception):
    """Base class of every error this project raises on purpose; ``str()`` is one line."""

    exit_code = 1

    def __str__(self) -> str:
        text = super().__str__()
        return " ".join(text.split())  # one line, whatever the cause carried


class UserError(ScoutError):
    """Bad usage, a bad campaign file, an unusable path: exit 2."""

    exit_code = 2


class AddressRefused(ScoutError):
    """A host the address policy refuses (see :mod:`crawler.core.net`)."""


class ParseError(ScoutError, ValueError):
    """A record from the network that a parser cannot read (wrong type, missing key,
    bad value). Parsers raise only this; callers log it and count a skip."""


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line, for logs and the runs row."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
