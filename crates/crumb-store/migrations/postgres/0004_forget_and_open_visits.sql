-- Visitor keys whose raw events and first sighting are to be deleted: the
-- visitor withdrew statistics consent. The rollup job deletes them, then the
-- request. Rolled-up counts stay: they identify no one.
CREATE TABLE analytics_forget (
    site         TEXT NOT NULL,
    visitor      BIGINT NOT NULL,
    requested_at BIGINT NOT NULL, -- Unix milliseconds, UTC
    PRIMARY KEY (site, visitor)
);

-- Today's provisional rollup leaves out visits still open at its cut; they
-- began at `open_from` at the earliest, and reports count them from the raw
-- events. NULL: nothing was left out (the same as `rolled_until`).
ALTER TABLE analytics_rollup_marks ADD COLUMN open_from BIGINT;
