-- Interest profiles (crumb_store::profiles): what a visitor with marketing
-- consent read about, per weekly epoch, and what they chose about it.
-- `profile` is a keyed hash of the visitor's id (never the cookie itself).

-- Pages read per (profile, epoch, topic). `epoch_start` is when the epoch
-- began for this profile (each profile's week starts at its own offset):
-- the retention job deletes by it.
CREATE TABLE interest_observations (
    site        TEXT    NOT NULL,
    profile     INTEGER NOT NULL,
    epoch       INTEGER NOT NULL,
    topic       INTEGER NOT NULL,
    epoch_start INTEGER NOT NULL, -- Unix milliseconds, UTC
    count       INTEGER NOT NULL,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    PRIMARY KEY (site, profile, epoch, topic)
) WITHOUT ROWID;
CREATE INDEX interest_observations_by_start ON interest_observations (site, epoch_start);

-- Topics the visitor removed from one epoch (kept as long as the epoch).
CREATE TABLE interest_removed (
    site        TEXT    NOT NULL,
    profile     INTEGER NOT NULL,
    epoch       INTEGER NOT NULL,
    topic       INTEGER NOT NULL,
    epoch_start INTEGER NOT NULL,
    removed_at  INTEGER NOT NULL,
    PRIMARY KEY (site, profile, epoch, topic)
) WITHOUT ROWID;
CREATE INDEX interest_removed_by_start ON interest_removed (site, epoch_start);

-- Topics the visitor removed for good.
CREATE TABLE interest_blocked (
    site       TEXT    NOT NULL,
    profile    INTEGER NOT NULL,
    topic      INTEGER NOT NULL,
    blocked_at INTEGER NOT NULL,
    PRIMARY KEY (site, profile, topic)
) WITHOUT ROWID;

-- Profiles the visitor paused: nothing recorded, nothing returned.
CREATE TABLE interest_paused (
    site      TEXT    NOT NULL,
    profile   INTEGER NOT NULL,
    paused_at INTEGER NOT NULL,
    PRIMARY KEY (site, profile)
) WITHOUT ROWID;
