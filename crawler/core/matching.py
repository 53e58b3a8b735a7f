"""Does a post belong to the campaign? One rule, two executions that agree.

A post matches when one of its hashtags is a campaign hashtag, or its text holds a
campaign hashtag (``#tag``) or a campaign keyword as a whole word (case-insensitive,
any run of white space between the words of a phrase). "Whole word" means not glued to
a letter, digit or underscore of any alphabet: ``ECI`` matches "the ECI!" but not
"ECIs" or "speci".

:class:`CampaignMatcher` decides in Python (collectors, the live stream, the stance
scorer) and hands the same rule to SQL (:data:`SQL_PREDICATE` with the parameters of
:meth:`CampaignMatcher.sql_params`), so a post that the store counts as a campaign post
is one that the stance scorer reads, and the other way round. ``tests/test_matching.py``
runs both on real and tricky texts.

Python's ``re`` and DuckDB's RE2 differ in what ``\\w`` means (Unicode there, ASCII
here), so the word boundary is spelt out per engine: ``[^\\w]`` in Python is
``[^\\p{L}\\p{N}_]`` in RE2. Case is folded by each engine (``(?i)``), which treats
Greek final sigma like sigma in both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from crawler.core.text import normalise_tag

# Characters of a run of white space inside a keyword phrase, literal in both engines.
_SPACE_CLASS: Final = "[\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"
_META: Final = frozenset("\\.^$|?*+()[]{}#-&~")

# The rule in SQL: ``p`` is the posts table (or any relation with ``hashtags`` and
# ``text``); values come as named parameters from :meth:`CampaignMatcher.sql_params`.
SQL_PREDICATE: Final = (
    "(list_has_any(p.hashtags, $campaign_tags::VARCHAR[])"
    " OR coalesce(regexp_matches(coalesce(p.text, ''), $campaign_pattern), false))"
)


def _escape(literal: str) -> str:
    """A literal for both engines: metacharacters escaped, other characters as they are
    (``re.escape`` would escape spaces and letters RE2 does not accept escaped)."""
    return "".join(f"\\{ch}" if ch in _META else ch for ch in literal)


def _phrase(words: str) -> str:
    return _SPACE_CLASS.join(_escape(w) for w in words.split())


class CampaignMatcher:
    """The campaign's hashtags and keywords, decided the same way everywhere."""

    def __init__(self, hashtags: Iterable[str], keywords: Iterable[str]) -> None:
        self.tags: frozenset[str] = frozenset(t for t in (normalise_tag(h) for h in hashtags) if t)
        words = (" ".join(k.split()) for k in keywords)
        self.keywords: tuple[str, ...] = tuple(dict.fromkeys(w.lower() for w in words if w))
        alternatives = [f"[#＃]{_phrase(t)}" for t in sorted(self.tags)]
        alternatives += [_phrase(k) for k in self.keywords]
        body = "|".join(alternatives)
        self._python: re.Pattern[str] | None = (
            re.compile(rf"(?:^|[^\w])(?:{body})(?:[^\w]|$)", re.IGNORECASE) if body else None
        )
        self.re2_pattern: str | None = (
            rf"(?i)(?:^|[^\p{{L}}\p{{N}}_])(?:{body})(?:[^\p{{L}}\p{{N}}_]|$)" if body else None
        )

    @classmethod
    def for_campaign(cls, section: Any) -> CampaignMatcher:
        """From a ``[campaign]`` section (anything with ``hashtags`` and ``keywords``)."""
        return cls(section.hashtags, section.keywords)

    def __bool__(self) -> bool:
        return self._python is not None

    def matches_text(self, text: str | None) -> bool:
        """The text names a campaign hashtag or keyword."""
        if not text or self._python is None:
            return False
        return self._python.search(text) is not None

    def matches(self, text: str | None, hashtags: Iterable[str | None] = ()) -> bool:
        """A post with this text and these hashtags (as a platform gives them) belongs to
        the campaign."""
        if self.tags and any(normalise_tag(t) in self.tags for t in hashtags):
            return True
        return self.matches_text(text)

    def sql_params(self) -> Mapping[str, Any]:
        """Named parameters for :data:`SQL_PREDICATE`."""
        return {"campaign_tags": sorted(self.tags), "campaign_pattern": self.re2_pattern}
