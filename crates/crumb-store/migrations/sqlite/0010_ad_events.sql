-- Ad events (crumb_store::ads): daily counters per campaign for delivery,
-- caps and reports, and the per-profile log of ads shown on the interests
-- basis (frequency caps, and the visitor's "why this ad").

-- Per (site, Unix day, campaign, slot, basis, topic): ads served, seen
-- (impressions: the slot was visible) and clicked. `topic` is -1 when no
-- topic matched (basis "none").
CREATE TABLE ad_counts (
    site        TEXT    NOT NULL,
    day         INTEGER NOT NULL,
    campaign    TEXT    NOT NULL,
    slot        TEXT    NOT NULL,
    basis       TEXT    NOT NULL,
    topic       INTEGER NOT NULL,
    served      INTEGER NOT NULL DEFAULT 0,
    impressions INTEGER NOT NULL DEFAULT 0,
    clicks      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site, day, campaign, slot, basis, topic)
) WITHOUT ROWID;

-- Ads shown to one interest profile (only on the interests basis, where a
-- profile exists). Erased with the profile; purged after four weeks.
CREATE TABLE ads_shown (
    site     TEXT    NOT NULL,
    profile  INTEGER NOT NULL,
    at       INTEGER NOT NULL, -- Unix milliseconds, UTC
    campaign TEXT    NOT NULL,
    basis    TEXT    NOT NULL,
    topic    INTEGER
);
CREATE INDEX ads_shown_by_profile ON ads_shown (site, profile, at);
CREATE INDEX ads_shown_by_at ON ads_shown (site, at);
