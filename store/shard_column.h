#pragma once
// The shard a capture node's rows carry (store/sql/007_shard_id.sql, docs/cluster.md).
// A writer makes its writer.shard_id the DEFAULT of every capture table's shard_id column, once,
// at start: inserts never name the column (the insert path and the spool format stay as they
// are), and every row stored on this database, live or replayed from a spool, carries the id.
// Every writer of one database has the same shard_id; a database whose default already names
// another shard is refused instead of silently mixing two shards' ids.
#include <cstdint>

#include "store/db_connection.h"

namespace sipvault::store {

// Sets the DEFAULT of shard_id on every capture table to `shard_id` (an instant, metadata-only
// ALTER, skipped when already set). False with `error` when the column is missing (schema older
// than v7), when a table's default is another non-zero id, or on a database error.
[[nodiscard]] bool applyShardId(DbConnection& db, uint16_t shard_id, DbError& error);

}  // namespace sipvault::store
