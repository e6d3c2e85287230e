#include "proto/packet_convert.h"

#include <algorithm>

namespace sipvault {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one (RFC 3629: no
// overlongs, no surrogates, nothing above U+10FFFF).
size_t utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const size_t left = s.size() - i;
  const uint8_t c = b(0);
  if (c < 0x80) return 1;
  auto cont = [&](size_t k) { return k < left && (b(k) & 0xc0) == 0x80; };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xe0 && b(1) < 0xa0) return 0;  // overlong
    if (c == 0xed && b(1) > 0x9f) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xf0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xf4 && b(1) > 0x8f) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

uint8_t originVersion(wire::Origin origin) {
  switch (origin) {
    case wire::ORIGIN_HEP1:
      return 1;
    case wire::ORIGIN_HEP2:
      return 2;
    case wire::ORIGIN_HEP3:
      return 3;
    default:
      return 0;
  }
}

// The family follows the byte length: HEP3 may mix an IPv4 source with an IPv6 destination,
// which the single ip_family field cannot say. Any other length is not an address.
IpAddress addressFromWire(const std::string& raw) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(raw.data());
  if (raw.size() == 4) return IpAddress::v4(bytes);
  if (raw.size() == 16) return IpAddress::v6(bytes);
  return {};
}

}  // namespace

std::string toValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = utf8SequenceLength(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.data() + i, n);
      i += n;
    }
  }
  return out;
}

void toWire(const PacketView& p, wire::Origin origin, uint64_t received_us, wire::CapturedPacket* out) {
  out->set_capture_time_us(p.timeUs());
  // Both addresses share one ip_family on the wire; take the source's (the destination's when
  // the source is unknown).
  out->set_ip_family(p.src.family != 0 ? p.src.family : p.dst.family);
  out->set_src_ip(std::string(p.src.raw()));
  out->set_dst_ip(std::string(p.dst.raw()));
  out->set_src_port(p.src_port);
  out->set_dst_port(p.dst_port);
  out->set_ip_proto(p.ip_proto);
  out->set_payload_type(p.payload_type);
  out->set_capture_id(p.capture_id);
  out->set_node_name(toValidUtf8(p.node_name));
  out->set_correlation_id(std::string(p.correlation_id));
  out->set_vlan(p.vlan);
  out->set_payload(std::string(p.payload));
  out->set_origin(origin);
  out->set_received_time_us(received_us);
}

PacketView fromWire(const wire::CapturedPacket& m) {
  PacketView p;
  p.hep_version = originVersion(m.origin());
  p.src = addressFromWire(m.src_ip());
  p.dst = addressFromWire(m.dst_ip());
  p.src_port = static_cast<uint16_t>(std::min<uint32_t>(m.src_port(), 0xffff));
  p.dst_port = static_cast<uint16_t>(std::min<uint32_t>(m.dst_port(), 0xffff));
  p.ip_proto = static_cast<uint8_t>(std::min<uint32_t>(m.ip_proto(), 0xff));
  p.ts_sec = static_cast<uint32_t>(m.capture_time_us() / 1000000u);
  p.ts_usec = static_cast<uint32_t>(m.capture_time_us() % 1000000u);
  p.payload_type = static_cast<uint8_t>(std::min<uint32_t>(m.payload_type(), 0xff));
  p.capture_id = m.capture_id();
  p.node_name = m.node_name();
  p.correlation_id = m.correlation_id();
  p.vlan = static_cast<uint16_t>(std::min<uint32_t>(m.vlan(), 0xffff));
  p.payload = m.payload();
  return p;
}

}  // namespace sipvault
