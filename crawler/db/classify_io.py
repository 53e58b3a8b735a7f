"""What the classifier reads (profiles with recent post texts) and writes back.

An organizer's correction (:mod:`crawler.db.overrides`) wins: after every write the
corrected fields are copied back over the classifier's values, in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

from crawler.db.connection import now, sql, unit
from crawler.db.overrides import Overrides

_WRITTEN = (
    "account_id",
    "role",
    "org_type",
    "language",
    "country",
    "scope",
    "role_confidence",
    "country_confidence",
    "class_reasons",
    "is_bot",
    "classified_at",
)


class ClassifyIO(Overrides):
    @unit
    def accounts_for_classification(
        self, only_new: bool = True, accounts: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Profiles plus up to 20 most recent post texts and what their websites'
        imprints state (``sites``: ``{url, country, legal_form}``), for ``nlp.classify``.

        ``only_new`` selects accounts never classified (``classified_at`` NULL),
        ``accounts`` the accounts named (None: every account).
        """
        params = {"only_new": only_new, "accounts": None if accounts is None else list(accounts)}
        df = self.con.execute(sql("accounts_for_classification"), params).df()
        df["fields"] = [json.loads(f) if isinstance(f, str) and f else [] for f in df["fields"]]
        # NULL lists arrive as None or pandas' NA, depending on the column's other rows
        df["labels"] = [[] if v is None or v is pd.NA else list(v) for v in df["labels"]]
        df["posts"] = [list(v) for v in df["posts"]]
        df["post_langs"] = [list(v) for v in df["post_langs"]]
        df["sites"] = pd.Series(
            [[] if v is None or v is pd.NA else [dict(x) for x in v] for v in df["sites"]],
            index=df.index,
            dtype="object",
        )
        return df

    def write_classifications(self, df: pd.DataFrame) -> int:
        """Write classifier output (one row per account_id); returns rows updated."""
        if df.empty:
            return 0
        frame = df.reindex(columns=list(_WRITTEN)).drop_duplicates("account_id", keep="last")
        frame = frame.copy()
        frame["class_reasons"] = [
            "; ".join(map(str, v)) if isinstance(v, list | tuple) else v
            for v in frame["class_reasons"]
        ]
        frame["is_bot"] = frame["is_bot"].astype("boolean").fillna(False).astype(bool)
        stamped = pd.to_datetime(frame["classified_at"], utc=True).astype("datetime64[us, UTC]")
        frame["classified_at"] = stamped.fillna(pd.Timestamp(now()).as_unit("us"))
        for c in ("role", "org_type", "language", "country", "scope", "class_reasons"):
            frame[c] = frame[c].astype("object").where(frame[c].notna(), None)
        with self.transaction(), self._registered("_classified_df", frame):
            changed = self._changed(
                "UPDATE accounts SET role = d.role, org_type = d.org_type,"
                " language = d.language, country = d.country, scope = d.scope,"
                " role_confidence = d.role_confidence::DOUBLE,"
                " country_confidence = d.country_confidence::DOUBLE,"
                " class_reasons = d.class_reasons,"
                " is_bot = accounts.is_bot OR d.is_bot,"
                " classified_at = d.classified_at::TIMESTAMPTZ "
                "FROM _classified_df d WHERE accounts.account_id = d.account_id"
            )
            self._apply_overrides()
            return changed
