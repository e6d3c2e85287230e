#include "writer/duplicate_window.h"

#include <algorithm>
#include <cstring>

namespace sipvault::writer {
namespace {

// A wyhash-style 64-bit hash: 16 bytes per step through a 64x64->128 multiply. Not a stored
// format (keys live only in memory), so it can change freely; FNV-1a (search_key.h) would be ~10x
// slower over a 500-byte payload.
constexpr uint64_t kP0 = 0xa0761d6478bd642full;
constexpr uint64_t kP1 = 0xe7037ed1a0b428dbull;
constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ull;

inline uint64_t mum(uint64_t a, uint64_t b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t read64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Up to 8 bytes, zero-padded.
inline uint64_t readTail(const char* p, size_t n) {
  uint64_t v = 0;
  std::memcpy(&v, p, n);
  return v;
}

uint64_t hashBytes(std::string_view s, uint64_t seed) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = seed ^ kP0;
  while (n >= 16) {
    h = mum(read64(p) ^ kP1, read64(p + 8) ^ h);
    p += 16;
    n -= 16;
  }
  uint64_t a = 0, b = 0;
  if (n >= 8) {
    a = read64(p);
    b = readTail(p + 8, n - 8);
  } else {
    a = readTail(p, n);
  }
  h = mum(a ^ kP1, b ^ h ^ kP2);
  return mum(h ^ s.size(), kP2 ^ kP0);
}

}  // namespace

uint64_t packetContentKey(std::string_view src_ip, uint32_t src_port, std::string_view dst_ip, uint32_t dst_port,
                          uint32_t ip_proto, std::string_view payload) {
  // The addresses, fixed-size: lengths kept so that a 4-byte and a 16-byte address never mix.
  char head[2 + 16 + 16 + 4 + 4 + 4] = {};
  const size_t src_n = std::min<size_t>(src_ip.size(), 16), dst_n = std::min<size_t>(dst_ip.size(), 16);
  head[0] = static_cast<char>(src_n);
  head[1] = static_cast<char>(dst_n);
  std::memcpy(head + 2, src_ip.data(), src_n);
  std::memcpy(head + 18, dst_ip.data(), dst_n);
  std::memcpy(head + 34, &src_port, 4);
  std::memcpy(head + 38, &dst_port, 4);
  std::memcpy(head + 42, &ip_proto, 4);
  return hashBytes(payload, hashBytes(std::string_view(head, sizeof head), 0));
}

DuplicateWindow::DuplicateWindow(DuplicateWindowOptions options) : options_(options) {
  if (options_.max_entries < 1) options_.max_entries = 1;
  options_.max_entries = std::min<size_t>(options_.max_entries, size_t{1} << 30);  // 32-bit positions
}

uint32_t DuplicateWindow::tagOf(uint64_t key) {
  // Mixed, so that keys which are not hashes (tests, small numbers) still spread over the index.
  return static_cast<uint32_t>((key * 0x9e3779b97f4a7c15ull) >> 32);
}

bool DuplicateWindow::isDuplicate(uint64_t content_key, uint64_t capture_us, int64_t now_ms) {
  if (!enabled()) return false;
  while (count_ > 0 && now_ms - ring_[head_].arrival_ms > options_.memory_ms) forgetOldest();
  const uint32_t tag = tagOf(content_key);
  if (count_ > 0) {
    for (size_t i = home(tag); index_[i] != 0; i = (i + 1) & mask_) {
      if (static_cast<uint32_t>(index_[i] >> 32) != tag) continue;
      const Entry& e = ring_[static_cast<uint32_t>(index_[i]) - 1];
      const uint64_t apart = e.capture_us > capture_us ? e.capture_us - capture_us : capture_us - e.capture_us;
      if (e.key == content_key && apart <= options_.window_us) return true;
    }
  }
  if (count_ == ring_.size()) {
    if (ring_.size() < options_.max_entries) {
      grow();
    } else {
      forgetOldest();
      ++evictions_;
    }
  }
  size_t position = head_ + count_;
  if (position >= ring_.size()) position -= ring_.size();
  ring_[position] = {content_key, capture_us, now_ms};
  ++count_;
  indexInsert(static_cast<uint32_t>(position));
  return false;
}

void DuplicateWindow::indexInsert(uint32_t position) {
  const uint32_t tag = tagOf(ring_[position].key);
  size_t i = home(tag);
  while (index_[i] != 0) i = (i + 1) & mask_;
  index_[i] = static_cast<uint64_t>(tag) << 32 | (position + 1);
}

void DuplicateWindow::forgetOldest() {
  const uint64_t slot = static_cast<uint64_t>(tagOf(ring_[head_].key)) << 32 | (head_ + 1);
  size_t i = home(static_cast<uint32_t>(slot >> 32));
  for (size_t n = 0; index_[i] != slot && n <= mask_; ++n) i = (i + 1) & mask_;
  if (index_[i] == slot) {
    // Backward-shift deletion: pull later slots of the probe run into the hole unless their home
    // lies cyclically in (hole, their slot], so that every lookup still finds them.
    for (size_t j = (i + 1) & mask_; index_[j] != 0; j = (j + 1) & mask_) {
      const size_t k = home(static_cast<uint32_t>(index_[j] >> 32));
      const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (!stays) {
        index_[i] = index_[j];
        i = j;
      }
    }
    index_[i] = 0;
  }
  head_ = head_ + 1 == ring_.size() ? 0 : head_ + 1;
  --count_;
}

void DuplicateWindow::grow() {
  const size_t capacity = std::min(options_.max_entries, std::max<size_t>(1024, ring_.size() * 2));
  std::vector<Entry> ring(capacity);
  for (size_t n = 0; n < count_; ++n) ring[n] = ring_[(head_ + n) % ring_.size()];
  ring_.swap(ring);
  head_ = 0;
  size_t slots = 1;
  while (slots < capacity * 2) slots <<= 1;
  index_.assign(slots, 0);
  mask_ = slots - 1;
  for (size_t n = 0; n < count_; ++n) indexInsert(static_cast<uint32_t>(n));
}

}  // namespace sipvault::writer
