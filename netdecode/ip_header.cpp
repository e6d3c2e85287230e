#include "netdecode/ip_header.h"

namespace sipvault::netdecode {

DecodeStatus parseIp(Bytes bytes, IpPacket& out) {
  if (bytes.empty()) return DecodeStatus::Truncated;
  switch (bytes[0] >> 4) {
    case 4:
      return parseIpv4(bytes, out);
    case 6:
      return parseIpv6(bytes, out);
    default:
      return DecodeStatus::Unsupported;
  }
}

DecodeStatus parseIpv4(Bytes bytes, IpPacket& out) {
  out = IpPacket{};
  if (bytes.size() < 20) return DecodeStatus::Truncated;
  if (bytes[0] >> 4 != 4) return DecodeStatus::Malformed;
  const size_t header_len = size_t(bytes[0] & 0x0f) * 4;
  if (header_len < 20) return DecodeStatus::Malformed;
  size_t total_len = be16(bytes.data() + 2);
  if (total_len == 0) total_len = bytes.size();  // TSO: the NIC fills it in later
  if (total_len < header_len) return DecodeStatus::Malformed;
  if (header_len > bytes.size() || total_len > bytes.size()) return DecodeStatus::Truncated;

  out.version = 4;
  out.src = IpAddress::v4(bytes.data() + 12);
  out.dst = IpAddress::v4(bytes.data() + 16);
  out.protocol = bytes[9];
  out.payload = bytes.subspan(header_len, total_len - header_len);
  const uint16_t frag = be16(bytes.data() + 6);
  out.more_fragments = frag & 0x2000;
  out.fragment_offset = uint32_t(frag & 0x1fff) * 8;
  out.fragment = out.more_fragments || out.fragment_offset != 0;
  out.fragment_id = be16(bytes.data() + 4);
  return DecodeStatus::Ok;
}

DecodeStatus skipIpv6ExtensionHeaders(uint8_t& next_header, Bytes& payload) {
  for (size_t n = 0; n < kMaxIpv6ExtensionHeaders; ++n) {
    size_t len = 0;
    switch (next_header) {
      case 0:
      case 43:
      case 60:
      case 135:
      case 139:
      case 140:
        if (payload.size() < 2) return DecodeStatus::Truncated;
        len = (size_t(payload[1]) + 1) * 8;
        break;
      case 51:  // AH counts 4-byte words, minus 2
        if (payload.size() < 2) return DecodeStatus::Truncated;
        len = (size_t(payload[1]) + 2) * 4;
        break;
      default:  // the fragment header, or an upper-layer protocol (incl. ESP and "no next")
        return DecodeStatus::Ok;
    }
    if (len > payload.size()) return DecodeStatus::Truncated;
    next_header = payload[0];
    payload = payload.subspan(len);
  }
  return DecodeStatus::Malformed;
}

DecodeStatus parseIpv6(Bytes bytes, IpPacket& out) {
  out = IpPacket{};
  if (bytes.size() < 40) return DecodeStatus::Truncated;
  if (bytes[0] >> 4 != 6) return DecodeStatus::Malformed;
  size_t payload_len = be16(bytes.data() + 4);
  if (payload_len == 0) payload_len = bytes.size() - 40;  // jumbogram or TSO
  if (40 + payload_len > bytes.size()) return DecodeStatus::Truncated;

  out.version = 6;
  out.src = IpAddress::v6(bytes.data() + 8);
  out.dst = IpAddress::v6(bytes.data() + 24);
  uint8_t next = bytes[6];
  Bytes payload = bytes.subspan(40, payload_len);
  if (const DecodeStatus s = skipIpv6ExtensionHeaders(next, payload); s != DecodeStatus::Ok) {
    return s == DecodeStatus::Truncated ? DecodeStatus::Malformed : s;
  }
  if (next == kIpProtoIpv6Fragment) {
    if (payload.size() < 8) return DecodeStatus::Malformed;
    const uint16_t frag = be16(payload.data() + 2);
    out.fragment_offset = frag & 0xfff8;
    out.more_fragments = frag & 0x0001;
    out.fragment_id = be32(payload.data() + 4);
    next = payload[0];
    payload = payload.subspan(8);
    out.fragment = out.more_fragments || out.fragment_offset != 0;
    if (!out.fragment) {
      // Atomic fragment (RFC 6946): a whole datagram that only carries the header.
      if (const DecodeStatus s = skipIpv6ExtensionHeaders(next, payload); s != DecodeStatus::Ok) {
        return s == DecodeStatus::Truncated ? DecodeStatus::Malformed : s;
      }
      if (next == kIpProtoIpv6Fragment) return DecodeStatus::Malformed;
    }
  }
  out.protocol = next;
  out.payload = payload;
  return DecodeStatus::Ok;
}

}  // namespace sipvault::netdecode
