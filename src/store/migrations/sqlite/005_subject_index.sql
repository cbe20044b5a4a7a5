-- 005_subject_index.sql - a subject change adds the new subject to the search index and leaves
-- the old one (searching an earlier subject still finds the conversation). 003's trigger
-- deleted the old entry by conversation id, a column FTS5 cannot index: every scored
-- conversation scanned the whole subject index.

DROP TRIGGER conv_fts_subject;
CREATE TRIGGER conv_fts_subject AFTER UPDATE OF subject ON conversations
WHEN NEW.subject IS NOT NULL AND NEW.subject <> '' AND NEW.subject IS NOT OLD.subject BEGIN
    INSERT INTO subject_fts(subject, conversation_id) VALUES (NEW.subject, NEW.id);
END;
