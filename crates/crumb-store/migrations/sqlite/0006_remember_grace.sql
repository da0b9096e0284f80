-- crumb-store, SQLite, version 6: the remember-me grace window.
-- A rotation records when it happened and the random salt from which the
-- replaced validator derives its successor, so a request that still carries
-- the replaced validator shortly after (a browser restoring its tabs) gets
-- the same successor instead of raising a theft alarm. NULL until the
-- token's first rotation.
-- The throttle (login_failures) now also holds 'account:<user id>',
-- 'device:<user id>:<nonce>' and 'register:<addr>' keys; its shape is unchanged.

ALTER TABLE remember_tokens ADD COLUMN rotated_at INTEGER; -- Unix milliseconds, UTC
ALTER TABLE remember_tokens ADD COLUMN successor_salt TEXT;
