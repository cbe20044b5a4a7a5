-- 004_dual_write.sql - dual write to the legacy schema during a cutover.
-- Finished voice calls bound for a legacy database that is not this one wait in an outbox,
-- written in the same transaction as the call, until a worker has delivered them; a legacy
-- failure delays the copy, never the call. legacy_map learns where each row came from.

CREATE TABLE legacy_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL UNIQUE REFERENCES conversations(id) ON DELETE CASCADE,
    payload         TEXT NOT NULL,             -- the call in the legacy vocabulary (JSON)
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    delivered_at    INTEGER,
    legacy_id       INTEGER
);
CREATE INDEX legacy_outbox_due ON legacy_outbox(next_attempt_at) WHERE delivered_at IS NULL;

ALTER TABLE legacy_map ADD COLUMN origin TEXT NOT NULL DEFAULT 'migrated'; -- or 'dual_write'
