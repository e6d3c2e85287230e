#pragma once
// How the writer stores a raw captured message (the `raw`, `raw_len` and `flags` columns), and how
// a reader gets the exact original bytes back. Shared by writer (encode) and api (decode).
//
//   flags & kRawDeflated   raw = MariaDB/MySQL COMPRESS() format:
//                            +----------------------------+---------------------------------+
//                            | original length, u32 LE (4) | zlib stream (RFC 1950) ...      |
//                            +----------------------------+---------------------------------+
//                          so `SELECT UNCOMPRESS(raw)` in a SQL client shows the message too;
//                          inflating yields exactly raw_len bytes
//   otherwise              raw = the original bytes, verbatim (raw_len == size)
// The writer deflates when that saves space (short messages often do not shrink) and keeps the
// original otherwise. Decoding is byte-exact: the raw message is evidence.
//
// Pure (zlib only). RawEncoder keeps one deflate state (reused: allocating one per message costs
// ten times the compression itself) and is not thread-safe; decodeRaw is. Link
// sipvault_writer_format (ZLIB::ZLIB).
#include <zlib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sipvault {

// Bits of the `flags` column.
inline constexpr uint16_t kRawDeflated = 1u << 0;     // `raw` is in COMPRESS() format (above)
inline constexpr uint16_t kFieldTruncated = 1u << 1;  // a text column was cut to its width; the
                                                      // raw message and the *_hash keys hold the full value

// zlib level 1: on SIP text it shrinks about as much as level 6 for less CPU
// (bench/writer_bench.cpp prints both).
inline constexpr int kRawDeflateLevel = 1;
// Messages shorter than this are stored as they are: the 4-byte prefix and zlib header eat the gain.
inline constexpr size_t kRawDeflateMinBytes = 64;

class RawEncoder {
 public:
  // memLevel 5 instead of 8: same output on messages this size, a 4x cheaper deflateReset().
  RawEncoder() { ok_ = deflateInit2(&zs_, kRawDeflateLevel, Z_DEFLATED, 15, 5, Z_DEFAULT_STRATEGY) == Z_OK; }
  ~RawEncoder() {
    if (ok_) deflateEnd(&zs_);
  }
  RawEncoder(const RawEncoder&) = delete;
  RawEncoder& operator=(const RawEncoder&) = delete;

  // Encodes `raw` for storage into `out` (replaced). Returns the flags to store (kRawDeflated or 0).
  [[nodiscard]] uint16_t encode(std::string_view raw, std::string& out) {
    out.clear();
    if (ok_ && raw.size() >= kRawDeflateMinBytes && raw.size() <= 0xffffffffu && deflateReset(&zs_) == Z_OK) {
      const uLong bound = deflateBound(&zs_, static_cast<uLong>(raw.size()));
      out.resize(4 + bound);
      const uint32_t n = static_cast<uint32_t>(raw.size());
      for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
      zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
      zs_.avail_in = static_cast<uInt>(raw.size());
      zs_.next_out = reinterpret_cast<Bytef*>(out.data() + 4);
      zs_.avail_out = static_cast<uInt>(bound);
      if (deflate(&zs_, Z_FINISH) == Z_STREAM_END) {
        const size_t size = 4 + (bound - zs_.avail_out);
        if (size < raw.size()) {
          out.resize(size);
          return kRawDeflated;
        }
      }
      out.clear();
    }
    out.assign(raw);
    return 0;
  }

 private:
  z_stream zs_{};
  bool ok_ = false;
};

// Decodes a stored `raw` column. nullopt when it is corrupt: a bad zlib stream, a length prefix
// that is not raw_len, or an inflated size other than raw_len.
[[nodiscard]] inline std::optional<std::string> decodeRaw(std::string_view stored, uint32_t raw_len, uint16_t flags) {
  if (!(flags & kRawDeflated)) {
    if (stored.size() != raw_len) return std::nullopt;
    return std::string(stored);
  }
  if (stored.size() < 4) return std::nullopt;
  uint32_t prefix = 0;
  for (int i = 0; i < 4; ++i) prefix |= static_cast<uint32_t>(static_cast<uint8_t>(stored[i])) << (8 * i);
  if (prefix != raw_len) return std::nullopt;
  std::string out(raw_len, '\0');
  uLongf len = raw_len;
  Bytef empty = 0;  // uncompress() wants a non-null destination even for an empty message
  Bytef* dest = raw_len ? reinterpret_cast<Bytef*>(out.data()) : &empty;
  if (uncompress(dest, &len, reinterpret_cast<const Bytef*>(stored.data() + 4), static_cast<uLong>(stored.size() - 4)) !=
          Z_OK ||
      len != raw_len)
    return std::nullopt;
  return out;
}

}  // namespace sipvault
