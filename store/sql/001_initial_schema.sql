-- sipvault schema v1: captured SIP messages, SIP that failed to parse, and other HEP payloads.
-- Column meanings are documented in writer/README.md ("Schema").
--
-- Rules every migration follows (see store/migrator.h):
--   * statements end with ';' at the end of a line; '--' comment lines are skipped;
--   * statements are idempotent (IF NOT EXISTS), because DDL cannot be rolled back: a migration
--     cut short is simply applied again;
--   * {{FIRST_HOUR_US}} is replaced by the start of the current UTC hour in microseconds, so that
--     p_past ends where the writer's first hourly partition begins.
--
-- Time partitioning: every table is PARTITION BY RANGE (capture_us). The migration creates only
--   p_past   VALUES LESS THAN ({{FIRST_HOUR_US}})   rows captured before the writer's window
--   p_future VALUES LESS THAN MAXVALUE              rows captured after the prepared hours
-- and the writer's partition maintenance splits p_future into one partition per hour
-- (pYYYYMMDDHH, UTC) ahead of time and drops hourly partitions older than the retention. A row
-- whose time lies outside the prepared window is therefore always stored (p_past / p_future).
--
-- Text columns are VARBINARY: values are stored byte-exact as captured (SIP is not always valid
-- UTF-8), compare case-sensitively, and cost no charset conversion on insert.
-- Every unique key must contain the partition column. PRIMARY KEY (capture_us, id) clusters the
-- rows by capture time inside each hourly partition, so time-range scans (wildcard and unindexed
-- searches, "the last hour") read rows in order; AUTO_INCREMENT needs its own KEY (id). Measured
-- (writer/README.md, bench/README.md): ~4% more server CPU per insert than (id, capture_us); a
-- 24 h wildcard search over 5M rows drops from seconds to ~100 ms (bench/api_bench.md).

CREATE TABLE IF NOT EXISTS sip_messages (
  id               BIGINT UNSIGNED   NOT NULL AUTO_INCREMENT,
  capture_us       BIGINT UNSIGNED   NOT NULL,
  call_id_hash     BIGINT UNSIGNED   NOT NULL,
  from_user_hash   BIGINT UNSIGNED   NOT NULL,
  to_user_hash     BIGINT UNSIGNED   NOT NULL,
  ruri_user_hash   BIGINT UNSIGNED   NOT NULL,
  correlation_hash BIGINT UNSIGNED   NOT NULL,
  method           VARBINARY(64)     NOT NULL,
  status           SMALLINT UNSIGNED NOT NULL,
  cseq             BIGINT UNSIGNED   NOT NULL,
  call_id          VARBINARY(255)    NOT NULL,
  from_user        VARBINARY(128)    NOT NULL,
  from_tag         VARBINARY(128)    NOT NULL,
  to_user          VARBINARY(128)    NOT NULL,
  to_tag           VARBINARY(128)    NOT NULL,
  ruri_user        VARBINARY(128)    NOT NULL,
  user_agent       VARBINARY(255)    NOT NULL,
  via_branch       VARBINARY(128)    NOT NULL,
  x_cid            VARBINARY(255)    NOT NULL,
  correlation_id   VARBINARY(255)    NOT NULL,
  src_ip           VARBINARY(16)     NOT NULL,
  dst_ip           VARBINARY(16)     NOT NULL,
  src_port         SMALLINT UNSIGNED NOT NULL,
  dst_port         SMALLINT UNSIGNED NOT NULL,
  ip_proto         TINYINT UNSIGNED  NOT NULL,
  payload_type     TINYINT UNSIGNED  NOT NULL,
  vlan             SMALLINT UNSIGNED NOT NULL,
  capture_id       INT UNSIGNED      NOT NULL,
  node             VARBINARY(64)     NOT NULL,
  raw_len          INT UNSIGNED      NOT NULL,
  flags            SMALLINT UNSIGNED NOT NULL,
  raw              MEDIUMBLOB        NOT NULL,
  PRIMARY KEY (capture_us, id),
  KEY ix_id (id),
  KEY ix_call_id (call_id_hash),
  KEY ix_from_user (from_user_hash),
  KEY ix_to_user (to_user_hash),
  KEY ix_ruri_user (ruri_user_hash),
  KEY ix_correlation (correlation_hash)
) ENGINE=InnoDB
PARTITION BY RANGE (capture_us) (
  PARTITION p_past VALUES LESS THAN ({{FIRST_HOUR_US}}),
  PARTITION p_future VALUES LESS THAN MAXVALUE
);

CREATE TABLE IF NOT EXISTS sip_rejects (
  id               BIGINT UNSIGNED   NOT NULL AUTO_INCREMENT,
  capture_us       BIGINT UNSIGNED   NOT NULL,
  reason           VARBINARY(255)    NOT NULL,
  correlation_id   VARBINARY(255)    NOT NULL,
  src_ip           VARBINARY(16)     NOT NULL,
  dst_ip           VARBINARY(16)     NOT NULL,
  src_port         SMALLINT UNSIGNED NOT NULL,
  dst_port         SMALLINT UNSIGNED NOT NULL,
  ip_proto         TINYINT UNSIGNED  NOT NULL,
  payload_type     TINYINT UNSIGNED  NOT NULL,
  vlan             SMALLINT UNSIGNED NOT NULL,
  capture_id       INT UNSIGNED      NOT NULL,
  node             VARBINARY(64)     NOT NULL,
  raw_len          INT UNSIGNED      NOT NULL,
  flags            SMALLINT UNSIGNED NOT NULL,
  raw              MEDIUMBLOB        NOT NULL,
  PRIMARY KEY (capture_us, id),
  KEY ix_id (id)
) ENGINE=InnoDB
PARTITION BY RANGE (capture_us) (
  PARTITION p_past VALUES LESS THAN ({{FIRST_HOUR_US}}),
  PARTITION p_future VALUES LESS THAN MAXVALUE
);

CREATE TABLE IF NOT EXISTS hep_other (
  id               BIGINT UNSIGNED   NOT NULL AUTO_INCREMENT,
  capture_us       BIGINT UNSIGNED   NOT NULL,
  correlation_hash BIGINT UNSIGNED   NOT NULL,
  correlation_id   VARBINARY(255)    NOT NULL,
  src_ip           VARBINARY(16)     NOT NULL,
  dst_ip           VARBINARY(16)     NOT NULL,
  src_port         SMALLINT UNSIGNED NOT NULL,
  dst_port         SMALLINT UNSIGNED NOT NULL,
  ip_proto         TINYINT UNSIGNED  NOT NULL,
  payload_type     TINYINT UNSIGNED  NOT NULL,
  vlan             SMALLINT UNSIGNED NOT NULL,
  capture_id       INT UNSIGNED      NOT NULL,
  node             VARBINARY(64)     NOT NULL,
  raw_len          INT UNSIGNED      NOT NULL,
  flags            SMALLINT UNSIGNED NOT NULL,
  raw              MEDIUMBLOB        NOT NULL,
  PRIMARY KEY (capture_us, id),
  KEY ix_id (id),
  KEY ix_correlation (correlation_hash)
) ENGINE=InnoDB
PARTITION BY RANGE (capture_us) (
  PARTITION p_past VALUES LESS THAN ({{FIRST_HOUR_US}}),
  PARTITION p_future VALUES LESS THAN MAXVALUE
);
