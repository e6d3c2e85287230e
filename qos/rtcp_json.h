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

// sipvault-agent's RTP statistics report (HEP payload type 34, HEP correlation id = the Call-ID), one
// JSON object per stream and interval; every key always present, numbers as JSON numbers:
//   {"type":"sipvault_rtp","version":1,"ssrc":305419896,"src_ip":"192.0.2.1","src_port":40000,
//    "dst_ip":"192.0.2.2","dst_port":30000,"codec":"PCMA","clock_rate":8000,"packets":250,
//    "expected":252,"lost":2,"highest_seq":66000,"fraction_lost":0.0079,"jitter_ms":1.9,
//    "seq_gaps":1,"mos":4.38,"interval_s":5.0,"final":false}
// packets/expected/lost/highest_seq are cumulative since the stream started; fraction_lost, mos,
// interval_s describe the interval since the previous report; final = the stream ended (BYE/timeout).
QosDecodeStatus decodeRtcpJson(std::string_view json, uint64_t capture_us, std::vector<QosReport>& out);
QosDecodeStatus decodeAgentRtpJson(std::string_view json, std::vector<QosReport>& out);

}  // namespace sipvault::qos
