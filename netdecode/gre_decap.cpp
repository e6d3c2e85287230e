#include "netdecode/gre_decap.h"

#include "netdecode/link_layer.h"

namespace sipvault::netdecode {

namespace {

constexpr uint16_t kGreTeb = 0x6558;
constexpr uint16_t kGreErspan2 = 0x88be;
constexpr uint16_t kGreErspan3 = 0x22eb;

}  // namespace

DecodeStatus decodeGre(Bytes gre, GreInner& out) {
  out = GreInner{};
  if (gre.size() < 4) return DecodeStatus::Truncated;
  const uint16_t flags = be16(gre.data());
  const uint16_t protocol = be16(gre.data() + 2);
  const bool checksum = flags & 0x8000;
  const bool routing = flags & 0x4000;
  const bool key = flags & 0x2000;
  const bool sequence = flags & 0x1000;
  if ((flags & 0x0007) != 0 || routing) return DecodeStatus::Unsupported;
  const size_t header_len = 4 + (checksum ? 4 : 0) + (key ? 4 : 0) + (sequence ? 4 : 0);
  if (gre.size() < header_len) return DecodeStatus::Truncated;
  Bytes rest = gre.subspan(header_len);

  switch (protocol) {
    case kEtherTypeIpv4:
    case kEtherTypeIpv6:
      out.ethertype = protocol;
      out.payload = rest;
      return DecodeStatus::Ok;
    case kGreTeb:
      out.ethernet = true;
      out.payload = rest;
      return DecodeStatus::Ok;
    case kGreErspan2:
      if (sequence) {  // type II; without a sequence number it is type I (no header)
        if (rest.size() < 8) return DecodeStatus::Truncated;
        if (rest[0] >> 4 != 1) return DecodeStatus::Malformed;
        rest = rest.subspan(8);
      }
      out.ethernet = true;
      out.payload = rest;
      return DecodeStatus::Ok;
    case kGreErspan3: {
      if (rest.size() < 12) return DecodeStatus::Truncated;
      if (rest[0] >> 4 != 2) return DecodeStatus::Malformed;
      const size_t len = (rest[11] & 0x01) ? 20 : 12;  // O bit: platform-specific subheader
      if (rest.size() < len) return DecodeStatus::Truncated;
      out.ethernet = true;
      out.payload = rest.subspan(len);
      return DecodeStatus::Ok;
    }
    default:
      return DecodeStatus::Unsupported;
  }
}

}  // namespace sipvault::netdecode
