-- 007: faster bulk loads and writes.
--
-- Voice call details become an ordinary rowid table. A transcript row is usually larger than
-- what a WITHOUT ROWID page keeps locally (about a quarter of a page), so every row spilled to
-- a mostly empty overflow page: the table was 2.3 times the size of its data.
CREATE TABLE voice_call_details_new (
    message_id          TEXT PRIMARY KEY REFERENCES communication_messages(id) ON DELETE CASCADE,
    duration_seconds    REAL,
    recording_url       TEXT,
    transcript_segments TEXT NOT NULL DEFAULT '[]',
    function_calls      TEXT NOT NULL DEFAULT '[]',
    interruption_count  INTEGER NOT NULL DEFAULT 0,
    audio_quality_score REAL
);
INSERT INTO voice_call_details_new
    SELECT message_id, duration_seconds, recording_url, transcript_segments, function_calls,
           interruption_count, audio_quality_score
    FROM voice_call_details;
DROP TABLE voice_call_details;
ALTER TABLE voice_call_details_new RENAME TO voice_call_details;

-- Secondary indexes set aside by a bulk load (store_bulk_begin), with the SQL that recreates
-- them and their place in the order the migrations create them (`seq`): recreating them in that
-- order keeps the query planner's choice between equally good indexes what it is on a database
-- that never had a bulk load. Rows here mean a load is in progress or was interrupted;
-- finishing it (store_bulk_finish) rebuilds each index and deletes its row.
CREATE TABLE bulk_deferred (
    seq  INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    sql  TEXT NOT NULL
);

-- The full-text indexes of messages and customer names are brought up to date when a write
-- transaction commits (sq_search.c), not row by row from triggers: FTS5 writes out its pending
-- index data at every savepoint, and units of work run under savepoints, so a trigger turned
-- every message into its own index segment plus merge work.
-- `indexed_upto` is the highest rowid (message) or id (customer) already in the index.
CREATE TABLE search_state (
    name         TEXT PRIMARY KEY,
    indexed_upto INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO search_state(name, indexed_upto) VALUES
    ('message_fts', (SELECT coalesce(max(rowid), 0) FROM communication_messages)),
    ('customer_fts', (SELECT coalesce(max(id), 0) FROM customers));

DROP TRIGGER msg_fts_ins;
DROP TRIGGER msg_fts_del;
DROP TRIGGER msg_fts_upd;
-- Only rows already indexed have index entries to remove. Deleting the row at the mark lowers
-- the mark, since the next insert may reuse its rowid.
CREATE TRIGGER msg_fts_del AFTER DELETE ON communication_messages
WHEN OLD.rowid <= (SELECT indexed_upto FROM search_state WHERE name = 'message_fts') BEGIN
    INSERT INTO message_fts(message_fts, rowid, content)
        SELECT 'delete', OLD.rowid, OLD.content WHERE OLD.content IS NOT NULL AND OLD.content <> '';
    UPDATE search_state SET indexed_upto = OLD.rowid - 1
        WHERE name = 'message_fts' AND indexed_upto = OLD.rowid;
END;
CREATE TRIGGER msg_fts_upd AFTER UPDATE OF content ON communication_messages
WHEN OLD.rowid <= (SELECT indexed_upto FROM search_state WHERE name = 'message_fts') BEGIN
    INSERT INTO message_fts(message_fts, rowid, content)
        SELECT 'delete', OLD.rowid, OLD.content WHERE OLD.content IS NOT NULL AND OLD.content <> '';
    INSERT INTO message_fts(rowid, content)
        SELECT NEW.rowid, NEW.content WHERE NEW.content IS NOT NULL AND NEW.content <> '';
END;

DROP TRIGGER cust_fts_ins;
DROP TRIGGER cust_fts_del;
DROP TRIGGER cust_fts_upd;
CREATE TRIGGER cust_fts_del AFTER DELETE ON customers
WHEN OLD.id <= (SELECT indexed_upto FROM search_state WHERE name = 'customer_fts') BEGIN
    INSERT INTO customer_fts(customer_fts, rowid, name) VALUES ('delete', OLD.id, OLD.name);
    UPDATE search_state SET indexed_upto = OLD.id - 1
        WHERE name = 'customer_fts' AND indexed_upto = OLD.id;
END;
CREATE TRIGGER cust_fts_upd AFTER UPDATE OF name ON customers
WHEN OLD.id <= (SELECT indexed_upto FROM search_state WHERE name = 'customer_fts') BEGIN
    INSERT INTO customer_fts(customer_fts, rowid, name) VALUES ('delete', OLD.id, OLD.name);
    INSERT INTO customer_fts(rowid, name) VALUES (NEW.id, NEW.name);
END;

-- The active-thread index names the status and leaves last_activity_at out: the thread lookup
-- (customer, channel, status = 'active') matches three columns here against two of
-- conv_channel_status_activity, and a thread's new message, which moves last_activity_at, no
-- longer has to move an entry here too. The lookup orders by `+last_activity_at` (a customer
-- has one active thread per channel, rarely two) so that the planner does not prefer an index
-- for its order by a tie that the order of CREATE statements happens to break.
DROP INDEX conv_active_thread;
CREATE INDEX conv_active_thread ON conversations(customer_id, channel, status)
    WHERE status = 'active';
