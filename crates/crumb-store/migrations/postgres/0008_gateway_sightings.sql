-- Cookies the gateway saw that the declaration does not cover
-- (crumb_store::gateway).
CREATE TABLE gateway_sightings (
    site        TEXT   NOT NULL,
    kind        TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    domain      TEXT   NOT NULL,
    path        TEXT   NOT NULL,
    detail      TEXT   NOT NULL,
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    sample_path TEXT   NOT NULL,
    count       BIGINT NOT NULL,
    PRIMARY KEY (site, kind, name, domain, path)
);
