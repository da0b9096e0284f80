-- Visits still going on at today's provisional rollup cut: that rollup
-- leaves their visit-level counts out and keeps each one's state here (as
-- JSON: rollup::OpenVisit), so that a report's raw tail continues them rather
-- than counting them twice. Every rollup of the day replaces the day's rows;
-- the day's final rollup leaves none.
CREATE TABLE analytics_open_visits (
    site       TEXT NOT NULL,
    day        BIGINT NOT NULL, -- the UTC day's start, Unix milliseconds
    visitor    BIGINT NOT NULL,
    cookieless BOOLEAN NOT NULL,
    state      TEXT NOT NULL,
    PRIMARY KEY (site, day, visitor, cookieless)
);
