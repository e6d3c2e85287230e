#pragma once
// GRE (RFC 2784 / 2890) and the ERSPAN port-mirroring formats carried in it.
//
//   GRE header (4 bytes + optional words)
//   +-+-+-+-+-+-----+---------+-----+-------------------------------+
//   |C|R|K|S|s|Recur|  Flags  | Ver |        Protocol Type          |
//   +-+-+-+-+-+-----+---------+-----+-------------------------------+
//   |  checksum (C)  |  reserved    |  key (K)  |  sequence (S)     |  4 bytes each, if flagged
//   +----------------------------------------------------------------
//   Protocol Type: 0x0800 IPv4, 0x86dd IPv6, 0x6558 transparent Ethernet bridging,
//                  0x88be ERSPAN type II (type I when S is clear: no ERSPAN header),
//                  0x22eb ERSPAN type III.
//
//   ERSPAN II (8 bytes), then the mirrored Ethernet frame
//   +-------+-----------+-----+-+-+---------------+---------------------------+
//   | ver=1 | VLAN (12) | COS |En|T| session (10) | reserved (12) | index (20) |
//   +-------+-----------+-----+-+-+---------------+---------------------------+
//   ERSPAN III (12 bytes, + 8 when the O bit, byte 11 bit 0, is set), then the Ethernet frame
//   | ver=2 | VLAN | COS BSO T | session | timestamp (32) | SGT (16) | P FT HW D Gra O |
//
// Pure function; the result points into the input. Only GRE version 0 without source routing.
#include <cstdint>

#include "netdecode/byte_reader.h"
#include "netdecode/decode_status.h"

namespace sipvault::netdecode {

struct GreInner {
  bool ethernet = false;   // payload is an Ethernet frame (TEB, ERSPAN)
  uint16_t ethertype = 0;  // when !ethernet: kEtherTypeIpv4 / kEtherTypeIpv6
  Bytes payload;
};

// Ok fills `out`; Truncated / Malformed for a short or inconsistent header; Unsupported for
// GRE version 1 (PPTP), source routing, or a protocol type other than those above.
[[nodiscard]] DecodeStatus decodeGre(Bytes gre, GreInner& out);

}  // namespace sipvault::netdecode
