-- Visitor keys whose raw events and first sighting are to be deleted: the
-- visitor withdrew statistics consent. The rollup job deletes them (a day of
-- raw events per transaction, so ingestion is never held up for long), then
-- the request. Rolled-up counts stay: they identify no one.
CREATE TABLE analytics_forget (
    site         TEXT NOT NULL,
    visitor      INTEGER NOT NULL,
    requested_at INTEGER NOT NULL, -- Unix milliseconds, UTC
    PRIMARY KEY (site, visitor)
) WITHOUT ROWID;
