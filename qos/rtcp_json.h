#pragma once
// RTCP reports as JSON, the HEP 5 form of rtpengine, captagent and heplify ("type", "ssrc",
// "report_blocks": [{"source_ssrc", "fraction_lost", "packets_lost", "highest_seq_no", "ia_jitter",
// "lsr", "dlsr"}], "sender_information": {...}, "report_blocks_xr": {...}), and sipvault-agent's RTP
// statistics (HEP 34, documented in agent/README.md). Hostile input (deep nesting, huge numbers,
// wrong types) is a BadJson, never a throw. Pure.
#include <cstdint>
#include <string_view>
#include <vector>

#include "qos/qos_report.h"

namespace sipvault::qos {

QosDecodeStatus decodeRtcpJson(std::string_view json, uint64_t capture_us, std::vector<QosReport>& out);
QosDecodeStatus decodeAgentRtpJson(std::string_view json, std::vector<QosReport>& out);

}  // namespace sipvault::qos
