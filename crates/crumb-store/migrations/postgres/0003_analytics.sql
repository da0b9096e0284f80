-- crumb-store, PostgreSQL, version 3: aggregated anonymous statistics.
-- Raw events are purged after the configured retention; rollups are kept.
-- No column holds a cookie value, a client address or a user agent:
-- visitor and user_key are keyed hashes made by the server.

CREATE TABLE analytics_events (
    site         TEXT NOT NULL,
    at           BIGINT NOT NULL, -- Unix milliseconds, UTC
    visitor      BIGINT NOT NULL,
    cookieless   BOOLEAN NOT NULL,
    user_key     BIGINT,
    kind         SMALLINT NOT NULL, -- 0 page view, 1 custom event, 2 outbound link
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
);
CREATE INDEX analytics_events_by_time ON analytics_events (site, at);
-- Cross-device counts read only signed-in events.
CREATE INDEX analytics_events_signed_in ON analytics_events (site, at, user_key, visitor)
    WHERE user_key IS NOT NULL;

-- When each visitor key was first seen: new vs returning.
CREATE TABLE analytics_visitors (
    site       TEXT NOT NULL,
    visitor    BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    PRIMARY KEY (site, visitor)
);

CREATE TABLE analytics_rollups (
    site        TEXT NOT NULL,
    granularity TEXT NOT NULL CHECK (granularity IN ('h', 'd')),
    bucket      BIGINT NOT NULL, -- bucket start, Unix milliseconds, UTC
    dimension   TEXT NOT NULL,
    value       TEXT NOT NULL,
    pageviews   BIGINT NOT NULL,
    visits      BIGINT NOT NULL,
    bounces     BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    events      BIGINT NOT NULL,
    new_visits  BIGINT NOT NULL,
    visitor_count BIGINT NOT NULL, -- the sketch's estimate: a lower bound for merged rows
    visitors    BYTEA NOT NULL, -- a mergeable distinct-count sketch
    PRIMARY KEY (site, granularity, bucket, dimension, value)
);
-- Reports read sketches of a few values over a range.
CREATE INDEX analytics_rollups_by_value ON analytics_rollups (site, granularity, dimension, value, bucket);

CREATE TABLE analytics_rollup_marks (
    site         TEXT PRIMARY KEY,
    rolled_until BIGINT NOT NULL
);

-- Shared cookieless salts: several nodes must hash a visitor alike.
CREATE TABLE analytics_salts (
    day  BIGINT PRIMARY KEY,
    salt BYTEA NOT NULL
);
