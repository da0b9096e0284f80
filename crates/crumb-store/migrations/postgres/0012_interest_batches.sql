-- When each interest profile was last erased (crumb_store::profiles): a
-- node writes the pages and ads it gathered about a second later, in one
-- batch, and a batch row from before the erasure (written by another node,
-- or by this one after the erasure) must not bring the profile back. Kept
-- as long as the observations would be, then purged with them.
CREATE TABLE interest_erasures (
    site      TEXT   NOT NULL,
    profile   BIGINT NOT NULL,
    erased_at BIGINT NOT NULL, -- Unix milliseconds, UTC
    PRIMARY KEY (site, profile)
);
CREATE INDEX interest_erasures_by_time ON interest_erasures (site, erased_at);

-- When the visitor last changed each profile's choices (a topic removed,
-- paused or resumed, erased): a node keeps what answering reads of a
-- profile in memory for its current epoch and, about once a second,
-- forgets the profiles changed on any node since. Purged with the epochs.
CREATE TABLE interest_changes (
    site       TEXT    NOT NULL,
    profile    BIGINT NOT NULL,
    changed_at BIGINT NOT NULL, -- Unix milliseconds, UTC
    PRIMARY KEY (site, profile)
);
CREATE INDEX interest_changes_by_time ON interest_changes (site, changed_at);
