-- sipvault schema v9: custom header values and correlation link values (issue 14).
-- The parser extracts the header fields and link values its config names (parser/header_extractor.h:
-- parser.headers.*, parser.correlation.*); the writer stores them here in the same transaction as
-- their message, one row per value. Columns: store/stored_rows.h (HeaderRow).
--   capture_us, message_id   the message's key in sip_messages (capture_us, id)
--   seq                      the value's position among its message's values (0..255)
--   kind                     0 = custom header field (searched as header.<name>=value),
--                            1 = correlation link value (followed by the api's call flow)
--   name, name_hash          the rule's name, lower-case; searchKey(name)
--   value, value_hash        the value (at most 255 bytes, cut by the parser); searchKey(value)
-- PRIMARY KEY (capture_us, message_id, seq) keeps a message's values together and in time order
-- (reading one message's values is one range read); ix_value finds the messages with one exact
-- value of one name (header.<name>=value, and the flow's "who else carries this icid-value"); a
-- `*` pattern scans the time range's partitions. Partitioned, maintained and retained like the
-- capture tables (the writer's partition maintenance lists it; see 001).
CREATE TABLE IF NOT EXISTS sip_headers (
  capture_us       BIGINT UNSIGNED   NOT NULL,
  message_id       BIGINT UNSIGNED   NOT NULL,
  seq              TINYINT UNSIGNED  NOT NULL,
  kind             TINYINT UNSIGNED  NOT NULL,
  name_hash        BIGINT UNSIGNED   NOT NULL,
  value_hash       BIGINT UNSIGNED   NOT NULL,
  name             VARBINARY(64)     NOT NULL,
  value            VARBINARY(255)    NOT NULL,
  PRIMARY KEY (capture_us, message_id, seq),
  KEY ix_value (value_hash, name_hash, kind)
) ENGINE=InnoDB PAGE_COMPRESSED=1
PARTITION BY RANGE (capture_us) (
  PARTITION p_past VALUES LESS THAN ({{FIRST_HOUR_US}}),
  PARTITION p_future VALUES LESS THAN MAXVALUE
);
