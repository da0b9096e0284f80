-- crumb-store, PostgreSQL, version 2: accounts, sessions, remember-me
-- tokens, devices and sign-in throttling.
-- Applied by src/postgres.rs inside one transaction under an advisory lock,
-- recorded in schema_migrations.
-- Every row that belongs to a user references accounts with ON DELETE
-- CASCADE, so deleting the account deletes them; login_failures is keyed by
-- e-mail or address, not by user, and delete_account clears its
-- `email:<folded>` rows itself.

CREATE TABLE accounts (
    user_id           TEXT PRIMARY KEY,
    email             TEXT NOT NULL,
    email_folded      TEXT NOT NULL UNIQUE,
    password_hash     TEXT NOT NULL, -- Argon2id PHC string
    is_admin          BOOLEAN NOT NULL,
    created_at        BIGINT NOT NULL, -- Unix milliseconds, UTC
    theft_detected_at BIGINT -- Unix milliseconds, UTC; NULL when not flagged
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY, -- SHA-256 of the session id, hex
    user_id    TEXT NOT NULL REFERENCES accounts (user_id) ON DELETE CASCADE,
    device_id  TEXT NOT NULL,
    created_at BIGINT NOT NULL, -- Unix milliseconds, UTC
    last_seen  BIGINT NOT NULL  -- Unix milliseconds, UTC
);
CREATE INDEX sessions_by_user ON sessions (user_id, device_id);

CREATE TABLE remember_tokens (
    selector                TEXT PRIMARY KEY,
    validator_hash          TEXT NOT NULL, -- SHA-256 of the validator, hex
    previous_validator_hash TEXT,          -- the one it replaced, for theft detection
    user_id                 TEXT NOT NULL REFERENCES accounts (user_id) ON DELETE CASCADE,
    device_id               TEXT NOT NULL,
    created_at              BIGINT NOT NULL, -- Unix milliseconds, UTC
    expires_at              BIGINT NOT NULL  -- Unix milliseconds, UTC
);
CREATE INDEX remember_tokens_by_user ON remember_tokens (user_id, device_id);

CREATE TABLE devices (
    user_id           TEXT NOT NULL REFERENCES accounts (user_id) ON DELETE CASCADE,
    device_id         TEXT NOT NULL,
    browser           TEXT NOT NULL,
    os                TEXT NOT NULL,
    first_seen        BIGINT NOT NULL, -- Unix milliseconds, UTC
    last_seen         BIGINT NOT NULL, -- Unix milliseconds, UTC
    linked_visitor_id TEXT,            -- set only with cross-device consent
    PRIMARY KEY (user_id, device_id)
);

-- One row per failed sign-in; rows older than the window are deleted when
-- the next failure of the key is recorded.
CREATE TABLE login_failures (
    key TEXT NOT NULL, -- 'email:<folded>' or 'ip:<addr>'
    at  BIGINT NOT NULL -- Unix milliseconds, UTC
);
CREATE INDEX login_failures_by_key ON login_failures (key, at);
