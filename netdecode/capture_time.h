#pragma once
// Capture time of a frame, taken from the capture (pcap header, HEP, socket timestamp). The
// decoder never reads a clock: every timeout (fragments, TCP idle flows, SCTP fragments) is
// measured against these values.
#include <cstdint>

namespace sipvault::netdecode {

struct CaptureTime {
  uint32_t sec = 0;   // seconds since the epoch (u32 like pcap and HEP; good until 2106)
  uint32_t usec = 0;  // 0..999999

  [[nodiscard]] int64_t micros() const { return int64_t(sec) * 1000000 + usec; }
};

// True when `then_us` lies more than `limit_us` away from `now_us`, in either direction.
// Real captures have clocks that jump (corpus heplify_sip_ipv6_udp.pcap leaps years ahead and
// back); a backwards jump must expire state too, or it would be pinned until evicted by size.
[[nodiscard]] inline bool isStale(int64_t then_us, int64_t now_us, int64_t limit_us) {
  const int64_t age = now_us - then_us;
  return age > limit_us || age < -limit_us;
}

}  // namespace sipvault::netdecode
