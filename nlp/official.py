"""Servers a public administration runs for its own bodies (``[official]`` of
``data/lexicons/instances.toml``: ``social.bund.de``, ``bawü.social``...).

An account on such a server is a public body (or an office holder speaking for one) of
that member state at that level: the classifier reads it as organisation evidence and
states the type public_body for an account read as an organisation
(:mod:`nlp.classify`), the country component counts the server's member state as
strong evidence (:mod:`nlp.country`), and its level is the scope when the profile names
none (:mod:`nlp.scope`). Host names are compared in their ASCII (IDNA) form, so
``bawü.social`` and ``xn--baw-joa.social`` are one server.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from crawler.core.vocab import SCOPES, country_code
from nlp.lexicon import LEXICON_DIR


@dataclass(frozen=True)
class OfficialInstance:
    host: str  # as the lexicon spells it
    country: str  # member state code, "" for the EU institutions
    scope: str  # local | regional | national | european
    operator: str  # "the German federal administration"


def ascii_host(host: str) -> str:
    """``host`` lower case without port or trailing dot, in its IDNA (ASCII) form."""
    bare = host.strip().lower().rstrip(".").split(":")[0]
    try:
        return bare.encode("idna").decode("ascii")
    except UnicodeError:
        return bare


@lru_cache(maxsize=1)
def load_official(path: str = "") -> dict[str, OfficialInstance]:
    """ASCII host -> :class:`OfficialInstance`; a malformed entry is a ``ValueError``
    naming it (the lexicon ships with the code: a mistake there is a bug)."""
    file = Path(path) if path else LEXICON_DIR / "instances.toml"
    with file.open("rb") as fh:
        table = tomllib.load(fh).get("official", {})
    out: dict[str, OfficialInstance] = {}
    for host, entry in table.items():
        raw_country = str(entry.get("country", ""))
        country = country_code(raw_country) if raw_country else ""
        scope = str(entry.get("scope", ""))
        operator = str(entry.get("operator", "")).strip()
        if country is None or scope not in SCOPES or not operator:
            raise ValueError(f"{file.name}: [official] {host!r}: bad country, scope or operator")
        out[ascii_host(host)] = OfficialInstance(host, country, scope, operator)
    return out


def official_instance(instance: str | None) -> OfficialInstance | None:
    """The official server an account's instance is, or ``None``."""
    if not instance:
        return None
    return load_official().get(ascii_host(instance))
