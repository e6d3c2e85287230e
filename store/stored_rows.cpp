#include "store/stored_rows.h"

#include <iterator>

namespace sipvault::store {

void RowBatch::append(RowBatch&& other) {
  auto move_all = [](auto& dst, auto& src) {
    if (dst.empty()) {
      dst = std::move(src);
    } else {
      dst.insert(dst.end(), std::make_move_iterator(src.begin()), std::make_move_iterator(src.end()));
    }
    src.clear();
  };
  move_all(messages, other.messages);
  move_all(rejects, other.rejects);
  move_all(others, other.others);
  move_all(summaries, other.summaries);
}

}  // namespace sipvault::store
