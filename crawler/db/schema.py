"""The DuckDB schema: the analysts' public contract plus internal bookkeeping tables.

Migrations are applied in order; ``schema_meta.version`` records the last one applied.
Never edit a released migration: append a new one.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE IF NOT EXISTS accounts (
            account_id      VARCHAR PRIMARY KEY,
            platform        VARCHAR NOT NULL,
            handle          VARCHAR NOT NULL,
            display_name    VARCHAR,
            bio             VARCHAR,
            url             VARCHAR,
            followers_count BIGINT,
            following_count BIGINT,
            posts_count     BIGINT,
            is_bot          BOOLEAN DEFAULT FALSE,
            created_at      TIMESTAMPTZ,
            first_seen_at   TIMESTAMPTZ,
            last_seen_at    TIMESTAMPTZ,
            role            VARCHAR,
            org_type        VARCHAR,
            language        VARCHAR,
            country         VARCHAR,
            -- beyond the contract
            is_group        BOOLEAN DEFAULT FALSE,
            instance        VARCHAR,
            fields          JSON,
            labels          VARCHAR[],
            discoverable    BOOLEAN,
            indexable       BOOLEAN,
            noindex         BOOLEAN,
            role_confidence DOUBLE,
            country_confidence DOUBLE,
            class_reasons   VARCHAR,
            classified_at   TIMESTAMPTZ
        );
        CREATE TABLE IF NOT EXISTS posts (
            post_id       VARCHAR PRIMARY KEY,
            platform      VARCHAR NOT NULL,
            account_id    VARCHAR NOT NULL,
            url           VARCHAR,
            created_at    TIMESTAMPTZ,
            text          VARCHAR,
            lang          VARCHAR,
            hashtags      VARCHAR[],
            mentions      VARCHAR[],
            links         VARCHAR[],
            reply_to      VARCHAR,
            repost_of     VARCHAR,
            like_count    BIGINT,
            repost_count  BIGINT,
            reply_count   BIGINT,
            collected_at  TIMESTAMPTZ,
            -- beyond the contract
            quote_of      VARCHAR,
            source        VARCHAR,
            reply_to_ref  VARCHAR,
            sensitive     BOOLEAN DEFAULT FALSE
        );
        CREATE TABLE IF NOT EXISTS interactions (
            src_account_id VARCHAR NOT NULL,
            dst_account_id VARCHAR,
            kind           VARCHAR NOT NULL,
            post_id        VARCHAR NOT NULL,
            created_at     TIMESTAMPTZ,
            dst_handle     VARCHAR,
            dst_ref        VARCHAR
        );
        CREATE TABLE IF NOT EXISTS leads (
            campaign     VARCHAR NOT NULL,
            account_id   VARCHAR NOT NULL,
            platform     VARCHAR,
            handle       VARCHAR,
            display_name VARCHAR,
            url          VARCHAR,
            lead_type    VARCHAR NOT NULL,
            score        DOUBLE,
            rank         INTEGER,
            country      VARCHAR,
            language     VARCHAR,
            reasons      VARCHAR,
            -- the components the score is made of, so every number can be traced
            reach        DOUBLE,
            centrality   DOUBLE,
            role_fit     DOUBLE,
            stance       VARCHAR,
            activity     DOUBLE,
            country_need DOUBLE,
            campaign_posts BIGINT,
            ranked_at    TIMESTAMPTZ,
            stance_score DOUBLE  -- the 0..1 stance component (``stance`` keeps the word)
        );
        CREATE TABLE IF NOT EXISTS runs (
            run_id       VARCHAR PRIMARY KEY,
            campaign     VARCHAR NOT NULL,
            started_at   TIMESTAMPTZ,
            finished_at  TIMESTAMPTZ,
            status       VARCHAR,
            posts_new    BIGINT DEFAULT 0,
            accounts_new BIGINT DEFAULT 0,
            errors       BIGINT DEFAULT 0,
            -- beyond the contract
            skipped      JSON,
            stats        JSON
        );
        -- incremental collection: one cursor per (source, key), e.g. ("mastodon:host", "tag")
        CREATE TABLE IF NOT EXISTS cursors (
            source     VARCHAR NOT NULL,
            key        VARCHAR NOT NULL,
            value      VARCHAR,
            updated_at TIMESTAMPTZ,
            PRIMARY KEY (source, key)
        );
        -- server-local ids ("host#id") -> platform-wide ids, to resolve Mastodon replies
        CREATE TABLE IF NOT EXISTS refs (
            ref       VARCHAR PRIMARY KEY,
            target_id VARCHAR NOT NULL
        );
        -- posts that matched each campaign (a post may serve several campaigns)
        CREATE TABLE IF NOT EXISTS campaign_posts (
            campaign VARCHAR NOT NULL,
            post_id  VARCHAR NOT NULL,
            PRIMARY KEY (campaign, post_id)
        );
        -- erased accounts: only a salted hash survives, so they are never collected again
        CREATE TABLE IF NOT EXISTS forgotten (
            key_hash     VARCHAR PRIMARY KEY,
            forgotten_at TIMESTAMPTZ
        );
        -- accounts that opted out (platform flag or #nobot...), as salted hashes of their
        -- id and handle: mentions of them are dropped in later runs too; cleared when
        -- the account is seen again without the opt-out
        CREATE TABLE IF NOT EXISTS opted_out (
            key_hash VARCHAR PRIMARY KEY,
            reason   VARCHAR,
            seen_at  TIMESTAMPTZ
        );
        CREATE TABLE IF NOT EXISTS settings (
            name  VARCHAR PRIMARY KEY,
            value VARCHAR
        );
        -- per-campaign stance and engagement of an account
        CREATE TABLE IF NOT EXISTS account_campaign (
            campaign       VARCHAR NOT NULL,
            account_id     VARCHAR NOT NULL,
            stance         VARCHAR,
            stance_score   DOUBLE,
            campaign_posts BIGINT,
            last_post_at   TIMESTAMPTZ,
            PRIMARY KEY (campaign, account_id)
        );
        -- per campaign and EU member state: the ECI threshold, the signature count the
        -- organizers gave (NULL = not given) and whether it is a target country; written
        -- by the ranking, read by the ranking query and v_country_coverage
        CREATE TABLE IF NOT EXISTS campaign_countries (
            campaign   VARCHAR NOT NULL,
            country    VARCHAR NOT NULL,
            mep_seats  INTEGER,
            threshold  BIGINT,
            signatures BIGINT,
            is_target  BOOLEAN,
            PRIMARY KEY (campaign, country)
        );
        """,
    ),
    (
        2,
        """
        -- Mastodon-compatible servers the crawler knows: configured or discovered from the
        -- home instances of accounts seen in posts; nodeinfo says what software they run
        CREATE TABLE IF NOT EXISTS instances (
            host                VARCHAR PRIMARY KEY,  -- host[:port], as in cursors
            base_url            VARCHAR NOT NULL,
            software            VARCHAR,              -- nodeinfo software.name
            version             VARCHAR,              -- nodeinfo software.version
            speaks_mastodon_api BOOLEAN,              -- NULL: not checked (yet)
            restricted_tags     JSON,                 -- {"tag": "401" | "empty" | ...}
            robots_ok           BOOLEAN,              -- robots.txt allows the API
            first_seen_at       TIMESTAMPTZ,
            last_checked_at     TIMESTAMPTZ,
            discovered_from     VARCHAR               -- "config" or the host it was seen on
        );
        """,
    ),
    (
        3,
        """
        -- the contract grew: the level of an organisation or politician (local, regional,
        -- national, european; NULL when unclear), and one lead per identity
        ALTER TABLE accounts ADD COLUMN IF NOT EXISTS scope VARCHAR;
        ALTER TABLE leads ADD COLUMN IF NOT EXISTS scope VARCHAR;
        ALTER TABLE leads ADD COLUMN IF NOT EXISTS identity_id VARCHAR;
        ALTER TABLE leads ADD COLUMN IF NOT EXISTS handles VARCHAR[];
        """,
    ),
    (
        4,
        """
        -- an organizer's corrections of the classifier (field: role, org_type, country,
        -- scope); they win over the classifier everywhere and survive every crawl
        CREATE TABLE IF NOT EXISTS overrides (
            account_id VARCHAR NOT NULL,
            field      VARCHAR NOT NULL,
            value      VARCHAR,
            updated_at TIMESTAMPTZ,
            PRIMARY KEY (account_id, field)
        );
        -- the campaign post that decided an account's stance, quoted in the lead reasons
        ALTER TABLE account_campaign ADD COLUMN IF NOT EXISTS stance_post_url VARCHAR;
        ALTER TABLE account_campaign ADD COLUMN IF NOT EXISTS stance_evidence VARCHAR;
        """,
    ),
    (
        5,
        """
        -- follow edges around seed accounts and starter packs (src follows dst); a rerun
        -- refreshes last_seen_at; gone_at is set when a complete walk no longer lists it
        CREATE TABLE IF NOT EXISTS follows (
            src_account_id VARCHAR NOT NULL,
            dst_account_id VARCHAR NOT NULL,
            platform       VARCHAR NOT NULL,
            first_seen_at  TIMESTAMPTZ,
            last_seen_at   TIMESTAMPTZ,
            gone_at        TIMESTAMPTZ,
            PRIMARY KEY (src_account_id, dst_account_id)
        );
        -- each seed list walked (followers, following, a starter pack) and how it ended
        CREATE TABLE IF NOT EXISTS seed_lists (
            list_id     VARCHAR PRIMARY KEY,
            seed        VARCHAR,
            account_id  VARCHAR,
            kind        VARCHAR,   -- followers | following | starter_pack
            platform    VARCHAR,
            status      VARCHAR,   -- complete | truncated | hidden | refused | failed | not_found
            items       BIGINT,
            reason      VARCHAR,
            started_at  TIMESTAMPTZ,
            finished_at TIMESTAMPTZ
        );
        -- members of lists that are not follow edges (starter packs)
        CREATE TABLE IF NOT EXISTS list_members (
            list_id       VARCHAR NOT NULL,
            account_id    VARCHAR NOT NULL,
            platform      VARCHAR,
            first_seen_at TIMESTAMPTZ,
            last_seen_at  TIMESTAMPTZ,
            gone_at       TIMESTAMPTZ,
            PRIMARY KEY (list_id, account_id)
        );
        -- which lists and seed accounts belong to which campaign
        CREATE TABLE IF NOT EXISTS campaign_seeds (
            campaign   VARCHAR NOT NULL,
            list_id    VARCHAR NOT NULL,
            account_id VARCHAR,
            seed       VARCHAR,
            kind       VARCHAR,
            PRIMARY KEY (campaign, list_id)
        );
        -- graph measures per campaign over follows and interactions together
        CREATE TABLE IF NOT EXISTS account_graph (
            campaign     VARCHAR NOT NULL,
            account_id   VARCHAR NOT NULL,
            pagerank     DOUBLE,
            community    INTEGER,
            in_degree    BIGINT,
            out_degree   BIGINT,
            seeds_followed VARCHAR[],   -- seed accounts this account follows
            PRIMARY KEY (campaign, account_id)
        );
        CREATE TABLE IF NOT EXISTS communities (
            campaign        VARCHAR NOT NULL,
            community       INTEGER NOT NULL,
            size            BIGINT,
            languages       VARCHAR[],  -- most frequent first
            countries       VARCHAR[],
            top_hashtags    VARCHAR[],
            central_members VARCHAR[],  -- account_ids, most central first
            label           VARCHAR,    -- e.g. "pl · climate, klimat"
            PRIMARY KEY (campaign, community)
        );
        -- related hashtags an organizer accepted (`scout hashtags --accept`): later crawls
        -- follow them when [campaign] follow_related = true
        CREATE TABLE IF NOT EXISTS campaign_hashtags (
            campaign    VARCHAR NOT NULL,
            tag         VARCHAR NOT NULL,
            accepted_at TIMESTAMPTZ,
            PRIMARY KEY (campaign, tag)
        );
        """,
    ),
    (
        6,
        """
        -- organizers' outreach state per campaign and lead; a crawl never rewrites it
        CREATE TABLE IF NOT EXISTS lead_status (
            campaign   VARCHAR NOT NULL,
            account_id VARCHAR NOT NULL,
            status     VARCHAR,   -- new | to_contact | contacted | replied | joined | ...
            owner      VARCHAR,
            note       VARCHAR,
            updated_at TIMESTAMPTZ,
            PRIMARY KEY (campaign, account_id)
        );
        -- one row per change of lead_status, never updated
        CREATE TABLE IF NOT EXISTS lead_status_history (
            campaign   VARCHAR NOT NULL,
            account_id VARCHAR NOT NULL,
            status     VARCHAR,
            owner      VARCHAR,
            note       VARCHAR,
            changed_at TIMESTAMPTZ,
            changed_by VARCHAR
        );
        """,
    ),
    (
        7,
        """
        -- websites of leads read by the website pass (spiders/websites.py): one row per
        -- (account, site); status ok | robots | refused | error | not_html
        CREATE TABLE IF NOT EXISTS websites (
            url         VARCHAR NOT NULL,   -- the site's home URL as the account names it
            account_id  VARCHAR NOT NULL,
            status      VARCHAR,
            fetched_at  TIMESTAMPTZ,
            legal_form  VARCHAR,            -- e.V., asbl, Stichting, ... as the imprint says
            country     VARCHAR,            -- ISO 3166 alpha-2 of the imprint's address
            languages   VARCHAR[],          -- html lang / hreflang, else detected
            register_id VARCHAR,            -- "VR 12345 B", "KvK 41234567", "SIREN ..."
            pages       VARCHAR[],          -- the pages read (robots.txt not counted)
            reason      VARCHAR,            -- why not ok, in words
            source      VARCHAR,            -- where the account names it: field | bio | handle
            verified    BOOLEAN,            -- the link is proven both ways (rel=me, handle)
            links_back  BOOLEAN,            -- the site links to the account's profile
            final_url   VARCHAR,            -- after redirects
            PRIMARY KEY (account_id, url)
        );
        -- contact routes per account: kind website | email | contact_form | profile
        CREATE TABLE IF NOT EXISTS contacts (
            account_id  VARCHAR NOT NULL,
            kind        VARCHAR NOT NULL,
            value       VARCHAR NOT NULL,
            source_url  VARCHAR,            -- the page (or profile) it was read from
            verified    BOOLEAN,            -- website: rel=me both ways; profile: rel=me
            seen_at     TIMESTAMPTZ,
            PRIMARY KEY (account_id, kind, value)
        );
        """,
    ),
    (
        8,
        """
        -- accounts that are one person or organisation (strong evidence only): one row
        -- per merged account; an account not listed is its own identity
        CREATE TABLE IF NOT EXISTS identities (
            identity_id VARCHAR NOT NULL,   -- the smallest account_id of the group
            account_id  VARCHAR PRIMARY KEY,
            evidence    VARCHAR,            -- how it is linked, in words
            linked_at   TIMESTAMPTZ
        );
        -- weak evidence, never merged silently: an organizer confirms or rejects it
        CREATE TABLE IF NOT EXISTS identity_suggestions (
            account_id       VARCHAR NOT NULL,   -- the smaller id of the pair
            other_account_id VARCHAR NOT NULL,
            evidence         VARCHAR,
            score            DOUBLE,
            status           VARCHAR,            -- suggested | confirmed | rejected
            found_at         TIMESTAMPTZ,
            decided_at       TIMESTAMPTZ,
            PRIMARY KEY (account_id, other_account_id)
        );
        """,
    ),
    (
        9,
        """
        -- how a stranger reaches the account: Mastodon locked (follows need approval),
        -- Bluesky associated.chat.allowIncoming (all | following | none)
        ALTER TABLE accounts ADD COLUMN IF NOT EXISTS locked BOOLEAN;
        ALTER TABLE accounts ADD COLUMN IF NOT EXISTS chat_allow_incoming VARCHAR;
        """,
    ),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]
