-- 009: the full-text indexes merge their segments sixteen at a time and buffer up to 8 MiB of
-- pending index data before writing a segment (FTS5's defaults: four, 1 MiB).
--
-- Indexing a large load in one statement (a legacy backfill's million call transcripts) wrote a
-- segment per MiB and merged the same data again at every fourth: 12.3 s for 1M transcripts,
-- 8.7 s with these settings. Everyday commits write small segments either way; they are merged
-- less often, sixteen at once.
INSERT INTO message_fts(message_fts, rank) VALUES ('automerge', 16);
INSERT INTO message_fts(message_fts, rank) VALUES ('hashsize', 8388608);
INSERT INTO subject_fts(subject_fts, rank) VALUES ('automerge', 16);
INSERT INTO subject_fts(subject_fts, rank) VALUES ('hashsize', 8388608);
INSERT INTO customer_fts(customer_fts, rank) VALUES ('automerge', 16);
