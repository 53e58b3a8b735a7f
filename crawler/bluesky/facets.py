"""Rich-text facets of a Bluesky post (``app.bsky.richtext.facet``).

A facet marks a UTF-8 *byte* range of the post text with features: a hashtag, a
mention (by DID) or a link.  A facet whose range is missing, out of range or splits a
multi-byte character is skipped as a whole, and so is a feature of an unknown type or
without its value: nothing here raises on a malformed facet.
"""

from __future__ import annotations

from typing import Any

from crawler.core.text import normalise_tag, utf8_slice_bytes

FACET_TAG = "app.bsky.richtext.facet#tag"
FACET_MENTION = "app.bsky.richtext.facet#mention"
FACET_LINK = "app.bsky.richtext.facet#link"


def unique(values: list[str]) -> list[str]:
    """``values`` without repeats, first occurrence first."""
    return list(dict.fromkeys(values))


def facet_features(text: str, facets: Any) -> list[tuple[str, str, str]]:
    """``(feature type, value, sliced text)`` for every usable facet feature."""
    if not facets or not isinstance(facets, list):
        return []
    data = text.encode("utf-8")
    out: list[tuple[str, str, str]] = []
    for facet in facets:
        if not isinstance(facet, dict):
            continue
        index = facet.get("index")
        if not isinstance(index, dict):
            continue
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not isinstance(start, int) or not isinstance(end, int):
            continue
        try:
            piece = utf8_slice_bytes(data, start, end)
        except ValueError:
            continue
        features = facet.get("features")
        for feature in features if isinstance(features, list) else []:
            if not isinstance(feature, dict):
                continue
            kind = feature.get("$type")
            if kind == FACET_TAG:
                value = feature.get("tag")
            elif kind == FACET_MENTION:
                value = feature.get("did")
                if not (isinstance(value, str) and value.startswith("did:")):
                    continue
            elif kind == FACET_LINK:
                value = feature.get("uri")
            else:
                continue
            if isinstance(value, str) and value:
                out.append((kind, value, piece))
    return out


def facets_to_parts(
    text: str, facets: list[dict[str, Any]]
) -> tuple[list[str], list[str], list[str]]:
    """``(hashtags, mention_dids, links)`` from a post's facets.

    Hashtags are lower case without ``#``; each list is unique and in text order.
    """
    tags: list[str] = []
    dids: list[str] = []
    links: list[str] = []
    for kind, value, _piece in facet_features(text, facets):
        if kind == FACET_TAG:
            tag = normalise_tag(value)
            if tag:
                tags.append(tag)
        elif kind == FACET_MENTION:
            dids.append(value)
        else:
            links.append(value)
    return unique(tags), unique(dids), unique(links)
