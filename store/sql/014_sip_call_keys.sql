-- sipvault schema v14: the per-call index (issue 17, "fewer random-key index entries per message").
--
-- sip_messages had five random-key hash indexes (Call-ID, From user, To user, R-URI user,
-- correlation id): every stored message wrote five entries at random places, and with tens of
-- millions of rows in the hour those index pages no longer fit in the buffer pool and every
-- insert dirties five random pages. A call's messages share their From, To and R-URI users and
-- correlation id, so those four are now indexed once per call and hour instead of once per
-- message: sip_messages keeps only ix_call_id, and a search by number finds the calls here, then
-- their messages through ix_call_id (api/search_sql.cpp appendCallKeyMatch). The *_hash columns
-- stay on sip_messages: the message-level condition (from_user_hash = ... AND from_user = ...)
-- still picks the matching messages of a call.
--
--   hour_us       start of the UTC hour of the messages that carried the value (µs since the Unix
--                 epoch); the partition key. A call that spans hours has keys in each of them
--   kind          what key_hash is the search key of (store/stored_rows.h CallKeyKind):
--                 1 From user, 2 To user, 3 R-URI user, 4 correlation id (HEP chunk 17, else X-CID)
--   key_hash      store/search_key.h searchKey of the value, as in sip_messages.*_hash; empty
--                 values (key 0) are not stored
--   call_id_hash  sip_messages.call_id_hash of the messages
--   shard_id      the capture node (007/011), the writer's writer.shard_id as the DEFAULT
-- The writer adds a batch's distinct keys in the batch's own transaction (INSERT ... ON DUPLICATE
-- KEY UPDATE: a key another batch or writer already stored is left as it is), so a message is
-- never searchable by number without its key, and skips keys it stored in the last few seconds
-- (writer/call_key_index.h). One primary key and nothing else: a search by number is one range
-- read of (key_hash, kind, hour_us). Kept as long as the longest storage class, like sip_headers.
CREATE TABLE IF NOT EXISTS sip_call_keys (
  key_hash         BIGINT UNSIGNED   NOT NULL,
  kind             TINYINT UNSIGNED  NOT NULL,
  hour_us          BIGINT UNSIGNED   NOT NULL,
  call_id_hash     BIGINT UNSIGNED   NOT NULL,
  shard_id         SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (key_hash, kind, hour_us, call_id_hash)
) ENGINE=InnoDB
PARTITION BY RANGE (hour_us) (
  PARTITION p_past VALUES LESS THAN ({{FIRST_HOUR_US}}),
  PARTITION p_future VALUES LESS THAN MAXVALUE
);

-- An existing install: the keys of every stored message (one pass per kind; a re-run after a
-- start that died adds nothing twice), then the four indexes go (in place, no table copy).
INSERT IGNORE INTO sip_call_keys (key_hash, kind, hour_us, call_id_hash, shard_id) SELECT DISTINCT from_user_hash, 1, capture_us - capture_us % 3600000000, call_id_hash, shard_id FROM sip_messages WHERE from_user_hash <> 0;
INSERT IGNORE INTO sip_call_keys (key_hash, kind, hour_us, call_id_hash, shard_id) SELECT DISTINCT to_user_hash, 2, capture_us - capture_us % 3600000000, call_id_hash, shard_id FROM sip_messages WHERE to_user_hash <> 0;
INSERT IGNORE INTO sip_call_keys (key_hash, kind, hour_us, call_id_hash, shard_id) SELECT DISTINCT ruri_user_hash, 3, capture_us - capture_us % 3600000000, call_id_hash, shard_id FROM sip_messages WHERE ruri_user_hash <> 0;
INSERT IGNORE INTO sip_call_keys (key_hash, kind, hour_us, call_id_hash, shard_id) SELECT DISTINCT correlation_hash, 4, capture_us - capture_us % 3600000000, call_id_hash, shard_id FROM sip_messages WHERE correlation_hash <> 0;

ALTER TABLE sip_messages DROP INDEX IF EXISTS ix_from_user, DROP INDEX IF EXISTS ix_to_user, DROP INDEX IF EXISTS ix_ruri_user, DROP INDEX IF EXISTS ix_correlation;
