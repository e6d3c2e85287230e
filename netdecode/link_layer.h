#pragma once
// Link layer: strips the capture's link header and says what it carries.
//
// Supported link types (pcap DLT / LINKTYPE numbers):
//   Ethernet (1)              with any number (up to kMaxLinkLabels) of 802.1Q (0x8100), 802.1ad
//                             (0x88a8) or legacy QinQ (0x9100, 0x9200) tags, MPLS label stacks
//                             (0x8847, 0x8848) and 802.2 LLC/SNAP framing.
//   Linux cooked v1 SLL (113), v2 SLL2 (276)
//   BSD null (0, family in the capturing host's byte order) and loop (108, network order); both
//                             byte orders are accepted for either, since the file does not say.
//   Raw IP (12, 14, 101) and IPv4 (228) / IPv6 (229): the version nibble decides.
//
//   Ethernet                     VLAN tag (repeatable)          Linux SLL (16 bytes)
//   +-------+-------+------+     +--------+-----------------+    +------+------+-------+-------+-------+
//   |dst (6)|src (6)|type 2|     |TPID (2)|PCP DEI VID (2)  |    |pkt 2 |hatype|addrlen|addr 8 |proto 2|
//   +-------+-------+------+     +--------+-----------------+    +------+------+-------+-------+-------+
//   Linux SLL2 (20 bytes)                                        null/loop (4 bytes)
//   +-------+--------+---------+--------+------+-------+------+  +----------------+
//   |proto 2|reserv 2|ifindex 4|hatype 2|pkt 1 |addrlen|addr 8|  | address family |
//   +-------+--------+---------+--------+------+-------+------+  +----------------+
//
// Pure functions over borrowed bytes; thread-safe. The returned payload points into `frame`.
#include <cstdint>
#include <optional>

#include "netdecode/byte_reader.h"
#include "netdecode/decode_status.h"

namespace sipvault::netdecode {

enum class LinkType : uint8_t { Null, Loop, Ethernet, LinuxSll, LinuxSll2, RawIp, Ipv4, Ipv6 };

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr size_t kMaxLinkLabels = 8;  // VLAN tags or MPLS labels per frame

// Maps a pcap DLT_ or LINKTYPE_ value to a LinkType; nullopt for anything unsupported.
[[nodiscard]] std::optional<LinkType> linkTypeFromDlt(int dlt);

struct LinkFrame {
  uint16_t ethertype = 0;  // kEtherTypeIpv4 / kEtherTypeIpv6 / anything else (not decoded)
  uint16_t vlan = 0;       // VID of the innermost VLAN tag (the customer tag in QinQ); 0 = none
  Bytes payload;           // the bytes after the link header(s)
};

// Strips the link header of `frame`. Ok fills `out` (including non-IP ethertypes, which the
// caller ignores); Truncated when the frame ends inside a header; Unsupported for an unknown
// address family, too many tags or a framing that is not decoded.
[[nodiscard]] DecodeStatus decodeLinkLayer(LinkType type, Bytes frame, LinkFrame& out);

// Ethernet II (with tags) on its own: also used for frames inside GRE/ERSPAN tunnels.
// `out.vlan` is only overwritten when the frame has a tag.
[[nodiscard]] DecodeStatus decodeEthernet(Bytes frame, LinkFrame& out);

}  // namespace sipvault::netdecode
