-- 008: conversation subjects are indexed for search at commit, like messages (sq_search.c).
--
-- The triggers wrote subject_fts row by row. FTS5 writes out its pending index data at every
-- savepoint, and every later statement of the transaction opens one, so each new conversation
-- became its own index segment plus the merging that follows: about 23 us of a 37 us insert.
-- The triggers now only note the conversation in a queue; the commit indexes the queue in one
-- statement and empties it, in the same transaction.
CREATE TABLE subject_fts_queue (
    conversation_id TEXT PRIMARY KEY
) WITHOUT ROWID;

DROP TRIGGER conv_fts_ins;
CREATE TRIGGER conv_fts_ins AFTER INSERT ON conversations
WHEN NEW.subject IS NOT NULL AND NEW.subject <> '' BEGIN
    INSERT OR IGNORE INTO subject_fts_queue(conversation_id) VALUES (NEW.id);
END;
DROP TRIGGER conv_fts_subject;
CREATE TRIGGER conv_fts_subject AFTER UPDATE OF subject ON conversations
WHEN NEW.subject IS NOT NULL AND NEW.subject <> '' AND NEW.subject IS NOT OLD.subject BEGIN
    INSERT OR IGNORE INTO subject_fts_queue(conversation_id) VALUES (NEW.id);
END;
