#include "proto/hep_codec.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace sipvault {
namespace {

// HEP v1/v2 address family codes (the sender's AF_* values; Linux numbering).
constexpr uint8_t kHepFamilyInet = 2;
constexpr uint8_t kHepFamilyInet6 = 10;
constexpr size_t kHep12BaseHeader = 8;  // version .. dst port
constexpr size_t kHep2TimeBlock = 12;   // tv_sec, tv_usec, capture id, pad
constexpr size_t kChunkHeader = 6;
constexpr size_t kMaxChunkValue = 0xffff - kChunkHeader;

enum ChunkType : uint16_t {
  kChunkFamily = 1,
  kChunkIpProto = 2,
  kChunkSrcIp4 = 3,
  kChunkDstIp4 = 4,
  kChunkSrcIp6 = 5,
  kChunkDstIp6 = 6,
  kChunkSrcPort = 7,
  kChunkDstPort = 8,
  kChunkTsSec = 9,
  kChunkTsUsec = 10,
  kChunkPayloadType = 11,
  kChunkCaptureId = 12,
  kChunkKeepAlive = 13,
  kChunkAuthKey = 14,
  kChunkPayload = 15,
  kChunkCompressedPayload = 16,
  kChunkCorrelationId = 17,
  kChunkVlan = 18,
  kChunkNodeName = 19,
};

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
uint16_t le16(const uint8_t* p) { return uint16_t(p[1] << 8 | p[0]); }
uint32_t le32(const uint8_t* p) {
  return uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0];
}

std::string_view view(const uint8_t* p, size_t n) { return {reinterpret_cast<const char*>(p), n}; }

HepDecodeResult fail(HepError code, size_t offset, std::string_view reason) {
  HepDecodeResult r;
  r.error = {code, offset, reason};
  return r;
}

HepDecodeResult success(const PacketView& packet, size_t consumed) {
  HepDecodeResult r;
  r.packet = packet;
  r.consumed = consumed;
  return r;
}

enum class Inflated { Ok, Failed, TooLarge };

// Inflates zlib, gzip or raw deflate into `out`, at most `limit` bytes.
Inflated inflateInto(std::span<const uint8_t> in, std::string& out, size_t limit) {
  if (in.empty()) return Inflated::Failed;
  const bool zlib_header = in.size() >= 2 && (in[0] & 0x0f) == 8 && (in[0] << 8 | in[1]) % 31 == 0;
  const bool gzip_header = in.size() >= 2 && in[0] == 0x1f && in[1] == 0x8b;
  // 15 + 32: zlib or gzip, detected from the header; -15: raw deflate.
  const int window_bits = (zlib_header || gzip_header) ? 15 + 32 : -15;

  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) return Inflated::Failed;
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());

  limit = std::clamp<size_t>(limit, 1, kMaxInflatedPayload);
  out.resize(std::clamp<size_t>(in.size() * 4, std::min<size_t>(1024, limit), limit));
  size_t produced = 0;
  Inflated result = Inflated::Failed;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (rc == Z_STREAM_END) {
      result = Inflated::Ok;
      break;
    }
    const bool out_full = zs.avail_out == 0;
    if ((rc == Z_OK || rc == Z_BUF_ERROR) && out_full) {
      if (out.size() >= limit) {  // more to come: would exceed the bound
        result = Inflated::TooLarge;
        break;
      }
      out.resize(std::min(out.size() * 2, limit));
      continue;
    }
    break;  // data error, missing dictionary, or input ended before the stream did
  }
  inflateEnd(&zs);
  out.resize(result == Inflated::Ok ? produced : 0);
  return result;
}

HepDecodeResult decodeHep12(std::span<const uint8_t> bytes) {
  const uint8_t* p = bytes.data();
  const size_t size = bytes.size();
  if (size < kHep12BaseHeader) return fail(HepError::Truncated, size, "v1/v2 header cut short");

  const uint8_t version = p[0];
  size_t addr_len = 0;
  if (p[2] == kHepFamilyInet) {
    addr_len = 4;
  } else if (p[2] == kHepFamilyInet6) {
    addr_len = 16;
  } else {
    return fail(HepError::Malformed, 2, "v1/v2 address family is neither 2 nor 10");
  }
  // The layout follows from version and family alone; the length byte only repeats it. Senders
  // get it wrong (sngrep 1.6 writes 2), so a wrong one is reported as a quirk, not refused.
  const size_t hdr_len = kHep12BaseHeader + 2 * addr_len;
  const bool wrong_length = p[1] != hdr_len;
  const size_t payload_at = hdr_len + (version == 2 ? kHep2TimeBlock : 0);
  if (size < payload_at) return fail(HepError::Truncated, size, "v1/v2 header cut short");

  PacketView pv;
  pv.hep_version = version;
  pv.ip_proto = p[3];
  pv.src_port = be16(p + 4);
  pv.dst_port = be16(p + 6);
  if (addr_len == 4) {
    pv.src = IpAddress::v4(p + 8);
    pv.dst = IpAddress::v4(p + 12);
  } else {
    pv.src = IpAddress::v6(p + 8);
    pv.dst = IpAddress::v6(p + 24);
  }
  if (version == 2) {
    const uint8_t* t = p + hdr_len;
    pv.ts_sec = le32(t);
    pv.ts_usec = le32(t + 4);
    pv.capture_id = le16(t + 8);
  }
  pv.payload_type = kPayloadSip;  // v1/v2 carry SIP only
  pv.payload = view(p + payload_at, size - payload_at);
  HepDecodeResult r = success(pv, size);
  r.wrong_header_length = wrong_length;
  return r;
}

HepDecodeResult decodeHep3(std::span<const uint8_t> bytes, std::string& inflate_scratch,
                           size_t max_inflated) {
  const uint8_t* p = bytes.data();
  if (bytes.size() < kHep3HeaderSize) return fail(HepError::Truncated, bytes.size(), "HEP3 header cut short");
  const size_t total = be16(p + 4);
  if (total < kHep3HeaderSize) return fail(HepError::BadLength, 4, "HEP3 total length below 6");
  if (total > bytes.size())
    return fail(HepError::Truncated, bytes.size(), "HEP3 packet shorter than its total length");

  PacketView pv;
  pv.hep_version = 3;
  const uint8_t* src4 = nullptr;
  const uint8_t* dst4 = nullptr;
  const uint8_t* src6 = nullptr;
  const uint8_t* dst6 = nullptr;
  uint8_t family = 0;
  std::span<const uint8_t> payload;
  bool payload_compressed = false;

  size_t off = kHep3HeaderSize;
  while (off < total) {
    if (total - off < kChunkHeader)
      return fail(HepError::Malformed, off, "chunk header runs past total length");
    const uint16_t vendor = be16(p + off);
    const uint16_t type = be16(p + off + 2);
    const size_t len = be16(p + off + 4);
    if (len < kChunkHeader) return fail(HepError::Malformed, off, "chunk length below 6");
    if (len > total - off) return fail(HepError::Malformed, off, "chunk runs past total length");
    const uint8_t* v = p + off + kChunkHeader;
    const size_t n = len - kChunkHeader;
    auto expect = [n](size_t want) { return n == want; };
    bool size_ok = true;

    if (vendor == 0) {
      switch (type) {
        case kChunkFamily:
          if ((size_ok = expect(1))) family = v[0];
          break;
        case kChunkIpProto:
          if ((size_ok = expect(1))) pv.ip_proto = v[0];
          break;
        case kChunkSrcIp4:
          if ((size_ok = expect(4))) src4 = v;
          break;
        case kChunkDstIp4:
          if ((size_ok = expect(4))) dst4 = v;
          break;
        case kChunkSrcIp6:
          if ((size_ok = expect(16))) src6 = v;
          break;
        case kChunkDstIp6:
          if ((size_ok = expect(16))) dst6 = v;
          break;
        case kChunkSrcPort:
          if ((size_ok = expect(2))) pv.src_port = be16(v);
          break;
        case kChunkDstPort:
          if ((size_ok = expect(2))) pv.dst_port = be16(v);
          break;
        case kChunkTsSec:
          if ((size_ok = expect(4))) pv.ts_sec = be32(v);
          break;
        case kChunkTsUsec:
          if ((size_ok = expect(4))) pv.ts_usec = be32(v);
          break;
        case kChunkPayloadType:
          if ((size_ok = expect(1))) pv.payload_type = v[0];
          break;
        case kChunkCaptureId:
          if ((size_ok = expect(4))) pv.capture_id = be32(v);
          break;
        case kChunkKeepAlive:
          pv.keep_alive = true;  // value (a timer) is not used
          break;
        case kChunkAuthKey:
          pv.has_auth_key = true;
          pv.auth_key = view(v, n);
          break;
        case kChunkPayload:
          payload = {v, n};
          payload_compressed = false;
          break;
        case kChunkCompressedPayload:
          payload = {v, n};
          payload_compressed = true;
          break;
        case kChunkCorrelationId:
          pv.correlation_id = view(v, n);
          break;
        case kChunkVlan:
          if ((size_ok = expect(2))) pv.vlan = be16(v);
          break;
        case kChunkNodeName:
          pv.node_name = view(v, n);
          break;
        default:
          break;  // unknown generic chunk: skip
      }
    }
    if (!size_ok) return fail(HepError::Malformed, off, "chunk value has the wrong size for its type");
    off += len;
  }

  // A sender may include both address kinds; the family chunk picks, else IPv4 first.
  auto pick = [family](const uint8_t* a4, const uint8_t* a6) {
    if (a4 != nullptr && (family != kHepFamilyInet6 || a6 == nullptr)) return IpAddress::v4(a4);
    if (a6 != nullptr) return IpAddress::v6(a6);
    return IpAddress{};
  };
  pv.src = pick(src4, src6);
  pv.dst = pick(dst4, dst6);

  if (payload_compressed) {
    const size_t at = static_cast<size_t>(payload.data() - p);
    switch (inflateInto(payload, inflate_scratch, max_inflated)) {
      case Inflated::Ok:
        break;
      case Inflated::Failed:
        return fail(HepError::InflateFailed, at, "compressed payload does not inflate");
      case Inflated::TooLarge:
        return fail(HepError::InflateTooLarge, at, "compressed payload inflates past the configured bound");
    }
    pv.payload = inflate_scratch;
    pv.payload_compressed = true;
  } else {
    pv.payload = view(payload.data(), payload.size());
  }
  return success(pv, total);
}

// ---- encoding -------------------------------------------------------------------------------

class Writer {
 public:
  explicit Writer(char* p) : p_(p) {}
  void u8(uint8_t v) { *p_++ = static_cast<char>(v); }
  void be16(uint16_t v) {
    u8(uint8_t(v >> 8));
    u8(uint8_t(v));
  }
  void be32(uint32_t v) {
    be16(uint16_t(v >> 16));
    be16(uint16_t(v));
  }
  void le16(uint16_t v) {
    u8(uint8_t(v));
    u8(uint8_t(v >> 8));
  }
  void le32(uint32_t v) {
    le16(uint16_t(v));
    le16(uint16_t(v >> 16));
  }
  void bytes(const void* data, size_t n) {
    if (n != 0) std::memcpy(p_, data, n);
    p_ += n;
  }
  void chunk(uint16_t type, size_t value_len) {
    be16(0);
    be16(type);
    be16(static_cast<uint16_t>(kChunkHeader + value_len));
  }
  void chunk8(uint16_t type, uint8_t v) {
    chunk(type, 1);
    u8(v);
  }
  void chunk16(uint16_t type, uint16_t v) {
    chunk(type, 2);
    be16(v);
  }
  void chunk32(uint16_t type, uint32_t v) {
    chunk(type, 4);
    be32(v);
  }
  void chunkBytes(uint16_t type, std::string_view v) {
    chunk(type, v.size());
    bytes(v.data(), v.size());
  }
  void address(const IpAddress& ip, uint16_t type4, uint16_t type6) {
    if (ip.family == 4) {
      chunk(type4, 4);
      bytes(ip.bytes.data(), 4);
    } else if (ip.family == 6) {
      chunk(type6, 16);
      bytes(ip.bytes.data(), 16);
    }
  }
  char* pos() const { return p_; }

 private:
  char* p_;
};

HepEncodeResult encodeFail(HepEncodeError e) {
  HepEncodeResult r;
  r.error = e;
  return r;
}

size_t addressChunkSize(const IpAddress& ip) {
  return ip.family == 4 ? kChunkHeader + 4 : ip.family == 6 ? kChunkHeader + 16 : 0;
}

HepEncodeResult encodeHep12(const PacketView& pv, std::string& out, uint8_t version) {
  if (pv.src.family != pv.dst.family || (pv.src.family != 4 && pv.src.family != 6)) {
    return encodeFail(HepEncodeError::UnsupportedFamily);
  }
  if (pv.payload_type != kPayloadSip) return encodeFail(HepEncodeError::UnsupportedPayloadType);
  if (version == 2 && pv.capture_id > 0xffff) return encodeFail(HepEncodeError::CaptureIdTooLarge);

  const size_t addr_len = pv.src.family == 4 ? 4 : 16;
  const size_t hdr_len = kHep12BaseHeader + 2 * addr_len;
  const size_t total = hdr_len + (version == 2 ? kHep2TimeBlock : 0) + pv.payload.size();
  const size_t start = out.size();
  out.resize(start + total);
  Writer w(out.data() + start);
  w.u8(version);
  w.u8(static_cast<uint8_t>(hdr_len));  // never counts the v2 time block (as Kamailio)
  w.u8(pv.src.family == 4 ? kHepFamilyInet : kHepFamilyInet6);
  w.u8(pv.ip_proto);
  w.be16(pv.src_port);
  w.be16(pv.dst_port);
  w.bytes(pv.src.bytes.data(), addr_len);
  w.bytes(pv.dst.bytes.data(), addr_len);
  if (version == 2) {
    w.le32(pv.ts_sec);
    w.le32(pv.ts_usec);
    w.le16(static_cast<uint16_t>(pv.capture_id));
    w.le16(0);
  }
  w.bytes(pv.payload.data(), pv.payload.size());
  return {total, std::nullopt};
}

}  // namespace

std::string_view toString(HepError error) {
  switch (error) {
    case HepError::Truncated:
      return "truncated";
    case HepError::BadMagic:
      return "bad_magic";
    case HepError::UnsupportedVersion:
      return "unsupported_version";
    case HepError::BadLength:
      return "bad_length";
    case HepError::Malformed:
      return "malformed";
    case HepError::InflateFailed:
      return "inflate_failed";
    case HepError::InflateTooLarge:
      return "inflate_too_large";
  }
  return "unknown";
}

std::string_view toString(HepEncodeError error) {
  switch (error) {
    case HepEncodeError::UnsupportedFamily:
      return "unsupported_family";
    case HepEncodeError::UnsupportedPayloadType:
      return "unsupported_payload_type";
    case HepEncodeError::CaptureIdTooLarge:
      return "capture_id_too_large";
    case HepEncodeError::TooLarge:
      return "too_large";
    case HepEncodeError::DeflateFailed:
      return "deflate_failed";
  }
  return "unknown";
}

HepDecodeResult decodeHep(std::span<const uint8_t> bytes, std::string& inflate_scratch, size_t max_inflated) {
  if (bytes.empty()) return fail(HepError::Truncated, 0, "empty input");
  const uint8_t first = bytes[0];
  if (first == 1 || first == 2) return decodeHep12(bytes);
  static constexpr uint8_t kMagic[] = {'H', 'E', 'P', '3'};
  const size_t have = std::min(bytes.size(), size_t{3});
  if (std::memcmp(bytes.data(), kMagic, have) != 0) return fail(HepError::BadMagic, 0, "not a HEP packet");
  if (bytes.size() < 4) return fail(HepError::Truncated, bytes.size(), "HEP3 header cut short");
  if (bytes[3] != '3') return fail(HepError::UnsupportedVersion, 3, "HEP magic with a version other than 3");
  return decodeHep3(bytes, inflate_scratch, max_inflated);
}

HepEncodeResult encodeHep1(const PacketView& packet, std::string& out) { return encodeHep12(packet, out, 1); }
HepEncodeResult encodeHep2(const PacketView& packet, std::string& out) { return encodeHep12(packet, out, 2); }

HepEncodeResult encodeHep3(const PacketView& pv, std::string& out, const HepEncodeOptions& options) {
  const uint8_t family = pv.src.family != 0 ? pv.src.family : pv.dst.family;
  const bool known_family = family == 4 || family == 6;

  // Size everything but the payload value first, so the packet is written in one pass.
  size_t head = kHep3HeaderSize;
  if (known_family) head += kChunkHeader + 1;
  head += kChunkHeader + 1;  // ip proto
  head += addressChunkSize(pv.src) + addressChunkSize(pv.dst);
  head += 2 * (kChunkHeader + 2);  // ports
  head += 2 * (kChunkHeader + 4);  // timestamp
  head += kChunkHeader + 1;        // payload type
  head += kChunkHeader + 4;        // capture id
  if (pv.keep_alive) head += kChunkHeader + 2;
  if (pv.has_auth_key) head += kChunkHeader + pv.auth_key.size();
  if (!pv.correlation_id.empty()) head += kChunkHeader + pv.correlation_id.size();
  if (pv.vlan != 0) head += kChunkHeader + 2;
  if (!pv.node_name.empty()) head += kChunkHeader + pv.node_name.size();
  head += kChunkHeader;  // payload chunk header

  if (pv.auth_key.size() > kMaxChunkValue || pv.correlation_id.size() > kMaxChunkValue ||
      pv.node_name.size() > kMaxChunkValue || head > kHep3MaxPacket) {
    return encodeFail(HepEncodeError::TooLarge);
  }
  size_t value_room = pv.payload.size();
  if (options.compress_payload) {
    if (pv.payload.size() > kMaxInflatedPayload) return encodeFail(HepEncodeError::TooLarge);
    value_room = compressBound(static_cast<uLong>(pv.payload.size()));
  } else if (head + value_room > kHep3MaxPacket) {
    return encodeFail(HepEncodeError::TooLarge);
  }

  const size_t start = out.size();
  out.resize(start + head + value_room);
  char* base = out.data() + start;
  Writer w(base);
  w.bytes("HEP3", 4);
  w.be16(0);  // total length, set below
  if (known_family) w.chunk8(kChunkFamily, family == 4 ? kHepFamilyInet : kHepFamilyInet6);
  w.chunk8(kChunkIpProto, pv.ip_proto);
  w.address(pv.src, kChunkSrcIp4, kChunkSrcIp6);
  w.address(pv.dst, kChunkDstIp4, kChunkDstIp6);
  w.chunk16(kChunkSrcPort, pv.src_port);
  w.chunk16(kChunkDstPort, pv.dst_port);
  w.chunk32(kChunkTsSec, pv.ts_sec);
  w.chunk32(kChunkTsUsec, pv.ts_usec);
  w.chunk8(kChunkPayloadType, pv.payload_type);
  w.chunk32(kChunkCaptureId, pv.capture_id);
  if (pv.keep_alive) w.chunk16(kChunkKeepAlive, 0);
  if (pv.has_auth_key) w.chunkBytes(kChunkAuthKey, pv.auth_key);
  if (!pv.correlation_id.empty()) w.chunkBytes(kChunkCorrelationId, pv.correlation_id);
  if (pv.vlan != 0) w.chunk16(kChunkVlan, pv.vlan);
  if (!pv.node_name.empty()) w.chunkBytes(kChunkNodeName, pv.node_name);

  size_t value_len = pv.payload.size();
  if (options.compress_payload) {
    char* value = w.pos() + kChunkHeader;
    uLongf dest_len = static_cast<uLongf>(value_room);
    const int rc = compress2(reinterpret_cast<Bytef*>(value), &dest_len,
                             reinterpret_cast<const Bytef*>(pv.payload.data()),
                             static_cast<uLong>(pv.payload.size()), Z_DEFAULT_COMPRESSION);
    if (rc != Z_OK) {
      out.resize(start);
      return encodeFail(HepEncodeError::DeflateFailed);
    }
    value_len = dest_len;
    if (head + value_len > kHep3MaxPacket) {
      out.resize(start);
      return encodeFail(HepEncodeError::TooLarge);
    }
    w.chunk(kChunkCompressedPayload, value_len);
  } else {
    w.chunkBytes(kChunkPayload, pv.payload);
  }

  const size_t total = head + value_len;
  out.resize(start + total);
  base = out.data() + start;  // resize may not move when shrinking, but do not rely on it
  base[4] = static_cast<char>(total >> 8);
  base[5] = static_cast<char>(total);
  return {total, std::nullopt};
}

}  // namespace sipvault
