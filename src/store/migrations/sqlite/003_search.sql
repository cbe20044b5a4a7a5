-- 003_search.sql - full-text search without a second copy of every message.
-- 001's search_fts stored each message body again inside the FTS table. Message text is indexed
-- now as external content (the index only, the text stays in communication_messages) without
-- token positions (queries are word and prefix matches, never phrases), which roughly halves the
-- cost of writing a message. Subjects keep a small table of their own.

DROP TRIGGER msg_fts_ins;
DROP TRIGGER conv_fts_ins;
DROP TRIGGER conv_fts_subject;
DROP TABLE search_fts;

CREATE VIRTUAL TABLE message_fts USING fts5(
    content, content = 'communication_messages', content_rowid = 'rowid', detail = 'column',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO message_fts(message_fts) VALUES ('rebuild');
CREATE TRIGGER msg_fts_ins AFTER INSERT ON communication_messages
WHEN NEW.content IS NOT NULL AND NEW.content <> '' BEGIN
    INSERT INTO message_fts(rowid, content) VALUES (NEW.rowid, NEW.content);
END;
CREATE TRIGGER msg_fts_del AFTER DELETE ON communication_messages
WHEN OLD.content IS NOT NULL AND OLD.content <> '' BEGIN
    INSERT INTO message_fts(message_fts, rowid, content) VALUES ('delete', OLD.rowid, OLD.content);
END;
CREATE TRIGGER msg_fts_upd AFTER UPDATE OF content ON communication_messages BEGIN
    INSERT INTO message_fts(message_fts, rowid, content)
        SELECT 'delete', OLD.rowid, OLD.content WHERE OLD.content IS NOT NULL AND OLD.content <> '';
    INSERT INTO message_fts(rowid, content)
        SELECT NEW.rowid, NEW.content WHERE NEW.content IS NOT NULL AND NEW.content <> '';
END;

CREATE VIRTUAL TABLE subject_fts USING fts5(
    subject, conversation_id UNINDEXED, detail = 'column',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO subject_fts(subject, conversation_id)
    SELECT subject, id FROM conversations WHERE subject IS NOT NULL AND subject <> '';
CREATE TRIGGER conv_fts_ins AFTER INSERT ON conversations
WHEN NEW.subject IS NOT NULL AND NEW.subject <> '' BEGIN
    INSERT INTO subject_fts(subject, conversation_id) VALUES (NEW.subject, NEW.id);
END;
CREATE TRIGGER conv_fts_subject AFTER UPDATE OF subject ON conversations
WHEN NEW.subject IS NOT OLD.subject BEGIN
    DELETE FROM subject_fts WHERE conversation_id = OLD.id;
    INSERT INTO subject_fts(subject, conversation_id)
        SELECT NEW.subject, NEW.id WHERE NEW.subject IS NOT NULL AND NEW.subject <> '';
END;
