#include "netdecode/link_layer.h"

namespace sipvault::netdecode {

namespace {

constexpr uint16_t kTpid8021Q = 0x8100;
constexpr uint16_t kTpid8021ad = 0x88a8;
constexpr uint16_t kTpidQinQ1 = 0x9100;
constexpr uint16_t kTpidQinQ2 = 0x9200;
constexpr uint16_t kEtherTypeMplsUnicast = 0x8847;
constexpr uint16_t kEtherTypeMplsMulticast = 0x8848;
constexpr uint16_t kMaxEthernetLength = 1500;  // type fields up to this are 802.3 lengths

// The version nibble of a raw IP packet decides its ethertype.
DecodeStatus ipByVersion(Bytes payload, LinkFrame& out) {
  if (payload.empty()) return DecodeStatus::Truncated;
  const uint8_t version = payload[0] >> 4;
  if (version == 4) {
    out.ethertype = kEtherTypeIpv4;
  } else if (version == 6) {
    out.ethertype = kEtherTypeIpv6;
  } else {
    return DecodeStatus::Unsupported;
  }
  out.payload = payload;
  return DecodeStatus::Ok;
}

// BSD AF_ values: AF_INET is 2 everywhere, AF_INET6 differs by OS.
DecodeStatus decodeNull(Bytes frame, LinkFrame& out) {
  if (frame.size() < 4) return DecodeStatus::Truncated;
  uint32_t family =
      uint32_t(frame[0]) | uint32_t(frame[1]) << 8 | uint32_t(frame[2]) << 16 | uint32_t(frame[3]) << 24;
  if (family > 0xffff) family = be32(frame.data());  // written big-endian
  out.payload = frame.subspan(4);
  switch (family) {
    case 2:
      out.ethertype = kEtherTypeIpv4;
      return DecodeStatus::Ok;
    case 10:
    case 24:
    case 28:
    case 30:
      out.ethertype = kEtherTypeIpv6;
      return DecodeStatus::Ok;
    default:
      return DecodeStatus::Unsupported;
  }
}

// MPLS label stack: 4 bytes per label, bottom-of-stack bit in byte 2. What follows the stack is
// not named anywhere, so the IP version nibble decides (pseudowires are not decoded).
DecodeStatus skipMpls(Bytes payload, LinkFrame& out) {
  for (size_t labels = 0; labels < kMaxLinkLabels; ++labels) {
    if (payload.size() < 4) return DecodeStatus::Truncated;
    const bool bottom = payload[2] & 0x01;
    payload = payload.subspan(4);
    if (bottom) return ipByVersion(payload, out);
  }
  return DecodeStatus::Unsupported;
}

}  // namespace

std::optional<LinkType> linkTypeFromDlt(int dlt) {
  switch (dlt) {
    case 0:
      return LinkType::Null;
    case 1:
      return LinkType::Ethernet;
    case 12:
    case 14:
    case 101:
      return LinkType::RawIp;
    case 108:
      return LinkType::Loop;
    case 113:
      return LinkType::LinuxSll;
    case 228:
      return LinkType::Ipv4;
    case 229:
      return LinkType::Ipv6;
    case 276:
      return LinkType::LinuxSll2;
    default:
      return std::nullopt;
  }
}

DecodeStatus decodeEthernet(Bytes frame, LinkFrame& out) {
  if (frame.size() < 14) return DecodeStatus::Truncated;
  uint16_t type = be16(frame.data() + 12);
  Bytes rest = frame.subspan(14);
  for (size_t tags = 0;; ++tags) {
    if (type != kTpid8021Q && type != kTpid8021ad && type != kTpidQinQ1 && type != kTpidQinQ2) {
      break;
    }
    if (tags == kMaxLinkLabels) return DecodeStatus::Unsupported;
    if (rest.size() < 4) return DecodeStatus::Truncated;
    out.vlan = be16(rest.data()) & 0x0fff;  // the last (innermost) tag wins
    type = be16(rest.data() + 2);
    rest = rest.subspan(4);
  }
  if (type <= kMaxEthernetLength) {
    // 802.3 length + 802.2 LLC. Only SNAP (AA AA 03, OUI 0) carries an ethertype.
    if (rest.size() < 8) return DecodeStatus::Truncated;
    if (rest[0] != 0xaa || rest[1] != 0xaa || rest[2] != 0x03 || rest[3] != 0 || rest[4] != 0 ||
        rest[5] != 0) {
      return DecodeStatus::Unsupported;
    }
    type = be16(rest.data() + 6);
    rest = rest.subspan(8);
  }
  if (type == kEtherTypeMplsUnicast || type == kEtherTypeMplsMulticast) return skipMpls(rest, out);
  out.ethertype = type;
  out.payload = rest;
  return DecodeStatus::Ok;
}

DecodeStatus decodeLinkLayer(LinkType type, Bytes frame, LinkFrame& out) {
  out = LinkFrame{};
  switch (type) {
    case LinkType::Ethernet:
      return decodeEthernet(frame, out);
    case LinkType::LinuxSll:
      if (frame.size() < 16) return DecodeStatus::Truncated;
      out.ethertype = be16(frame.data() + 14);
      out.payload = frame.subspan(16);
      return DecodeStatus::Ok;
    case LinkType::LinuxSll2:
      if (frame.size() < 20) return DecodeStatus::Truncated;
      out.ethertype = be16(frame.data());
      out.payload = frame.subspan(20);
      return DecodeStatus::Ok;
    case LinkType::Null:
    case LinkType::Loop:
      return decodeNull(frame, out);
    case LinkType::RawIp:
      return ipByVersion(frame, out);
    case LinkType::Ipv4:
      out.ethertype = kEtherTypeIpv4;
      out.payload = frame;
      return DecodeStatus::Ok;
    case LinkType::Ipv6:
      out.ethertype = kEtherTypeIpv6;
      out.payload = frame;
      return DecodeStatus::Ok;
  }
  return DecodeStatus::Unsupported;
}

}  // namespace sipvault::netdecode
