-- sipvault schema v8: storage classes (issue 14) and OPTIONS-style summaries.
--
-- sip_messages gets storage_class (proto/storage_class.h: 0 calls, 1 registrations, 2 other) and is
-- partitioned by RANGE COLUMNS (storage_class, capture_us): every class has its own p_cN_past,
-- hourly p_cN_YYYYMMDDHH and p_cN_future partitions, so the writer keeps and drops each class's
-- hours on its own retention (writer.class.<name>.retention_hours) and the disk guard can drop the
-- oldest hour of the least important class first. One table, not one per class: ids stay unique,
-- the api keeps one search path, and a search that names the classes (storage_class IN (...),
-- which the api always adds) prunes to class x hour partitions (tests/store/schema_test.cpp checks
-- this with EXPLAIN PARTITIONS; writer/README.md "Storage classes" has the measurements).
--
-- An existing install moves forward without loss: every stored row becomes class 0 (calls) and
-- lands in p_c0_past (rows before this hour) or p_c0_future (the writer splits it into hours on its
-- next round); the writer empties p_cN_past once all of it is past the class's retention.
-- Each ALTER rebuilds the table (rows copied once); both may run again after a start that died.
ALTER TABLE sip_messages ADD COLUMN IF NOT EXISTS storage_class TINYINT UNSIGNED NOT NULL DEFAULT 0 AFTER capture_us, DROP PRIMARY KEY, ADD PRIMARY KEY (capture_us, id, storage_class);

ALTER TABLE sip_messages PARTITION BY RANGE COLUMNS (storage_class, capture_us) (
  PARTITION p_c0_past VALUES LESS THAN (0, {{FIRST_HOUR_US}}),
  PARTITION p_c0_future VALUES LESS THAN (0, MAXVALUE),
  PARTITION p_c1_past VALUES LESS THAN (1, {{FIRST_HOUR_US}}),
  PARTITION p_c1_future VALUES LESS THAN (1, MAXVALUE),
  PARTITION p_c2_past VALUES LESS THAN (2, {{FIRST_HOUR_US}}),
  PARTITION p_c2_future VALUES LESS THAN (MAXVALUE, MAXVALUE)
);

-- Summarized messages (ingest policy action `summarize`): no message row, one count per minute,
-- source, destination, method and status, added in the batch's transaction
-- (INSERT ... ON DUPLICATE KEY UPDATE count = count + VALUES(count)), so a count is as durable as
-- the ack. Hourly partitions like the capture tables, retention writer.summary_retention_hours.
CREATE TABLE IF NOT EXISTS sip_summaries (
  minute_us        BIGINT UNSIGNED   NOT NULL,
  src_ip           VARBINARY(16)     NOT NULL,
  dst_ip           VARBINARY(16)     NOT NULL,
  dst_port         SMALLINT UNSIGNED NOT NULL,
  method           VARBINARY(64)     NOT NULL,
  status           SMALLINT UNSIGNED NOT NULL,
  count            BIGINT UNSIGNED   NOT NULL,
  PRIMARY KEY (minute_us, src_ip, dst_ip, dst_port, method, status),
  KEY ix_src (src_ip, minute_us),
  KEY ix_dst (dst_ip, minute_us)
) ENGINE=InnoDB
PARTITION BY RANGE (minute_us) (
  PARTITION p_past VALUES LESS THAN ({{FIRST_HOUR_US}}),
  PARTITION p_future VALUES LESS THAN MAXVALUE
);
