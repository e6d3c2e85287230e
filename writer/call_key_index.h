#pragma once
// The sip_call_keys rows (store/sql/014) a batch of stored messages needs: each message's From,
// To and R-URI users and correlation id, keyed by its call and hour. A call's messages repeat the
// same few values, so a batch of N messages needs far fewer than 4 x N keys; the ones this writer
// stored in the last moments (a call's later messages usually come seconds after its first) are
// left out too, so most messages add no key row at all. A key left out wrongly would hide a call
// from a search, so "stored" is only what a committed batch held (remember()), and a key the
// memory has forgotten is simply written again (the insert leaves an existing row alone).
//
// The memory: two generations of 64-bit fingerprints in flat open-addressing tables; when the
// current one is half full it becomes the previous one and the oldest is cleared. Bounded
// (2 x kSlots x 8 bytes), no allocation per message. A fingerprint collision (two keys with the
// same 64 bits among ~1M remembered) would skip a needed row: odds ~1e-13 per key.
//
// Pure: no I/O, no clock. Not thread-safe; one per RowInserter.
#include <cstdint>
#include <span>
#include <vector>

#include "store/stored_rows.h"

namespace sipvault::writer {

class CallKeyIndex {
 public:
  static constexpr size_t kSlots = size_t{1} << 20;  // per generation; half of them may fill

  CallKeyIndex();

  // The distinct keys of `messages` not remembered, sorted (so concurrent writers lock rows in
  // one order), into `out` (cleared first).
  void collect(std::span<const store::SipMessageRow> messages, std::vector<store::CallKeyRow>& out) const;
  // Called once the keys are committed.
  void remember(std::span<const store::CallKeyRow> keys);
  [[nodiscard]] bool remembered(const store::CallKeyRow& key) const;

 private:
  struct Generation {
    std::vector<uint64_t> slots;  // 0 = empty
    size_t used = 0;
    [[nodiscard]] bool contains(uint64_t fingerprint) const;
    void insert(uint64_t fingerprint);
  };
  [[nodiscard]] static uint64_t fingerprint(const store::CallKeyRow& key);

  Generation current_;
  Generation previous_;
};

}  // namespace sipvault::writer
