-- crumb-store, PostgreSQL, version 1: consent records and visitors.
-- Applied by src/postgres.rs inside one transaction under an advisory lock,
-- recorded in schema_migrations.

-- Append-only: rows are inserted, never updated or deleted. seq keeps
-- insertion order, which breaks ties between records of the same
-- millisecond in consent_history.
CREATE TABLE consent_records (
    receipt_id     TEXT PRIMARY KEY,
    seq            BIGINT GENERATED ALWAYS AS IDENTITY,
    consent_id     TEXT NOT NULL,
    site           TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    granted        TEXT[] NOT NULL,
    refused        TEXT[] NOT NULL,
    gpc            BOOLEAN NOT NULL,
    dnt            BOOLEAN NOT NULL,
    language       TEXT NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('given', 'updated', 'withdrawn')),
    recorded_at    BIGINT NOT NULL -- Unix milliseconds, UTC
);
CREATE INDEX consent_records_by_consent_id ON consent_records (consent_id, recorded_at);
CREATE INDEX consent_records_by_site ON consent_records (site);

CREATE TABLE visitors (
    site       TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    first_seen BIGINT NOT NULL, -- Unix milliseconds, UTC
    last_seen  BIGINT NOT NULL, -- Unix milliseconds, UTC
    visits     BIGINT NOT NULL,
    PRIMARY KEY (site, visitor_id)
);
