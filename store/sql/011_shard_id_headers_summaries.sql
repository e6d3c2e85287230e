-- sipvault schema v11: the shard column (007) on the capture tables that came after it: sip_summaries
-- (008) and sip_headers (009). A cluster head reads them through Spider tables partitioned by shard_id
-- like the others and skips a shard that is down by its id (docs/cluster.md); the writer sets the
-- DEFAULT to its writer.shard_id at start (store/shard_column.h, every table of kCaptureTables).
-- ADD COLUMN at the end is instant (no rebuild).
ALTER TABLE sip_summaries ADD COLUMN IF NOT EXISTS shard_id SMALLINT UNSIGNED NOT NULL DEFAULT 0;

ALTER TABLE sip_headers ADD COLUMN IF NOT EXISTS shard_id SMALLINT UNSIGNED NOT NULL DEFAULT 0;
