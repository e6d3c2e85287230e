-- sipvault schema v6: the writer issues row ids (store/row_ids.h) instead of AUTO_INCREMENT.
--
-- Why: an id that the writer knows before it inserts can be referenced by other rows written in the
-- same transaction; ids from disjoint blocks never collide between writers, tables or capture nodes
-- (a cluster head reads every shard's rows as one table, issue 13); and with no AUTO_INCREMENT the
-- extra index on id alone (ix_id), ~2-3 % of the bytes and one index insert per row, goes away.
-- PRIMARY KEY (capture_us, id) stays: a message is still found by "<capture_us>-<id>".
--
-- id = shard_id << 48 | block << 16 | n: a writer takes a block of 65,536 ids with one
-- NEXT VALUE FOR sip_id_blocks and numbers its rows from it; writer.shard_id is the capture node's
-- number (0 on a single node). Sequences are not transactional, so a block handed out is never
-- handed out again, even when the batch that took it rolls back.

CREATE SEQUENCE IF NOT EXISTS sip_id_blocks START WITH 1 MINVALUE 1 INCREMENT BY 1 NOCACHE;

-- Start past every id already stored (an existing install keeps its rows and their ids): mark the
-- block of the highest id below 2^48 (shard 0, where AUTO_INCREMENT counted) as used. SETVAL takes
-- only a literal, hence the prepared statement; it never moves a sequence back, so running this
-- again is harmless.
SET @sipvault_used_block = GREATEST(
  (SELECT COALESCE(MAX(id), 0) FROM sip_messages WHERE id < 281474976710656),
  (SELECT COALESCE(MAX(id), 0) FROM sip_rejects WHERE id < 281474976710656),
  (SELECT COALESCE(MAX(id), 0) FROM hep_other WHERE id < 281474976710656)) DIV 65536;
SET @sipvault_setval = CONCAT('SELECT SETVAL(sip_id_blocks, ', @sipvault_used_block, ')');
PREPARE sipvault_setval FROM @sipvault_setval;
EXECUTE sipvault_setval;
DEALLOCATE PREPARE sipvault_setval;

ALTER TABLE sip_messages MODIFY id BIGINT UNSIGNED NOT NULL, DROP INDEX IF EXISTS ix_id;
ALTER TABLE sip_rejects MODIFY id BIGINT UNSIGNED NOT NULL, DROP INDEX IF EXISTS ix_id;
ALTER TABLE hep_other MODIFY id BIGINT UNSIGNED NOT NULL, DROP INDEX IF EXISTS ix_id;
