#pragma once
// How the writer stores a raw captured message (the `raw`, `raw_len` and `flags` columns), and how
// a reader gets the exact original bytes back. Shared by writer (encode) and api (decode).
//
//   flags & kRawLz4        raw = LZ4 block format with the same length prefix:
//                            +----------------------------+---------------------------------+
//                            | original length, u32 LE (4) | LZ4 block (lz4 "block format")  |
//                            +----------------------------+---------------------------------+
//                          the default: ~10x cheaper than deflate on SIP-sized messages, which
//                          decides the writer's ceiling (bench/README.md, issue 3)
//   flags & kRawDeflated   raw = MariaDB/MySQL COMPRESS() format:
//                            +----------------------------+---------------------------------+
//                            | original length, u32 LE (4) | zlib stream (RFC 1950) ...      |
//                            +----------------------------+---------------------------------+
//                          so `SELECT UNCOMPRESS(raw)` in a SQL client shows the message too
//                          (writer.raw_codec = deflate)
//   neither                raw = the original bytes, verbatim (raw_len == size)
// The writer compresses when that saves space (short messages often do not shrink) and keeps the
// original otherwise. Decoding is byte-exact (inflating yields exactly raw_len bytes, or nothing):
// the raw message is evidence. Rows written with different codecs can sit in one table.
//
// Pure (zlib + liblz4). RawEncoder keeps its compressor state (reused: allocating one per message
// costs more than the compression itself) and is not thread-safe; decodeRaw is. Link
// sipvault_store.
#include <lz4.h>
#include <zlib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipvault::store {

// Bits of the `flags` column.
inline constexpr uint16_t kRawDeflated = 1u << 0;     // `raw` is in COMPRESS() format (above)
inline constexpr uint16_t kFieldTruncated = 1u << 1;  // a text column was cut to its width; the
                                                      // raw message and the *_hash keys hold the full value
inline constexpr uint16_t kRawLz4 = 1u << 2;          // `raw` is a length-prefixed LZ4 block (above)
// The writer stored no sip_headers row for the message, so readers skip that statement (on a
// cluster head, a round to the shards). Set since schema v14's writers; a row without it may
// have header rows (older writers never set it).
inline constexpr uint16_t kNoHeaderRows = 1u << 3;

enum class RawCodec { Lz4, Deflate };

// zlib level 1: on SIP text it shrinks about as much as level 6 for less CPU
// (bench/writer_bench.cpp prints both).
inline constexpr int kRawDeflateLevel = 1;
// Messages shorter than this are stored as they are: the 4-byte prefix and zlib header eat the gain.
inline constexpr size_t kRawDeflateMinBytes = 64;

class RawEncoder {
 public:
  // deflate: memLevel 5 instead of 8: same output on messages this size, a 4x cheaper deflateReset().
  explicit RawEncoder(RawCodec codec = RawCodec::Lz4) : codec_(codec) {
    if (codec_ == RawCodec::Deflate)
      ok_ = deflateInit2(&zs_, kRawDeflateLevel, Z_DEFLATED, 15, 5, Z_DEFAULT_STRATEGY) == Z_OK;
    else
      ok_ = true;
  }
  ~RawEncoder() {
    if (ok_ && codec_ == RawCodec::Deflate) deflateEnd(&zs_);
  }
  RawEncoder(const RawEncoder&) = delete;
  RawEncoder& operator=(const RawEncoder&) = delete;

  // Encodes `raw` for storage into `out` (replaced). Returns the flags to store (kRawLz4,
  // kRawDeflated or 0).
  [[nodiscard]] uint16_t encode(std::string_view raw, std::string& out) {
    out.clear();
    // LZ4_MAX_INPUT_SIZE is below 2^31, so the u32 prefix always holds the length.
    if (ok_ && raw.size() >= kRawDeflateMinBytes && raw.size() <= LZ4_MAX_INPUT_SIZE) {
      const uint16_t flag = codec_ == RawCodec::Lz4 ? compressLz4(raw, out) : compressDeflate(raw, out);
      if (flag != 0) return flag;
    }
    out.assign(raw);
    return 0;
  }

 private:
  static void putPrefix(std::string& out, size_t n) {
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  }

  uint16_t compressLz4(std::string_view raw, std::string& out) {
    const int bound = LZ4_compressBound(static_cast<int>(raw.size()));
    out.resize(4 + static_cast<size_t>(bound));
    putPrefix(out, raw.size());
    const int n = LZ4_compress_fast_extState(lz4_state_.data(), raw.data(), out.data() + 4,
                                             static_cast<int>(raw.size()), bound, 1);
    if (n > 0 && 4 + static_cast<size_t>(n) < raw.size()) {
      out.resize(4 + static_cast<size_t>(n));
      return kRawLz4;
    }
    out.clear();
    return 0;
  }

  uint16_t compressDeflate(std::string_view raw, std::string& out) {
    if (deflateReset(&zs_) != Z_OK) return 0;
    const uLong bound = deflateBound(&zs_, static_cast<uLong>(raw.size()));
    out.resize(4 + bound);
    putPrefix(out, raw.size());
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
    return 0;
  }

  RawCodec codec_;
  z_stream zs_{};
  // LZ4's compression state (16 KiB), allocated once so that no call allocates.
  std::vector<char> lz4_state_ = std::vector<char>(static_cast<size_t>(LZ4_sizeofState()));
  bool ok_ = false;
};

// Decodes a stored `raw` column. nullopt when it is corrupt: a bad zlib stream, a length prefix
// that is not raw_len, or an inflated size other than raw_len.
[[nodiscard]] inline std::optional<std::string> decodeRaw(std::string_view stored, uint32_t raw_len,
                                                          uint16_t flags) {
  if ((flags & kRawDeflated) && (flags & kRawLz4)) return std::nullopt;
  if (!(flags & (kRawDeflated | kRawLz4))) {
    if (stored.size() != raw_len) return std::nullopt;
    return std::string(stored);
  }
  if (stored.size() < 4) return std::nullopt;
  uint32_t prefix = 0;
  for (int i = 0; i < 4; ++i) prefix |= static_cast<uint32_t>(static_cast<uint8_t>(stored[i])) << (8 * i);
  if (prefix != raw_len) return std::nullopt;
  std::string out(raw_len, '\0');
  if (flags & kRawLz4) {
    if (raw_len > LZ4_MAX_INPUT_SIZE || stored.size() - 4 > static_cast<size_t>(INT32_MAX))
      return std::nullopt;
    const int n = LZ4_decompress_safe(stored.data() + 4, out.data(), static_cast<int>(stored.size() - 4),
                                      static_cast<int>(raw_len));
    if (n < 0 || static_cast<uint32_t>(n) != raw_len) return std::nullopt;
    return out;
  }
  uLongf len = raw_len;
  Bytef empty = 0;  // uncompress() wants a non-null destination even for an empty message
  Bytef* dest = raw_len ? reinterpret_cast<Bytef*>(out.data()) : &empty;
  if (uncompress(dest, &len, reinterpret_cast<const Bytef*>(stored.data() + 4),
                 static_cast<uLong>(stored.size() - 4)) != Z_OK ||
      len != raw_len)
    return std::nullopt;
  return out;
}

}  // namespace sipvault::store
