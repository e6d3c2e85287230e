#pragma once
// The 64-bit search key stored next to every searchable SIP value (Call-ID, From user, To user,
// R-URI user, correlation id) in the `*_hash` columns of the writer's tables.
//
// Contract, shared by writer (which stores it) and api (which hashes what a user searches for):
//   searchKey(bytes) = FNV-1a 64 over the exact bytes (no case folding, no trimming),
//   except that the empty value maps to 0, which therefore means "no value".
// The result is stored in a BIGINT UNSIGNED column. It is stable across builds and machines (no
// seed, no platform dependence); changing it requires a schema migration that rehashes. A key
// only narrows the search: two values may share a key, so the reader must compare the stored full
// value (or the raw message) before reporting a match.
//
// Pure, constexpr, thread-safe; no allocation.
#include <cstdint>
#include <string_view>

namespace sipvault::store {

inline constexpr uint64_t kFnv1a64Offset = 0xcbf29ce484222325ull;
inline constexpr uint64_t kFnv1a64Prime = 0x100000001b3ull;

[[nodiscard]] constexpr uint64_t searchKey(std::string_view bytes) {
  if (bytes.empty()) return 0;
  uint64_t h = kFnv1a64Offset;
  for (char c : bytes) {
    h ^= static_cast<uint8_t>(c);
    h *= kFnv1a64Prime;
  }
  return h;
}

}  // namespace sipvault::store
