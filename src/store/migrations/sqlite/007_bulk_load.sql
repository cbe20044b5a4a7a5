-- 007: faster bulk loads.
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

-- Secondary indexes and triggers set aside by a bulk load (store_bulk_begin), with the SQL
-- that recreates them and their place in the order the migrations create them (`seq`):
-- recreating them in that order keeps the query planner's choice between equally good indexes
-- what it is on a database that never had a bulk load. Rows here mean a
-- load is in progress or was interrupted; finishing it (store_bulk_finish) rebuilds each object
-- and deletes its row. For the full-text trigger, `mark` is the highest message rowid indexed
-- before the load.
CREATE TABLE bulk_deferred (
    seq  INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL CHECK (type IN ('index', 'trigger')),
    sql  TEXT NOT NULL,
    mark INTEGER
);
