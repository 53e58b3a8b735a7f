"""Transitional: ``crawler/fetch/middlewares.py`` still imports ``StatsLike`` from here;
it lives in :mod:`crawler.core.protocols`. Remove this module once that import moves."""

from crawler.core.protocols import StatsLike

__all__ = ["StatsLike"]
