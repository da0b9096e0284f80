-- Interest profiles (crumb_store::profiles): what a visitor with marketing
-- consent read about, per weekly epoch, and what they chose about it.
-- `profile` is a keyed hash of the visitor's id (never the cookie itself).

-- Pages read per (profile, epoch, topic). `epoch_start` is when the epoch
-- began for this profile (each profile's week starts at its own offset):
-- the retention job deletes by it.
CREATE TABLE interest_observations (
    site        TEXT    NOT NULL,
    profile     BIGINT  NOT NULL,
    epoch       BIGINT  NOT NULL,
    topic       BIGINT  NOT NULL,
    epoch_start BIGINT  NOT NULL, -- Unix milliseconds, UTC
    count       BIGINT  NOT NULL,
    first_seen  BIGINT  NOT NULL,
    last_seen   BIGINT  NOT NULL,
    PRIMARY KEY (site, profile, epoch, topic)
);
CREATE INDEX interest_observations_by_start ON interest_observations (site, epoch_start);

-- Topics the visitor removed from one epoch (kept as long as the epoch).
CREATE TABLE interest_removed (
    site        TEXT    NOT NULL,
    profile     BIGINT  NOT NULL,
    epoch       BIGINT  NOT NULL,
    topic       BIGINT  NOT NULL,
    epoch_start BIGINT  NOT NULL,
    removed_at  BIGINT  NOT NULL,
    PRIMARY KEY (site, profile, epoch, topic)
);
CREATE INDEX interest_removed_by_start ON interest_removed (site, epoch_start);

-- Topics the visitor removed for good.
CREATE TABLE interest_blocked (
    site       TEXT    NOT NULL,
    profile    BIGINT  NOT NULL,
    topic      BIGINT  NOT NULL,
    blocked_at BIGINT  NOT NULL,
    PRIMARY KEY (site, profile, topic)
);

-- Profiles the visitor paused: nothing recorded, nothing returned.
CREATE TABLE interest_paused (
    site      TEXT    NOT NULL,
    profile   BIGINT  NOT NULL,
    paused_at BIGINT  NOT NULL,
    PRIMARY KEY (site, profile)
);
