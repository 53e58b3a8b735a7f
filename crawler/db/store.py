"""DuckDB storage: the one :class:`Store` every layer above is handed.

``Store`` is composed of one part per job, each in its own module:
:mod:`~crawler.db.connection` (open, migrate, transactions, Arrow registration),
:mod:`~crawler.db.loads` (keyed Arrow-batch upserts of items),
:mod:`~crawler.db.follows` (follow edges, seed lists, starter-pack members),
:mod:`~crawler.db.hashtags` (related and accepted hashtags),
:mod:`~crawler.db.graph` (the campaign graph and its measures), :mod:`~crawler.db.runs`
(runs and cursors), :mod:`~crawler.db.instances` (the Mastodon instance registry),
:mod:`~crawler.db.campaigns` (campaign posts, texts, engagement, stance rows),
:mod:`~crawler.db.classify_io` (classifier input and output),
:mod:`~crawler.db.overrides` (organizers' corrections),
:mod:`~crawler.db.outreach` (organizers' lead status, owner, notes and history),
:mod:`~crawler.db.websites` (websites of leads and their contact routes) and
:mod:`~crawler.db.erasure` (forget, opt-outs, deleted posts, retention). Read models
for ranking, exports, the report and the CLI summaries are functions of a store in
:mod:`~crawler.db.readmodels`.
"""

from __future__ import annotations

from crawler.db.campaigns import Campaigns
from crawler.db.classify_io import ClassifyIO
from crawler.db.connection import (
    SNAPSHOT_EVERY,
    Connection,
    DatabaseBusy,
    StorageError,
    snapshot_path,
)
from crawler.db.contact_routes import ContactRoutes
from crawler.db.erasure import Erasure, normalise_key
from crawler.db.follows import FOLLOW_BATCH_SCHEMA, MEMBER_BATCH_SCHEMA, Follows
from crawler.db.graph import Graph
from crawler.db.hashtags import Hashtags
from crawler.db.identities import Identities
from crawler.db.instances import INSTANCE_BATCH_SCHEMA, Instances
from crawler.db.loads import (
    ACCOUNT_BATCH_SCHEMA,
    CLASSIFICATION_COLUMNS,
    INTERACTION_BATCH_SCHEMA,
    POST_BATCH_SCHEMA,
    REF_BATCH_SCHEMA,
    REF_PREFIX,
    Loads,
)
from crawler.db.outreach import Outreach
from crawler.db.overrides import OVERRIDE_FIELDS, Overrides
from crawler.db.runs import Runs
from crawler.db.websites import CONTACT_BATCH_SCHEMA, WEBSITE_BATCH_SCHEMA, Websites

__all__ = [
    "ACCOUNT_BATCH_SCHEMA",
    "CONTACT_BATCH_SCHEMA",
    "CLASSIFICATION_COLUMNS",
    "FOLLOW_BATCH_SCHEMA",
    "MEMBER_BATCH_SCHEMA",
    "INSTANCE_BATCH_SCHEMA",
    "INTERACTION_BATCH_SCHEMA",
    "OVERRIDE_FIELDS",
    "POST_BATCH_SCHEMA",
    "REF_BATCH_SCHEMA",
    "REF_PREFIX",
    "SNAPSHOT_EVERY",
    "WEBSITE_BATCH_SCHEMA",
    "DatabaseBusy",
    "StorageError",
    "Store",
    "normalise_key",
    "snapshot_path",
]


class Store(
    Loads,
    Follows,
    Hashtags,
    Graph,
    Runs,
    Instances,
    Campaigns,
    ClassifyIO,
    Overrides,
    Outreach,
    Websites,
    Identities,
    ContactRoutes,
    Erasure,
    Connection,
):
    """One DuckDB database file holding everything eci-scout collects and derives."""
