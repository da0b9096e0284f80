-- Campaigns managed on /admin (crumb_store::campaigns): each one a JSON
-- document of its fields as the admin entered them (the domain checks it,
-- crumb_core::ads::managed), who created and last changed it, and when.
-- Campaigns declared in crumb.toml are not stored.
CREATE TABLE campaigns (
    site       TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    document   TEXT    NOT NULL, -- JSON
    created_at INTEGER NOT NULL, -- Unix milliseconds, UTC
    created_by TEXT    NOT NULL, -- the admin's user id
    updated_at INTEGER NOT NULL,
    updated_by TEXT    NOT NULL,
    PRIMARY KEY (site, id)
) WITHOUT ROWID;
