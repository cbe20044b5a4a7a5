-- 001_schema.sql - the whole omnichannel schema (SQLite).
-- Timestamps are INTEGER microseconds since the Unix epoch (UTC); NULL means "none".
-- Conversation, message and event ids are UUIDv7 text, so they sort by creation time.

CREATE TABLE customers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    phone         TEXT UNIQUE,            -- E.164
    email         TEXT UNIQUE,            -- lower-case
    is_new_client INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX customers_name ON customers(name COLLATE NOCASE);

CREATE TABLE appointments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id      INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    service          TEXT,
    provider         TEXT,
    status           TEXT NOT NULL DEFAULT 'scheduled',
    starts_at        INTEGER NOT NULL,
    duration_minutes INTEGER NOT NULL DEFAULT 60,
    notes            TEXT,
    created_at       INTEGER NOT NULL
);
CREATE INDEX appointments_customer ON appointments(customer_id, starts_at);

CREATE TABLE conversations (
    id                   TEXT PRIMARY KEY,
    customer_id          INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    channel              TEXT NOT NULL CHECK (channel IN ('voice','sms','email')),
    status               TEXT NOT NULL CHECK (status IN ('active','completed','failed')),
    initiated_at         INTEGER NOT NULL,
    last_activity_at     INTEGER NOT NULL,
    completed_at         INTEGER,
    satisfaction_score   INTEGER CHECK (satisfaction_score BETWEEN 1 AND 10),
    sentiment            TEXT,
    outcome              TEXT,
    subject              TEXT,
    ai_summary           TEXT,
    metadata             TEXT,
    score_explanation    TEXT,
    message_count        INTEGER NOT NULL DEFAULT 0,
    last_message_preview TEXT
) WITHOUT ROWID;
-- The list: default order and its common filters, plus the other sort keys.
CREATE INDEX conv_activity ON conversations(last_activity_at, id);
CREATE INDEX conv_channel_activity ON conversations(channel, last_activity_at, id);
CREATE INDEX conv_status_activity ON conversations(status, last_activity_at, id);
CREATE INDEX conv_channel_status_activity ON conversations(channel, status, last_activity_at, id);
CREATE INDEX conv_customer_activity ON conversations(customer_id, last_activity_at, id);
CREATE INDEX conv_initiated ON conversations(initiated_at, id);
CREATE INDEX conv_score ON conversations(coalesce(satisfaction_score, 0), id);
CREATE INDEX conv_customer_channel_status ON conversations(customer_id, channel, status, last_activity_at);

-- Kept counts, so `total` on the common filters costs no scan.
CREATE TABLE conversation_counts (
    channel TEXT NOT NULL,
    status  TEXT NOT NULL,
    n       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, status)
) WITHOUT ROWID;
INSERT INTO conversation_counts(channel, status, n)
    SELECT c.v, s.v, 0
    FROM (SELECT 'voice' AS v UNION ALL SELECT 'sms' UNION ALL SELECT 'email') c,
         (SELECT 'active' AS v UNION ALL SELECT 'completed' UNION ALL SELECT 'failed') s;
CREATE TRIGGER conv_count_ins AFTER INSERT ON conversations BEGIN
    UPDATE conversation_counts SET n = n + 1 WHERE channel = NEW.channel AND status = NEW.status;
END;
CREATE TRIGGER conv_count_del AFTER DELETE ON conversations BEGIN
    UPDATE conversation_counts SET n = n - 1 WHERE channel = OLD.channel AND status = OLD.status;
END;
CREATE TRIGGER conv_count_upd AFTER UPDATE OF channel, status ON conversations
WHEN OLD.channel <> NEW.channel OR OLD.status <> NEW.status BEGIN
    UPDATE conversation_counts SET n = n - 1 WHERE channel = OLD.channel AND status = OLD.status;
    UPDATE conversation_counts SET n = n + 1 WHERE channel = NEW.channel AND status = NEW.status;
END;

CREATE TABLE communication_messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    channel         TEXT NOT NULL,
    direction       TEXT NOT NULL CHECK (direction IN ('inbound','outbound')),
    content         TEXT,
    sent_at         INTEGER NOT NULL,
    processed       INTEGER NOT NULL DEFAULT 0,
    metadata        TEXT
);
CREATE INDEX msg_conversation ON communication_messages(conversation_id, sent_at);

CREATE TABLE voice_call_details (
    message_id          TEXT PRIMARY KEY REFERENCES communication_messages(id) ON DELETE CASCADE,
    duration_seconds    REAL,
    recording_url       TEXT,
    transcript_segments TEXT NOT NULL DEFAULT '[]',
    function_calls      TEXT NOT NULL DEFAULT '[]',
    interruption_count  INTEGER NOT NULL DEFAULT 0,
    audio_quality_score REAL
) WITHOUT ROWID;

CREATE TABLE sms_details (
    message_id          TEXT PRIMARY KEY REFERENCES communication_messages(id) ON DELETE CASCADE,
    from_number         TEXT,
    to_number           TEXT,
    provider_message_id TEXT UNIQUE,
    delivery_status     TEXT NOT NULL,
    error_code          TEXT,
    error_message       TEXT,
    segments            INTEGER NOT NULL DEFAULT 1,
    media_urls          TEXT NOT NULL DEFAULT '[]',
    delivered_at        INTEGER,
    failed_at           INTEGER
) WITHOUT ROWID;

CREATE TABLE email_details (
    message_id          TEXT PRIMARY KEY REFERENCES communication_messages(id) ON DELETE CASCADE,
    subject             TEXT,
    from_address        TEXT,
    to_address          TEXT,
    cc_addresses        TEXT NOT NULL DEFAULT '[]',
    bcc_addresses       TEXT NOT NULL DEFAULT '[]',
    in_reply_to         TEXT,
    "references"        TEXT NOT NULL DEFAULT '[]',
    body_text           TEXT,
    body_html           TEXT,
    attachments         TEXT NOT NULL DEFAULT '[]',
    provider_message_id TEXT UNIQUE,      -- the RFC 5322 Message-ID (or SendGrid's id when sent)
    delivery_status     TEXT,
    opened_at           INTEGER,
    clicked_at          INTEGER
) WITHOUT ROWID;

CREATE TABLE communication_events (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    event_type      TEXT NOT NULL,
    timestamp       INTEGER NOT NULL,
    details         TEXT,
    message_id      TEXT REFERENCES communication_messages(id) ON DELETE SET NULL
) WITHOUT ROWID;
CREATE INDEX event_conversation ON communication_events(conversation_id, timestamp);
CREATE INDEX event_type_time ON communication_events(event_type, timestamp);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin','staff','viewer')),
    token_hash   TEXT NOT NULL UNIQUE,    -- SHA-256 hex of the secret
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin','staff','viewer')),
    password_hash TEXT NOT NULL,          -- argon2id encoded
    created_at    INTEGER NOT NULL,
    disabled_at   INTEGER
);

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,         -- SHA-256 hex of the cookie value
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE login_failures (
    key        TEXT NOT NULL,             -- email + client address
    at         INTEGER NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(key, at);

-- SMS opt-out ledger: the latest keyword per number decides.
CREATE TABLE opt_outs (
    phone       TEXT PRIMARY KEY,          -- E.164
    opted_out   INTEGER NOT NULL,
    keyword     TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    message_id  TEXT
) WITHOUT ROWID;

CREATE TABLE idempotency_keys (
    key           TEXT PRIMARY KEY,
    request_hash  TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('in_flight','done')),
    status        INTEGER,
    response      TEXT,
    created_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX idempotency_created ON idempotency_keys(created_at);

-- Full-text search over message content, subjects and customer names (for `q`).
CREATE VIRTUAL TABLE search_fts USING fts5(
    body, conversation_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER msg_fts_ins AFTER INSERT ON communication_messages
WHEN NEW.content IS NOT NULL AND NEW.content <> '' BEGIN
    INSERT INTO search_fts(body, conversation_id) VALUES (NEW.content, NEW.conversation_id);
END;
CREATE TRIGGER conv_fts_ins AFTER INSERT ON conversations
WHEN NEW.subject IS NOT NULL AND NEW.subject <> '' BEGIN
    INSERT INTO search_fts(body, conversation_id) VALUES (NEW.subject, NEW.id);
END;
CREATE TRIGGER conv_fts_subject AFTER UPDATE OF subject ON conversations
WHEN NEW.subject IS NOT NULL AND NEW.subject <> '' AND NEW.subject IS NOT OLD.subject BEGIN
    INSERT INTO search_fts(body, conversation_id) VALUES (NEW.subject, NEW.id);
END;
CREATE VIRTUAL TABLE customer_fts USING fts5(
    name, content = 'customers', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER cust_fts_ins AFTER INSERT ON customers BEGIN
    INSERT INTO customer_fts(rowid, name) VALUES (NEW.id, NEW.name);
END;
CREATE TRIGGER cust_fts_del AFTER DELETE ON customers BEGIN
    INSERT INTO customer_fts(customer_fts, rowid, name) VALUES ('delete', OLD.id, OLD.name);
END;
CREATE TRIGGER cust_fts_upd AFTER UPDATE OF name ON customers BEGIN
    INSERT INTO customer_fts(customer_fts, rowid, name) VALUES ('delete', OLD.id, OLD.name);
    INSERT INTO customer_fts(rowid, name) VALUES (NEW.id, NEW.name);
END;
