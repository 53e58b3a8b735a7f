"""A profile as one text with labelled sections, the input of every component.

``text_and_sections`` joins the display name, the bio and the profile fields (one line
each, ``"<name>: <value>"`` for a field) and returns the character range of each part
with its label: ``name``, ``bio``, ``field <name>`` (``field`` for an unnamed field).
Components read the labels from ``doc._.scout_sections`` to say where a word was found.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from crawler.core.net import host_key
from crawler.core.vocab import country_code

FIELD = "field"


def text_of(value: Any) -> str:
    """Plain string of a profile value; None and NaN (from DataFrames) are empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def site_host(url: Any) -> str:
    """The host of a website's URL as reasons name it: lower case, no scheme, no
    ``www.`` ("https://www.luft.example.org/kontakt" -> "luft.example.org")."""
    text = text_of(url).strip()
    return host_key(text if "://" in text else "//" + text).removeprefix("www.")


def site_rows(sites: Any) -> list[Mapping[str, Any]]:
    """The ``{url, country, legal_form}`` mappings of a profile's ``sites`` (the
    ``websites`` rows the website pass wrote); anything else (a JSON line's value may be
    anything) gives none."""
    if not isinstance(sites, list | tuple):
        return []
    return [s for s in sites if isinstance(s, Mapping)]


def field_pairs(fields: Iterable[Any] | None) -> list[tuple[str, str]]:
    """``(name, value)`` of profile fields given as mappings or objects."""
    out: list[tuple[str, str]] = []
    for f in fields or []:
        if isinstance(f, Mapping):
            out.append((text_of(f.get("name")), text_of(f.get("value"))))
        else:
            out.append((text_of(getattr(f, "name", None)), text_of(getattr(f, "value", None))))
    return out


def field_name(label: str) -> str | None:
    """The field name of a ``field <name>`` section label; None for another section."""
    if label == FIELD:
        return ""
    if label.startswith(FIELD + " "):
        return label[len(FIELD) + 1 :]
    return None


def field_value_start(start: int, label: str) -> int:
    """Where the value of a field section starts (after ``"<name>: "``)."""
    return start + len(field_name(label) or "") + 2


def text_and_sections(
    display_name: Any, bio: Any, fields: Iterable[Any] | None
) -> tuple[str, list[tuple[int, int, str]]]:
    """One text for the profile and its ``(start_char, end_char, label)`` sections."""
    parts: list[tuple[str, str]] = []
    name = text_of(display_name).strip()
    about = text_of(bio).strip()
    if name:
        parts.append(("name", name))
    if about:
        parts.append(("bio", about))
    for fname, value in field_pairs(fields):
        fname = fname.strip()
        if value.strip():
            parts.append((f"{FIELD} {fname}" if fname else FIELD, f"{fname}: {value}"))
    text = ""
    sections: list[tuple[int, int, str]] = []
    for label, chunk in parts:
        start = len(text)
        text += chunk
        sections.append((start, len(text), label))
        text += "\n"
    return text, sections


def site_countries(sites: Any) -> list[tuple[str, str]]:
    """``(host, member state)`` of the websites whose imprint gives an address in a
    member state; ``sites`` are ``{url, country, ...}`` mappings (``websites`` rows)."""
    out: list[tuple[str, str]] = []
    for site in site_rows(sites):
        code = country_code(str(site.get("country") or ""))
        host = site_host(site.get("url"))
        if code and host and (host, code) not in out:
            out.append((host, code))
    return out


def instance_of(profile: Mapping[str, Any]) -> str | None:
    """A Mastodon account's server: its ``instance``, else the host of its handle
    (``ola@mastodon.pl``); None for other platforms without one."""
    given = text_of(profile.get("instance")).strip()
    if given:
        return given
    handle = text_of(profile.get("handle")).strip()
    if profile.get("platform") == "mastodon" and "@" in handle.lstrip("@"):
        return handle.rsplit("@", 1)[1].lower() or None
    return None
