#pragma once
// The counters of the agent's media side (issue 15): calls whose media it learned from SDP, the
// RTCP it forwarded as HEP 5, the RTP statistics it reported as HEP 34. Plain uint64 fields owned
// by one capture thread's MediaTap (no globals); published to the metrics registry by delta
// like netdecode::DecodeCounters. An X-macro so field, metric name and help cannot drift apart.
#include <cstdint>
#include <string_view>

namespace sipvault::agent {

// X(field, help)
#define SIPVAULT_MEDIA_COUNTERS(X)                                                                     \
  X(calls_learned, "calls whose SDP named media addresses to watch")                                   \
  X(endpoints_learned, "media addresses (RTP or RTCP address:port) learned from SDP")                  \
  X(calls_forgotten_bye, "calls forgotten after their BYE or CANCEL (plus the linger time)")           \
  X(calls_forgotten_timeout, "calls forgotten after the idle timeout (no SIP, no media)")              \
  X(calls_evicted, "calls forgotten early to stay within agent.media_max_calls")                       \
  X(endpoints_dropped, "media addresses not kept: a call named more than the per-call bound")         \
  X(rtcp_sent, "RTCP packets of learned calls encoded as HEP payload type 5")                         \
  X(rtcp_unmatched, "RTCP packets to or from addresses no learned call owns (not sent)")              \
  X(rtcp_port_not_rtcp, "packets on a learned RTCP port that are not RTCP (not sent)")                \
  X(rtp_packets, "RTP packets of learned streams added to their statistics")                          \
  X(rtp_not_rtp, "packets on a learned RTP port that are neither RTP version 2 nor RTCP")             \
  X(rtp_streams_started, "RTP streams (address pair + SSRC) whose statistics were started")           \
  X(rtp_streams_ended, "RTP streams ended: their call was forgotten, or they fell idle")              \
  X(rtp_streams_evicted, "RTP streams ended early to stay within agent.rtp_max_streams")              \
  X(rtp_reports_sent, "RTP statistics reports encoded as HEP payload type 34")                        \
  X(media_encode_errors, "RTCP packets or reports HEP could not carry")

struct MediaCounters {
#define SIPVAULT_DECLARE_MEDIA_COUNTER(field, help) uint64_t field = 0;
  SIPVAULT_MEDIA_COUNTERS(SIPVAULT_DECLARE_MEDIA_COUNTER)
#undef SIPVAULT_DECLARE_MEDIA_COUNTER

  // Calls f(std::string_view name, std::string_view help, uint64_t value) for each counter.
  template <class F>
  void forEachCounter(F&& f) const {
#define SIPVAULT_VISIT_MEDIA_COUNTER(field, help) f(std::string_view(#field), std::string_view(help), field);
    SIPVAULT_MEDIA_COUNTERS(SIPVAULT_VISIT_MEDIA_COUNTER)
#undef SIPVAULT_VISIT_MEDIA_COUNTER
  }
};

}  // namespace sipvault::agent
