#pragma once
// IP-in-IP decapsulation for mirror traffic (an SBC or switch port mirror sends each captured
// packet inside an outer IP header, protocol 4 for IPv4 and 41 for IPv6 inside).
//
//   +----------------------------+-------------------------------------------+
//   | outer IPv4 / IPv6 header   | inner IPv4 (proto 4) / IPv6 (proto 41)    |
//   | protocol 4 or 41           | packet, as captured: UDP, TCP, fragments  |
//   +----------------------------+-------------------------------------------+
//
// Stateless and pure (thread-safe); `inner` points into the input. Meant for the collector's raw
// socket, which hands over one outer packet at a time starting at the outer IP header. The inner
// packet still needs IP decoding and possibly reassembly: give it (or the whole outer packet) to
// PacketDecoder::decodeIp, which also handles IP-in-IP by itself.
#include <cstdint>

#include "netdecode/byte_reader.h"
#include "netdecode/decode_status.h"
#include "proto/packet.h"

namespace sipvault::netdecode {

struct IpIpInner {
  IpAddress outer_src;  // the tunnel endpoints (who mirrored the traffic)
  IpAddress outer_dst;
  uint8_t inner_version = 0;  // 4 or 6
  Bytes inner;                // the inner IP packet, from its header to the outer packet's end
};

// Ok fills `out`. Ignored when the outer packet is not IP-in-IP (another protocol);
// Truncated / Malformed for a broken outer header, or an inner header whose version does not
// match the outer protocol number; Unsupported when the outer packet is a fragment (it needs
// reassembly: use PacketDecoder).
[[nodiscard]] DecodeStatus decapsulateIpIp(Bytes outer_packet, IpIpInner& out);

}  // namespace sipvault::netdecode
