#pragma once
// Realistic SIP call flows for load tests and sample data: INVITE (with SDP, ~800 bytes),
// 100 Trying, 180 Ringing, 200 OK (with SDP), ACK, BYE, 200 OK, between a caller UA and a
// proxy, every call with its own Call-ID, tags, branches and numbers. Pure and deterministic:
// call i always produces the same bytes for the same seed.
#include <cstdint>
#include <string>
#include <vector>

#include "proto/packet.h"

namespace sipvault::bench {

struct GeneratedMessage {
  std::string sip;      // the SIP message text
  bool from_caller;     // caller -> proxy (else proxy -> caller)
  uint32_t offset_us;   // time since the call's INVITE
};

class CallGenerator {
 public:
  // carrier_headers: INVITEs carry P-Asserted-Identity and P-Charging-Vector, BYEs a Reason, as on a
  // carrier's trunk (what custom-header extraction is configured for; about 150 bytes more per call).
  explicit CallGenerator(uint64_t seed = 1, bool carrier_headers = false) : seed_(seed), carrier_(carrier_headers) {}
  // The 7 messages of call number `index`.
  [[nodiscard]] std::vector<GeneratedMessage> call(uint64_t index) const;
  [[nodiscard]] static std::string callId(uint64_t seed, uint64_t index);
  [[nodiscard]] uint64_t seed() const { return seed_; }
  // Addresses used: caller 10.10.x.y:5060 (varies per call), proxy 10.0.0.1:5060.
  [[nodiscard]] IpAddress callerAddress(uint64_t index) const;
  [[nodiscard]] static IpAddress proxyAddress();
  // The RTP ports the call's SDP offer (caller) and answer (proxy) name; RTCP is the next port up.
  struct MediaPorts {
    uint16_t caller = 0;
    uint16_t proxy = 0;
  };
  [[nodiscard]] MediaPorts mediaPorts(uint64_t index) const;
  static constexpr int kMessagesPerCall = 7;

 private:
  uint64_t seed_;
  bool carrier_;
};

}  // namespace sipvault::bench
