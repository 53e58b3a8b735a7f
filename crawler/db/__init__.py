"""The database layer: the only code that executes SQL (see :mod:`crawler.db.store`)."""

from crawler.db.connection import StorageError
from crawler.db.store import Store

__all__ = ["StorageError", "Store"]
