-- crumb-store, SQLite, version 1: consent records and visitors.
-- Applied by src/sqlite.rs inside one transaction, recorded in schema_migrations.

-- Append-only: rows are inserted, never updated or deleted. The implicit
-- rowid keeps insertion order, which breaks ties between records of the
-- same millisecond in consent_history.
CREATE TABLE consent_records (
    receipt_id     TEXT PRIMARY KEY NOT NULL,
    consent_id     TEXT NOT NULL,
    site           TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    granted        TEXT NOT NULL, -- JSON array of category ids
    refused        TEXT NOT NULL, -- JSON array of category ids
    gpc            INTEGER NOT NULL, -- 0 or 1
    dnt            INTEGER NOT NULL, -- 0 or 1
    language       TEXT NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('given', 'updated', 'withdrawn')),
    recorded_at    INTEGER NOT NULL -- Unix milliseconds, UTC
) STRICT;
CREATE INDEX consent_records_by_consent_id ON consent_records (consent_id, recorded_at);
CREATE INDEX consent_records_by_site ON consent_records (site);

CREATE TABLE visitors (
    site       TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    first_seen INTEGER NOT NULL, -- Unix milliseconds, UTC
    last_seen  INTEGER NOT NULL, -- Unix milliseconds, UTC
    visits     INTEGER NOT NULL,
    PRIMARY KEY (site, visitor_id)
) STRICT;
