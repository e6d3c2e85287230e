#pragma once
// RFC 3550 receiver statistics of one RTP stream as a capture point sees it (A.1 sequence
// tracking with cycles and probation, A.3 expected/lost, A.8 interarrival jitter), plus sequence
// gaps; the agent keeps one per tracked stream and turns it into QosReports. Pure, fixed size.
#include <cstdint>
#include <string_view>

#include "qos/qos_report.h"

namespace sipvault::qos {

class RtpStreamStats {
 public:
  explicit RtpStreamStats(uint32_t clock_rate = 8000) : clock_rate_(clock_rate) {}
  // One RTP packet of the stream (the UDP payload) seen at `arrival_us`. False when it is not RTP
  // version 2 or too short (not counted).
  bool add(std::string_view rtp, uint64_t arrival_us);
  // The figures since the start (cumulative) and since the previous interval() call (fraction
  // lost, MOS over that interval, E-model with `codec`); resets the interval.
  QosReport interval(std::string_view codec);
  [[nodiscard]] uint64_t packets() const { return received_; }

 private:
  uint32_t clock_rate_;
  uint64_t received_ = 0;
  // remaining state is the implementer's (RFC 3550 A.1/A.3/A.8)
};

}  // namespace sipvault::qos
