#pragma once
// UDP and TCP headers.
//
//   UDP (RFC 768)                          TCP (RFC 9293)
//   +---------------+---------------+      +---------------+---------------+
//   | source port   | dest port     |      | source port   | dest port     |
//   +---------------+---------------+      +---------------+---------------+
//   | length        | checksum      |      | sequence number               |
//   +---------------+---------------+      | acknowledgment number         |
//   | payload (length - 8)          |      |off|rsv|flags  | window        |
//                                          | checksum      | urgent ptr    |
//                                          | options ((off - 5) * 4)       |
//                                          | payload                       |
//
// Checksums are not verified (offloaded checksums are garbage in host captures). Pure
// functions; payload views point into the input.
#include <cstdint>

#include "netdecode/byte_reader.h"
#include "netdecode/decode_status.h"

namespace sipvault::netdecode {

struct UdpDatagram {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  Bytes payload;  // trimmed to the UDP length
};

// Truncated when the bytes end before the header or the UDP length; Malformed for a length
// below 8. A length of 0 (GSO / jumbogram captures) means "the rest of the bytes".
[[nodiscard]] DecodeStatus parseUdp(Bytes bytes, UdpDatagram& out);

inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;

struct TcpSegment {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint8_t flags = 0;  // kTcpFin | kTcpSyn | kTcpRst | ...
  Bytes payload;
};

// Truncated when the bytes end inside the header; Malformed for a data offset below 5.
[[nodiscard]] DecodeStatus parseTcp(Bytes bytes, TcpSegment& out);

}  // namespace sipvault::netdecode
