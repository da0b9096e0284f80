-- Cookies the gateway saw that the declaration does not cover
-- (crumb_store::gateway).
CREATE TABLE gateway_sightings (
    site        TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    domain      TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    sample_path TEXT    NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (site, kind, name, domain, path)
);
