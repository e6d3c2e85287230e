#pragma once
// HEP packets encoded by a capture thread, handed to the sender as one unit so that the
// hand-off (a queue push, a wakeup) and the send (one sendmmsg, one TCP write) are paid per
// batch, not per packet. A plain value; moved, never shared.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sipvault::agent {

struct HepBatch {
  std::string bytes;            // HEP packets back to back
  std::vector<uint32_t> ends;   // end offset in `bytes` of each packet

  [[nodiscard]] size_t size() const { return ends.size(); }
  [[nodiscard]] bool empty() const { return ends.empty(); }
  [[nodiscard]] std::string_view packet(size_t i) const {
    const uint32_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(bytes).substr(begin, ends[i] - begin);
  }
  void clear() {
    bytes.clear();
    ends.clear();
  }
};

}  // namespace sipvault::agent
