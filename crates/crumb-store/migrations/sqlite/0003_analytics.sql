-- crumb-store, SQLite, version 3: aggregated anonymous statistics.
-- Raw events are purged after the configured retention; rollups are kept.
-- No column holds a cookie value, a client address or a user agent:
-- visitor and user_key are keyed hashes made by the server.

CREATE TABLE analytics_events (
    site         TEXT NOT NULL,
    at           INTEGER NOT NULL, -- Unix milliseconds, UTC
    visitor      INTEGER NOT NULL,
    cookieless   INTEGER NOT NULL, -- 0 or 1
    user_key     INTEGER,
    kind         INTEGER NOT NULL, -- 0 page view, 1 custom event, 2 outbound link
    name         TEXT NOT NULL,
    path         TEXT NOT NULL,
    source       TEXT NOT NULL,
    utm_source   TEXT NOT NULL,
    utm_medium   TEXT NOT NULL,
    utm_campaign TEXT NOT NULL,
    browser      TEXT NOT NULL,
    os           TEXT NOT NULL,
    device       TEXT NOT NULL,
    props        TEXT NOT NULL -- JSON array of [key, value] pairs
) STRICT;
CREATE INDEX analytics_events_by_time ON analytics_events (site, at);
-- Cross-device counts read only signed-in events.
CREATE INDEX analytics_events_signed_in ON analytics_events (site, at, user_key, visitor)
    WHERE user_key IS NOT NULL;

-- When each visitor key was first seen: new vs returning.
CREATE TABLE analytics_visitors (
    site       TEXT NOT NULL,
    visitor    INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    PRIMARY KEY (site, visitor)
) STRICT, WITHOUT ROWID;

CREATE TABLE analytics_rollups (
    site        TEXT NOT NULL,
    granularity TEXT NOT NULL CHECK (granularity IN ('h', 'd')),
    bucket      INTEGER NOT NULL, -- bucket start, Unix milliseconds, UTC
    dimension   TEXT NOT NULL,
    value       TEXT NOT NULL,
    pageviews   INTEGER NOT NULL,
    visits      INTEGER NOT NULL,
    bounces     INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    events      INTEGER NOT NULL,
    new_visits  INTEGER NOT NULL,
    visitor_count INTEGER NOT NULL, -- the sketch's estimate: a lower bound for merged rows
    visitors    BLOB NOT NULL, -- a mergeable distinct-count sketch
    PRIMARY KEY (site, granularity, bucket, dimension, value)
) STRICT, WITHOUT ROWID;
-- Reports sum counters without reading sketches (covering index) …
CREATE INDEX analytics_rollups_counts ON analytics_rollups
    (site, granularity, bucket, dimension, value, pageviews, visits, bounces, duration_ms, events, new_visits,
     visitor_count);
-- … and read sketches of a few values over a range.
CREATE INDEX analytics_rollups_by_value ON analytics_rollups (site, granularity, dimension, value, bucket);

CREATE TABLE analytics_rollup_marks (
    site         TEXT PRIMARY KEY NOT NULL,
    rolled_until INTEGER NOT NULL
) STRICT;

-- Used only by deployments that share a cookieless salt between nodes.
CREATE TABLE analytics_salts (
    day  INTEGER PRIMARY KEY NOT NULL,
    salt BLOB NOT NULL
) STRICT;
