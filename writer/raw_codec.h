#pragma once
// How the writer stores a raw captured message (the `raw`, `raw_len` and `flags` columns), and how
// a reader gets the exact original bytes back. Shared by writer (encode) and api (decode).
//
//   flags & kRawDeflated   raw = zlib stream (RFC 1950, zlib's compress()/uncompress() format)
//                          of the original bytes; inflating it yields exactly raw_len bytes
//   otherwise              raw = the original bytes, verbatim (raw_len == size)
// The writer deflates when that saves space (short messages often do not shrink) and keeps the
// original otherwise. Decoding is byte-exact: the raw message is evidence.
//
// Pure functions (zlib only), thread-safe. Link ZLIB::ZLIB (target sipvault_writer_format).
#include <zlib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sipvault {

// Bits of the `flags` column.
inline constexpr uint16_t kRawDeflated = 1u << 0;     // `raw` holds a zlib stream
inline constexpr uint16_t kFieldTruncated = 1u << 1;  // a text column was cut to its width; the
                                                      // raw message and the *_hash keys hold the full value

// zlib level 1: SIP text compresses almost as well as at level 6 for a fraction of the CPU
// (measured in bench/writer_bench.cpp).
inline constexpr int kRawDeflateLevel = 1;

// Encodes `raw` for storage into `out` (replaced). Returns the flags to store (kRawDeflated or 0).
[[nodiscard]] inline uint16_t encodeRaw(std::string_view raw, std::string& out) {
  out.clear();
  if (raw.size() >= 64) {
    uLongf cap = compressBound(static_cast<uLong>(raw.size()));
    out.resize(cap);
    if (compress2(reinterpret_cast<Bytef*>(out.data()), &cap, reinterpret_cast<const Bytef*>(raw.data()),
                  static_cast<uLong>(raw.size()), kRawDeflateLevel) == Z_OK &&
        cap < raw.size()) {
      out.resize(cap);
      return kRawDeflated;
    }
  }
  out.assign(raw);
  return 0;
}

// Decodes a stored `raw` column. nullopt when the stream is corrupt or does not inflate to exactly
// `raw_len` bytes.
[[nodiscard]] inline std::optional<std::string> decodeRaw(std::string_view stored, uint32_t raw_len,
                                                          uint16_t flags) {
  if (!(flags & kRawDeflated)) {
    if (stored.size() != raw_len) return std::nullopt;
    return std::string(stored);
  }
  std::string out(raw_len, '\0');
  uLongf len = raw_len;
  // uncompress() needs a non-null destination even for an empty message.
  Bytef empty = 0;
  Bytef* dest = raw_len ? reinterpret_cast<Bytef*>(out.data()) : &empty;
  if (uncompress(dest, &len, reinterpret_cast<const Bytef*>(stored.data()), static_cast<uLong>(stored.size())) !=
          Z_OK ||
      len != raw_len)
    return std::nullopt;
  return out;
}

}  // namespace sipvault
