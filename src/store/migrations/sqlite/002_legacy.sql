-- 002_legacy.sql - what the legacy voice schema carries that 001 had no place for, and the map
-- from legacy call sessions to conversations that makes the migration idempotent.

ALTER TABLE customers ADD COLUMN notes TEXT;
ALTER TABLE customers ADD COLUMN has_allergies INTEGER;
ALTER TABLE customers ADD COLUMN is_pregnant INTEGER;
ALTER TABLE customers ADD COLUMN metadata TEXT;            -- JSON: e.g. the legacy phone text

ALTER TABLE appointments ADD COLUMN calendar_event_id TEXT;
ALTER TABLE appointments ADD COLUMN booked_by TEXT;
ALTER TABLE appointments ADD COLUMN special_requests TEXT;
ALTER TABLE appointments ADD COLUMN cancellation_reason TEXT;
ALTER TABLE appointments ADD COLUMN updated_at INTEGER;
ALTER TABLE appointments ADD COLUMN cancelled_at INTEGER;
CREATE UNIQUE INDEX appointments_calendar_event ON appointments(calendar_event_id)
    WHERE calendar_event_id IS NOT NULL;

-- One row per migrated legacy call session, written in the same transaction as its
-- conversation: a session is migrated exactly when its row exists.
CREATE TABLE legacy_map (
    legacy_id         INTEGER PRIMARY KEY,
    legacy_session_id TEXT NOT NULL,
    conversation_id   TEXT NOT NULL UNIQUE REFERENCES conversations(id) ON DELETE CASCADE,
    migrated_at       INTEGER NOT NULL
);

-- The active-conversation lookup walks conv_customer_activity (a customer has few
-- conversations); this index only cost every insert.
DROP INDEX conv_customer_channel_status;
