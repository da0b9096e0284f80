-- When each interest profile was last erased (crumb_store::profiles): a
-- node writes the pages and ads it gathered about a second later, in one
-- batch, and a batch row from before the erasure (written by another node,
-- or by this one after the erasure) must not bring the profile back. Kept
-- as long as the observations would be, then purged with them.
CREATE TABLE interest_erasures (
    site      TEXT    NOT NULL,
    profile   INTEGER NOT NULL,
    erased_at INTEGER NOT NULL, -- Unix milliseconds, UTC
    PRIMARY KEY (site, profile)
) WITHOUT ROWID;
CREATE INDEX interest_erasures_by_time ON interest_erasures (site, erased_at);
