-- sipvault schema v15: per-hour counts beside the per-minute ones (issue 13, stats through a
-- cluster head). GET /api/v1/stats over a day at one-hour steps read 1,440 sip_minute_stats rows
-- per counted name, a month at daily steps 44,640, and a cluster head does that on every shard.
-- The writer adds the same counts summed over their UTC hour here, in the same statement batch
-- and transaction as the per-minute ones, and the api answers a request whose step is a whole
-- number of hours from this table (`from` snapped to its hour, the hour `to` falls in counted
-- whole), 60 times fewer rows.
--   hour_us   capture time of the counted messages, rounded down to the UTC hour (µs since the
--             Unix epoch); the partition key
--   kind, name, count, shard_id   as in sip_minute_stats (013): the sum of that table's rows of
--             the hour, User-Agents folded into '(other)' there included
-- Hourly RANGE partitions and the retention of sip_minute_stats (the longest class retention).
-- This script also sums the per-minute counts already stored. A cluster head skips it (it names a
-- capture table) and its Spider table comes from `sipvault-cluster apply`. Upgrade every writer of
-- a database together: a writer older than v15 (it logs schema_newer_than_binary) still adds
-- per-minute counts without their hour's.
CREATE TABLE IF NOT EXISTS sip_hour_stats (
  hour_us          BIGINT UNSIGNED   NOT NULL,
  kind             TINYINT UNSIGNED  NOT NULL,
  name             VARBINARY(255)    NOT NULL,
  count            BIGINT UNSIGNED   NOT NULL,
  shard_id         SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (hour_us, kind, name)
) ENGINE=InnoDB
PARTITION BY RANGE (hour_us) (
  PARTITION p_past VALUES LESS THAN ({{FIRST_HOUR_US}}),
  PARTITION p_future VALUES LESS THAN MAXVALUE
);
INSERT INTO sip_hour_stats (hour_us, kind, name, count, shard_id)
SELECT minute_us - minute_us % 3600000000, kind, name, SUM(count), MIN(shard_id)
FROM sip_minute_stats
GROUP BY minute_us - minute_us % 3600000000, kind, name
ON DUPLICATE KEY UPDATE count = VALUES(count);
