#pragma once
// The one packet value every ingress path produces: HEP v1/v2/v3 decode, IP-in-IP decapsulation
// and the agent's capture decoder. Pure data, no I/O.
//
// Ownership: a PacketView borrows. Its string_views point into the buffer that was decoded (or into
// a scratch string the caller passed to the decoder, for inflated payloads); they are valid only
// as long as that storage is. Copy into wire::CapturedPacket (see packet_convert.h) to keep it.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sipvault {

// An IPv4 or IPv6 address in network byte order.
struct IpAddress {
  uint8_t family = 0;               // 4, 6, or 0 when unknown (e.g. HEP log packets)
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4 bytes

  [[nodiscard]] std::string_view raw() const {
    return {reinterpret_cast<const char*>(bytes.data()), family == 6 ? 16u : family == 4 ? 4u : 0u};
  }
  // "192.0.2.1", "2001:db8::1" (RFC 5952 form via inet_ntop rules), or "" when unknown.
  [[nodiscard]] std::string toString() const;
  // Parses dotted IPv4 or IPv6 text; nullopt when it is neither.
  [[nodiscard]] static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress v4(const uint8_t* p);
  static IpAddress v6(const uint8_t* p);
  bool operator==(const IpAddress& o) const { return family == o.family && raw() == o.raw(); }
};

// IANA protocol numbers used for the transport field.
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoSctp = 132;

// HEP payload types (chunk 0x000b) we treat specially.
inline constexpr uint8_t kPayloadSip = 1;
inline constexpr uint8_t kPayloadRtcp = 5;  // RTCP: raw compound packets or JSON (qos/rtcp_decoder.h, rtcp_json.h)
inline constexpr uint8_t kPayloadAgentRtp = 34;  // sipvault-agent's RTP statistics, JSON (qos/rtcp_json.h)
inline constexpr uint8_t kPayloadLog = 100;

struct PacketView {
  uint8_t hep_version = 0;       // 1, 2, 3; 0 when not from HEP (IP-in-IP, agent capture)
  IpAddress src;
  IpAddress dst;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t ip_proto = 0;          // kIpProtoUdp, kIpProtoTcp, kIpProtoSctp, ...
  uint32_t ts_sec = 0;           // capture time, seconds since the epoch (HEP carries u32)
  uint32_t ts_usec = 0;
  uint8_t payload_type = kPayloadSip;
  uint32_t capture_id = 0;
  bool has_auth_key = false;     // an auth-key chunk was present (possibly empty)
  std::string_view auth_key;
  std::string_view correlation_id;
  std::string_view node_name;    // HEP chunk 19 (group / node name)
  uint16_t vlan = 0;
  bool keep_alive = false;       // HEP chunk 13 seen
  bool payload_compressed = false;  // payload came in chunk 16 and was inflated
  std::string_view payload;

  [[nodiscard]] uint64_t timeUs() const { return uint64_t(ts_sec) * 1000000u + ts_usec; }
};

}  // namespace sipvault
