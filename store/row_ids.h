#pragma once
// Row ids issued by the writer (migration 006): id = shard_id << 48 | block << 16 | n.
//
// A block of 65,536 ids comes from one NEXT VALUE FOR sip_id_blocks, a MariaDB SEQUENCE: every
// writer of a database takes its own blocks, so ids never collide between writers or tables, and the
// shard bits keep capture nodes apart in a cluster. A writer that stops wastes the rest of its block;
// 2^32 blocks per shard last 148 years at 60,000 rows/s.
#include <cstdint>

#include "store/db_connection.h"
#include "store/stored_rows.h"

namespace sipvault::store {

inline constexpr int kRowIdShardShift = 48;
inline constexpr int kRowIdBlockShift = 16;
inline constexpr uint64_t kRowIdBlockSize = uint64_t{1} << kRowIdBlockShift;
inline constexpr uint64_t kRowIdMaxShard = 0xffff;

[[nodiscard]] constexpr uint64_t rowIdShard(uint64_t id) { return id >> kRowIdShardShift; }

class RowIdAllocator {
 public:
  explicit RowIdAllocator(uint16_t shard_id) : shard_id_(shard_id) {}

  // Gives every row of `batch` a new id (also on a retry: a batch that rolled back keeps nothing).
  // False with `error` set when no block could be taken.
  [[nodiscard]] bool assign(DbConnection& db, RowBatch& batch, DbError& error);

  [[nodiscard]] uint16_t shardId() const { return shard_id_; }

 private:
  bool next(DbConnection& db, uint64_t& id, DbError& error);

  uint16_t shard_id_;
  uint64_t next_ = 0;  // next id of the current block
  uint64_t end_ = 0;   // one past its last id
};

}  // namespace sipvault::store
