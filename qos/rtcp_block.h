#pragma once
// Internal to qos/: one RTCP SR/RR report block's fields, however they arrived (binary RTCP or
// its JSON form), turned into a QosReport the same way: fraction = fraction/256, jitter in ms at
// the clock rate, RTT from LSR/DLSR when plausible, an E-model MOS estimate (G.711, one-way delay
// RTT/2). Pure.
#include <cstdint>

#include "qos/qos_report.h"

namespace sipvault::qos {

struct RtcpBlockFields {
  uint32_t ssrc = 0;         // SSRC_n: the stream reported on
  uint8_t fraction = 0;      // fraction lost, 1/256 units
  int32_t lost = 0;          // cumulative packets lost (24-bit signed, sign-extended)
  uint32_t ext_high = 0;     // extended highest sequence number received
  double jitter_units = 0;   // interarrival jitter in RTP timestamp units
  uint32_t lsr = 0;          // last SR: middle 32 bits of its NTP timestamp; 0 none
  uint32_t dlsr = 0;         // delay since last SR, 1/65536 s
};

// The middle 32 bits of the NTP timestamp of `capture_us` (µs since 1970): the LSR/DLSR unit.
[[nodiscard]] uint32_t ntpMiddle32(uint64_t capture_us);

// RTT in ms from LSR/DLSR at capture time `capture_us`: none when lsr or capture_us is 0 or the
// result is not within 0..10 s (clocks apart, or a report older than its SR).
[[nodiscard]] std::optional<double> rttFromLsr(uint64_t capture_us, uint32_t lsr, uint32_t dlsr);

[[nodiscard]] QosReport receivedBlockReport(const RtcpBlockFields& b, ReportSource source, uint8_t report_type,
                                            uint32_t reporter_ssrc, uint64_t capture_us, uint32_t clock_rate);

}  // namespace sipvault::qos
