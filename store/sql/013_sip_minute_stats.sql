-- sipvault schema v13: pre-aggregated per-minute counts for the stats endpoint and the dashboard
-- (issue 13). GET /api/v1/stats without a filter used to run three GROUP BY scans over
-- sip_messages for its range (24 h of a carrier node: over a billion rows); it now reads these
-- counts instead: at most (minutes x distinct names) rows, whatever the ingest rate.
-- One row per minute and counted thing. The writer adds a batch's counts in the batch's own
-- transaction (INSERT ... ON DUPLICATE KEY UPDATE count = count + VALUES(count), like
-- sip_summaries), so the counts are exactly as durable as the sip_messages rows they count.
--   minute_us   capture time of the counted messages, rounded down to the minute (µs since the
--               Unix epoch, UTC); the partition key
--   kind        what `name` is: 0 request method (sip_messages rows with status 0), 1 response
--               status class (status DIV 100: '1'..'6'), 2 User-Agent (user_agent, User-Agent or
--               Server, of every row whose value is not empty)
--   name        the method (as stored, <= 64 bytes), the class digit, or the User-Agent (as stored,
--               <= 255 bytes). A writer admits at most writer.stats_max_agents_per_minute distinct
--               User-Agents a minute; the rest count under '(other)' (not a SIP token, like the
--               api's other-methods name), so random User-Agents cannot add a row per message
--   count       stored sip_messages rows (every storage class) of that minute, kind and name;
--               summarized and dropped messages (ingest policy) and rejects are not counted
--   shard_id    the capture node (007/011): the writer makes its writer.shard_id the DEFAULT; a
--               cluster head reads the table through Spider partitioned by it
-- Hourly RANGE partitions on minute_us like sip_summaries; kept as long as the longest storage
-- class retention (writer.class.<name>.retention_hours, default writer.retention_hours): the
-- counts cover every message still stored; a shorter-lived class's counts outlive its rows.
CREATE TABLE IF NOT EXISTS sip_minute_stats (
  minute_us        BIGINT UNSIGNED   NOT NULL,
  kind             TINYINT UNSIGNED  NOT NULL,
  name             VARBINARY(255)    NOT NULL,
  count            BIGINT UNSIGNED   NOT NULL,
  shard_id         SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (minute_us, kind, name)
) ENGINE=InnoDB
PARTITION BY RANGE (minute_us) (
  PARTITION p_past VALUES LESS THAN ({{FIRST_HOUR_US}}),
  PARTITION p_future VALUES LESS THAN MAXVALUE
);
