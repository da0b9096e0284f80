-- Ad events (crumb_store::ads): daily counters per campaign for delivery,
-- caps and reports, and the per-profile log of ads shown on the interests
-- basis (frequency caps, and the visitor's "why this ad").

-- Per (site, Unix day, campaign, slot, basis, topic): ads served, seen
-- (impressions: the slot was visible) and clicked. `topic` is -1 when no
-- topic matched (basis "none").
CREATE TABLE ad_counts (
    site        TEXT    NOT NULL,
    day         BIGINT  NOT NULL,
    campaign    TEXT    NOT NULL,
    slot        TEXT    NOT NULL,
    basis       TEXT    NOT NULL,
    topic       BIGINT  NOT NULL,
    served      BIGINT  NOT NULL DEFAULT 0,
    impressions BIGINT  NOT NULL DEFAULT 0,
    clicks      BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (site, day, campaign, slot, basis, topic)
);

-- Ads shown to one interest profile (only on the interests basis, where a
-- profile exists). Erased with the profile; purged after four weeks.
CREATE TABLE ads_shown (
    site     TEXT    NOT NULL,
    profile  BIGINT  NOT NULL,
    at       BIGINT  NOT NULL, -- Unix milliseconds, UTC
    campaign TEXT    NOT NULL,
    basis    TEXT    NOT NULL,
    topic    BIGINT
);
CREATE INDEX ads_shown_by_profile ON ads_shown (site, profile, at);
CREATE INDEX ads_shown_by_at ON ads_shown (site, at);
