-- Visitor keys whose raw events and first sighting are to be deleted: the
-- visitor withdrew statistics consent. The rollup job deletes them, then the
-- request. Rolled-up counts stay: they identify no one.
CREATE TABLE analytics_forget (
    site         TEXT NOT NULL,
    visitor      BIGINT NOT NULL,
    requested_at BIGINT NOT NULL, -- Unix milliseconds, UTC
    PRIMARY KEY (site, visitor)
);
