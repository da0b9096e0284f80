-- crumb-store, version 7: shared rate-limit windows. Every crumb node adds
-- the requests it admitted for a key (a keyed hash of a client address or a
-- visitor cookie, never the value itself) to the key's fixed window and
-- reads back the total of all nodes; rows of past windows are deleted as
-- new ones are counted.

CREATE TABLE rate_windows (
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL, -- Unix milliseconds, UTC
    count BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
