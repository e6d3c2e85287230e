-- sipvault schema v7: the shard a capture row was stored on (issue 13, docs/cluster.md).
-- A capture node's MariaDB is one "shard" of a cluster; a query node's MariaDB (the "head") reads
-- every shard through Spider tables PARTITION BY LIST (shard_id), one partition per shard, and
-- skips a shard that is down by its id. The writer sets the column's DEFAULT to its
-- writer.shard_id at start (store/shard_column.h), so no insert names the column and a single
-- node (shard_id 0, the default) stores exactly what it stored before.
-- ADD COLUMN at the end is instant in MariaDB >= 10.3 (no table rebuild).
ALTER TABLE sip_messages ADD COLUMN IF NOT EXISTS shard_id SMALLINT UNSIGNED NOT NULL DEFAULT 0;

ALTER TABLE sip_rejects ADD COLUMN IF NOT EXISTS shard_id SMALLINT UNSIGNED NOT NULL DEFAULT 0;

ALTER TABLE hep_other ADD COLUMN IF NOT EXISTS shard_id SMALLINT UNSIGNED NOT NULL DEFAULT 0;
