#pragma once
// IPv4 and IPv6 headers (IPv6 with its extension header chain).
//
//   IPv4 (RFC 791)                          IPv6 (RFC 8200)
//   +---+---+-------+---------------+      +---+-------+-----------------------+
//   |ver|ihl|  tos  | total length  |      |ver| class |  flow label           |
//   +---+---+-------+-+-+-+---------+      +---------------+--------+----------+
//   | identification  |0|D|M| offset |     | payload length| next   | hop limit|
//   +-------+-------+-+-+-+---------+      +---------------+--------+----------+
//   |  ttl  | proto | checksum      |      | source address (16)               |
//   +-------+-------+---------------+      +-----------------------------------+
//   | source address                |      | destination address (16)          |
//   | destination address           |      +-----------------------------------+
//   | options ((ihl - 5) * 4)       |      | extension headers, then payload   |
//   +-------------------------------+
//
//   IPv6 extension headers walked: hop-by-hop (0), routing (43), destination options (60),
//   mobility (135), HIP (139), shim6 (140): | next | len | ... |, (len + 1) * 8 bytes;
//   AH (51): (len + 2) * 4 bytes; fragment (44), 8 bytes:
//   +--------+--------+----------------+----------------------------------+
//   | next   |reserved| offset(13)|00|M| identification (32)              |
//   +--------+--------+----------------+----------------------------------+
//
// Checksums are not verified: captures taken on the sending host carry offloaded (unfilled)
// checksums. Pure functions; payload views point into the input.
#include <cstdint>

#include "netdecode/byte_reader.h"
#include "netdecode/decode_status.h"
#include "proto/packet.h"

namespace sipvault::netdecode {

inline constexpr uint8_t kIpProtoIpv4InIp = 4;
inline constexpr uint8_t kIpProtoIpv6InIp = 41;
inline constexpr uint8_t kIpProtoGre = 47;
inline constexpr uint8_t kIpProtoIpv6Fragment = 44;
inline constexpr uint8_t kIpProtoIpv6NoNext = 59;
inline constexpr size_t kMaxIpv6ExtensionHeaders = 16;

struct IpPacket {
  uint8_t version = 0;  // 4 or 6
  IpAddress src;
  IpAddress dst;
  uint8_t protocol = 0;  // upper-layer protocol, after any IPv6 extension headers
  Bytes payload;         // trimmed to the IP length (link padding removed)

  // Set when this packet is a fragment (IPv4 MF/offset, or an IPv6 fragment header that is not
  // an atomic fragment). `payload` is then this fragment's part of the datagram; for IPv6 it
  // starts after the fragment header and `protocol` is the fragment header's next header.
  bool fragment = false;
  bool more_fragments = false;
  uint32_t fragment_id = 0;
  uint32_t fragment_offset = 0;  // in bytes
};

// Parses an IPv4 or IPv6 packet by its version nibble. Truncated when the header or the
// length it announces runs past `bytes` (snap length); Malformed for impossible lengths or a
// broken extension header chain; Unsupported for other versions. A total/payload length of 0
// (TSO/jumbo captures) means "the rest of the bytes".
[[nodiscard]] DecodeStatus parseIp(Bytes bytes, IpPacket& out);
[[nodiscard]] DecodeStatus parseIpv4(Bytes bytes, IpPacket& out);
[[nodiscard]] DecodeStatus parseIpv6(Bytes bytes, IpPacket& out);

// Walks IPv6 extension headers starting with `next_header` at the front of `payload`, leaving
// both at the upper-layer protocol. Stops at a fragment header (returns with next_header 44 and
// payload at the fragment header) so the caller can decide. Used again on a reassembled IPv6
// datagram, whose first fragment may carry more extension headers.
[[nodiscard]] DecodeStatus skipIpv6ExtensionHeaders(uint8_t& next_header, Bytes& payload);

}  // namespace sipvault::netdecode
