#include "store/row_ids.h"

#include <charconv>

namespace sipvault::store {

bool RowIdAllocator::next(DbConnection& db, uint64_t& id, DbError& error) {
  if (next_ == end_) {
    const auto value = db.queryValue("SELECT NEXT VALUE FOR sip_id_blocks", error);
    if (!value) {
      if (error.message.empty()) error = DbError{0, "", "NEXT VALUE FOR sip_id_blocks returned no value"};
      return false;
    }
    uint64_t block = 0;
    const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), block);
    if (ec != std::errc() || end != value->data() + value->size() ||
        block >= (uint64_t{1} << (kRowIdShardShift - kRowIdBlockShift))) {
      error = DbError{0, "", "sip_id_blocks gave block '" + *value + "', outside 1..2^32-1"};
      return false;
    }
    next_ = (uint64_t{shard_id_} << kRowIdShardShift) | (block << kRowIdBlockShift);
    end_ = next_ + kRowIdBlockSize;
  }
  id = next_++;
  return true;
}

bool RowIdAllocator::assign(DbConnection& db, RowBatch& batch, DbError& error) {
  auto number = [&](auto& rows) {
    for (auto& row : rows)
      if (!next(db, row.packet.id, error)) return false;
    return true;
  };
  if (!number(batch.messages) || !number(batch.rejects) || !number(batch.others)) return false;
  for (QosRow& row : batch.qos)  // not a PacketColumns row: its id is its own
    if (!next(db, row.id, error)) return false;
  return true;
}

}  // namespace sipvault::store
