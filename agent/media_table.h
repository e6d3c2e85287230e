#pragma once
// MediaTable: which media addresses belong to which call, learned from the SDP offers and answers
// the agent captures (c=/m= lines, a=rtcp, a=rtcp-mux), so that RTCP and RTP to or from them can
// be tied to the call's Call-ID.
//
// Per m= line with an RTP profile, a port other than 0 and a usable address (not 0.0.0.0 / ::):
//   (address, port)                           RTP; RTCP on it too when muxed (RFC 5761 demux)
//   (a=rtcp address or address, a=rtcp port   RTCP, unless the m= line has a=rtcp-mux (then
//    or port + 1)                             port + 1 may well be another call's RTP port)
// The last SDP to name an address wins it (ports are reused from call to call).
//
// Bounds: at most max_calls calls (the least recently active is evicted first, counted) and
// kMaxEndpointsPerCall addresses per call (re-INVITEs that keep moving media drop the oldest).
// A call is forgotten bye_linger after its BYE or CANCEL (the last RTCP comes after the BYE), or
// after idle_timeout without SIP or media; forget callbacks let the owner end its streams.
//
// Pure: no clock (times are µs on the capture's clock, passed in), no I/O. Not thread-safe: one
// table per capture thread, like the decoder. Counts into the MediaCounters it is given.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/media_counters.h"
#include "proto/packet.h"
#include "sip/sip_message.h"

namespace sipvault::agent {

struct MediaTableOptions {
  size_t max_calls = 10000;                  // agent.media_max_calls
  uint64_t idle_timeout_us = 300'000'000;    // agent.media_idle_timeout_s (300)
  uint64_t bye_linger_us = 5'000'000;        // agent.media_bye_linger_s (5)
};

inline constexpr size_t kMaxEndpointsPerCall = 32;
inline constexpr size_t kMaxCallIdBytes = 255;  // longer Call-IDs are cut (sip_qos.call_id is 255)

enum class MediaRole : uint8_t {
  Rtp,   // an m= port: RTP, and RTCP when multiplexed
  Rtcp,  // the RTCP port of an m= line
};

// One learned media address as the table answers it. The views stay valid until the next
// learn() / expire() call.
struct MediaMatch {
  std::string_view call_id;
  MediaRole role = MediaRole::Rtp;
  std::string_view codec;    // the m= line's first codec ("" unknown)
  uint32_t clock_rate = 8000;
};

// Why a call was forgotten.
enum class ForgetReason : uint8_t { Bye, Timeout, Evicted };

class MediaTable {
 public:
  // Called with the Call-ID of each call as it is forgotten (before its entry goes).
  using ForgetFn = std::function<void(std::string_view call_id, ForgetReason why)>;

  MediaTable(const MediaTableOptions& options, MediaCounters& counters, ForgetFn on_forget = {});

  // Learns the media of one SDP body (an offer or an answer) of call `call_id` seen at `now_us`.
  // Returns how many addresses it named (0: nothing usable, e.g. on hold or no RTP).
  size_t learn(std::string_view call_id, const sip::SdpSummary& sdp, uint64_t now_us);
  // The call's BYE or CANCEL was seen at `now_us`: it is forgotten bye_linger later, unless an SDP
  // of it comes first (a 200 OK that crossed the CANCEL).
  void ending(std::string_view call_id, uint64_t now_us);
  // The call owning (ip, port), or null. A hit counts as activity for the idle timeout.
  [[nodiscard]] const MediaMatch* find(const IpAddress& ip, uint16_t port, uint64_t now_us);
  // Forgets the calls whose linger or idle time ran out by `now_us`.
  void expire(uint64_t now_us);

  [[nodiscard]] size_t calls() const { return by_id_.size(); }
  [[nodiscard]] size_t endpoints() const { return endpoints_.size(); }

 private:
  struct Endpoint {
    IpAddress ip;
    uint16_t port = 0;
    bool operator==(const Endpoint& o) const { return port == o.port && ip == o.ip; }
  };
  struct EndpointHash {
    size_t operator()(const Endpoint& e) const noexcept;
  };
  struct Call {
    std::string id;
    std::vector<Endpoint> endpoints;  // oldest first, at most kMaxEndpointsPerCall
    uint64_t last_us = 0;             // last SIP or media
    uint64_t end_us = 0;              // forget at this time (BYE + linger); 0 = no BYE yet
  };
  using CallList = std::list<Call>;  // most recently active first
  struct Entry {
    CallList::iterator call;
    MediaMatch match;
    std::string codec;  // owns match.codec
  };

  void addEndpoint(CallList::iterator call, const Endpoint& ep, MediaRole role, std::string_view codec,
                   uint32_t clock_rate);
  void forget(CallList::iterator call, ForgetReason why);
  void touch(CallList::iterator call, uint64_t now_us);

  MediaTableOptions options_;
  MediaCounters& counters_;
  ForgetFn on_forget_;
  CallList lru_;
  std::unordered_map<std::string_view, CallList::iterator> by_id_;  // keys view Call::id
  std::unordered_map<Endpoint, Entry, EndpointHash> endpoints_;
};

}  // namespace sipvault::agent
