"""Strings from the network reach the terminal as plain text (DESIGN.md, Safety).

A display name, bio, handle or error message that quotes one may carry rich markup
(``[/bold]`` breaks a table, ``[link=file:///...]`` makes a hyperlink), ANSI escape
sequences (colours, cursor moves, OSC 8 links, title changes) or bidi overrides that
reorder what the reader sees. :func:`plain` removes the control characters;
:func:`cell` wraps the result in a rich ``Text`` (never parsed as markup) and
:func:`markup_safe` escapes it for an f-string printed with markup on.
"""

from __future__ import annotations

import re

from rich.markup import escape
from rich.text import Text

# C0 controls but tab and newline, DEL, C1 controls (CSI = U+009B starts escape sequences
# too), bidi embeddings/overrides/isolates, and the line and paragraph separators
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
# a whole ANSI/VT escape sequence: CSI ... final byte, OSC ... BEL/ST, or ESC + one char
_ESCAPE_SEQ = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x9b[0-?]*[ -/]*[@-~]|\x1b."
)


def plain(value: object, *, one_line: bool = False) -> str:
    """``str(value)`` without escape sequences or control characters (tab and newline
    kept, or folded into spaces with ``one_line``)."""
    text = "" if value is None else str(value)
    text = _CONTROL.sub("", _ESCAPE_SEQ.sub("", text))
    if one_line:
        text = " ".join(text.split())
    return text


def markup_safe(value: object, *, one_line: bool = True) -> str:
    """:func:`plain` text escaped for a rich markup string."""
    return escape(plain(value, one_line=one_line))


def cell(value: object) -> Text:
    """A table cell or line that rich never interprets as markup."""
    return Text(plain(value))
