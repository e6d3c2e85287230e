#include "netdecode/ipip_decap.h"

#include "netdecode/ip_header.h"

namespace sipvault::netdecode {

DecodeStatus decapsulateIpIp(Bytes outer_packet, IpIpInner& out) {
  out = IpIpInner{};
  IpPacket outer;
  if (const DecodeStatus s = parseIp(outer_packet, outer); s != DecodeStatus::Ok) return s;
  if (outer.protocol != kIpProtoIpv4InIp && outer.protocol != kIpProtoIpv6InIp) {
    return DecodeStatus::Ignored;
  }
  if (outer.fragment) return DecodeStatus::Unsupported;
  const uint8_t expected = outer.protocol == kIpProtoIpv4InIp ? 4 : 6;
  if (outer.payload.empty()) return DecodeStatus::Truncated;
  if (outer.payload[0] >> 4 != expected) return DecodeStatus::Malformed;
  out.outer_src = outer.src;
  out.outer_dst = outer.dst;
  out.inner_version = expected;
  out.inner = outer.payload;
  return DecodeStatus::Ok;
}

}  // namespace sipvault::netdecode
