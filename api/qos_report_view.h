#pragma once
// A call's quality reports as GET /api/v1/calls/{call_id}/qos answers them (issue 15,
// api/API_CONTRACT.md "Call quality"). Pure: rows in, JSON out; thread-safe.
//
// Reports are grouped per leg into streams: one (reporter address, reporter_ssrc, ssrc,
// direction, source). A stream's points are its reports in time order with
//   interval_loss  the loss since the stream's previous report, from the cumulative counters:
//                  (lost - lost') / (highest_seq - highest_seq'), clamped to 0..1 (RFC 3550
//                  A.3); for a stream's first report lost / (packets + lost) when the report
//                  counts its packets (the interval since the stream began); null when the
//                  counters are missing, the sequence went backwards or nothing was expected.
//                  Cumulative lost / packets is never used as the rate of a later interval
//                  (that is the classic MOS bug: a burst an hour ago dragging every later point).
//   fraction_lost, jitter_ms, rtt_ms, mos   as reported (null unknown).
// Summaries (per stream, per leg, per call): worst_mos (lowest), worst_interval_loss (highest
// interval_loss, or fraction_lost where the interval loss is unknown), max_jitter_ms,
// max_rtt_ms, report_count.
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/call_flow.h"
#include "api/qos_media.h"
#include "api/qos_store.h"

namespace sipvault::api {

// Reports read for one call at most (more: "truncated": true).
inline constexpr uint64_t kMaxQosReports = 20000;
// Messages whose raw is read for their SDP at most (offers and answers of every leg).
inline constexpr size_t kMaxSdpMessages = 64;

// Why a call has no report (the answer's "reason"); None when it has some.
enum class QosEmptyReason { None, NoMediaLearned, NoReportsForMedia, UncorrelatedReports };

struct QosLegView {
  FlowLeg leg;
  std::vector<MediaAddress> media;  // what its SDP named
};

struct QosCallView {
  std::string call_id;
  std::vector<QosLegView> legs;
  std::vector<QosRecord> reports;  // time-ordered
  std::vector<size_t> report_leg;  // index into legs, per report
  bool truncated = false;
  uint64_t uncorrelated_count = 0;  // uncorrelated reports in the window (read when there is no report)
  uint64_t window_from_us = 0, window_to_us = 0;
};

// The interval loss of `cur` after `prev` (the stream's previous report; nullptr for its first).
[[nodiscard]] std::optional<double> intervalLoss(const QosRecord* prev, const QosRecord& cur);

[[nodiscard]] QosEmptyReason emptyReason(const QosCallView& view);

// "rtcp", "rtcp_json", "rtp_stat_header", "vq_rtcpxr", "agent_rtp"; "unknown" otherwise.
[[nodiscard]] std::string_view qosSourceName(uint8_t source);

[[nodiscard]] Poco::JSON::Object::Ptr qosCallJson(const QosCallView& view);

}  // namespace sipvault::api
