#pragma once
// Decides whether a decoded packet may enter the pipeline: HEP auth key and capture-id allow list
// for HEP, the outer source address for IP-in-IP. Pure and immutable after construction, so
// listener threads share one instance.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "proto/packet.h"

namespace sipvault::collector {

enum class Admission { Accept, KeepAlive, BadAuthKey, CaptureIdNotAllowed };

// An IPv4 prefix, host byte order ("10.1.0.0/16"). IP-in-IP arrives on an IPv4 raw socket, so
// the outer source is always IPv4.
struct Ipv4Prefix {
  uint32_t network = 0;
  int length = 32;
  [[nodiscard]] bool contains(uint32_t address) const {
    const uint32_t mask = length == 0 ? 0 : ~uint32_t{0} << (32 - length);
    return (address & mask) == (network & mask);
  }
};
// "A.B.C.D" or "A.B.C.D/N" (0 <= N <= 32); nullopt when it is neither.
[[nodiscard]] std::optional<Ipv4Prefix> parseIpv4Prefix(std::string_view text);

// Equal contents, in time that depends on the lengths only, not on where the bytes first differ
// (an auth key must not be guessable byte by byte from response timing).
[[nodiscard]] bool constantTimeEquals(std::string_view a, std::string_view b);

class PacketAdmission {
 public:
  // auth_key "" accepts any (or no) key; an empty capture-id list accepts every capture id; an
  // empty `ipip_allow` accepts IP-in-IP from any outer source (the collector warns at start).
  PacketAdmission(std::string auth_key, std::set<uint32_t> capture_ids,
                  std::vector<Ipv4Prefix> ipip_allow = {})
      : auth_key_(std::move(auth_key)),
        capture_ids_(std::move(capture_ids)),
        ipip_allow_(std::move(ipip_allow)) {}

  // IP-in-IP packets carry no auth key or capture id, so with from_hep=false they are always accepted;
  // their sender is checked with allowsOuterSource() before decoding.
  [[nodiscard]] Admission check(const PacketView& p, bool from_hep) const;
  // Whether an IP-in-IP packet from this outer IPv4 source (host byte order) may be decoded.
  [[nodiscard]] bool allowsOuterSource(uint32_t ipv4_source) const;

 private:
  std::string auth_key_;
  std::set<uint32_t> capture_ids_;
  std::vector<Ipv4Prefix> ipip_allow_;
};

}  // namespace sipvault::collector
