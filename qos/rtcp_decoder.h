#pragma once
// RTCP compound packets (RFC 3550 SR/RR/SDES/BYE, RFC 3611 XR) -> QosReport, one per report
// block: each SR/RR report block (Received: lost, highest_seq, fraction_lost, jitter in ms at the
// stream's clock rate, RTT from LSR/DLSR when capture_us is near the block's receiver), the SR's
// sender info (Sent: packets), each XR VoIP-metrics block (RFC 3611 4.7: loss rate, round-trip
// delay, MOS-CQ). Bounds-checked on every length; a bad packet inside a compound stops decoding
// there and reports what came before. Pure, no allocation beyond `out`.
#include <cstdint>
#include <string_view>
#include <vector>

#include "qos/qos_report.h"

namespace sipvault::qos {

// `capture_us`: when the packet was captured (µs since the epoch), for RTT from LSR/DLSR (0: no
// RTT). RTT = NTP middle 32 bits of capture_us - LSR - DLSR, kept only when LSR != 0 and the
// result is within 0..10 s (the capture clock and the SR sender's must agree).
// `clock_rate`: the stream's RTP clock rate for jitter (8000 when unknown or 0).
// Appends to `out`; returns Ok when at least one report was decoded (even if a later packet of
// the compound was bad), Empty for a well-formed compound without reports (SDES, BYE, APP, an RR
// without blocks), else the reason, with nothing appended.
QosDecodeStatus decodeRtcp(std::string_view packet, uint64_t capture_us, std::vector<QosReport>& out,
                           uint32_t clock_rate = 8000);

// True when `payload` looks like RTCP: version 2, a first packet type 200..207 (RFC 5761 4) and a
// first packet length within the payload.
[[nodiscard]] bool looksLikeRtcp(std::string_view payload);

}  // namespace sipvault::qos
