-- crumb-store, SQLite, version 2: accounts, sessions, remember-me tokens,
-- devices and sign-in throttling.
-- Applied by src/sqlite.rs inside one transaction, recorded in schema_migrations.
-- Every row that belongs to a user references accounts with ON DELETE
-- CASCADE (foreign_keys is ON for every connection), so deleting the account
-- deletes them; login_failures is keyed by e-mail or address, not by user,
-- and delete_account clears its `email:<folded>` rows itself.

CREATE TABLE accounts (
    user_id           TEXT PRIMARY KEY NOT NULL,
    email             TEXT NOT NULL,
    email_folded      TEXT NOT NULL UNIQUE,
    password_hash     TEXT NOT NULL, -- Argon2id PHC string
    is_admin          INTEGER NOT NULL CHECK (is_admin IN (0, 1)),
    created_at        INTEGER NOT NULL, -- Unix milliseconds, UTC
    theft_detected_at INTEGER -- Unix milliseconds, UTC; NULL when not flagged
) STRICT;

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY NOT NULL, -- SHA-256 of the session id, hex
    user_id    TEXT NOT NULL REFERENCES accounts (user_id) ON DELETE CASCADE,
    device_id  TEXT NOT NULL,
    created_at INTEGER NOT NULL, -- Unix milliseconds, UTC
    last_seen  INTEGER NOT NULL  -- Unix milliseconds, UTC
) STRICT;
CREATE INDEX sessions_by_user ON sessions (user_id, device_id);

CREATE TABLE remember_tokens (
    selector                TEXT PRIMARY KEY NOT NULL,
    validator_hash          TEXT NOT NULL, -- SHA-256 of the validator, hex
    previous_validator_hash TEXT,          -- the one it replaced, for theft detection
    user_id                 TEXT NOT NULL REFERENCES accounts (user_id) ON DELETE CASCADE,
    device_id               TEXT NOT NULL,
    created_at              INTEGER NOT NULL, -- Unix milliseconds, UTC
    expires_at              INTEGER NOT NULL  -- Unix milliseconds, UTC
) STRICT;
CREATE INDEX remember_tokens_by_user ON remember_tokens (user_id, device_id);

CREATE TABLE devices (
    user_id           TEXT NOT NULL REFERENCES accounts (user_id) ON DELETE CASCADE,
    device_id         TEXT NOT NULL,
    browser           TEXT NOT NULL,
    os                TEXT NOT NULL,
    first_seen        INTEGER NOT NULL, -- Unix milliseconds, UTC
    last_seen         INTEGER NOT NULL, -- Unix milliseconds, UTC
    linked_visitor_id TEXT,             -- set only with cross-device consent
    PRIMARY KEY (user_id, device_id)
) STRICT;

-- One row per failed sign-in; rows older than the window are deleted when
-- the next failure of the key is recorded.
CREATE TABLE login_failures (
    key TEXT NOT NULL, -- 'email:<folded>' or 'ip:<addr>'
    at  INTEGER NOT NULL -- Unix milliseconds, UTC
) STRICT;
CREATE INDEX login_failures_by_key ON login_failures (key, at);
