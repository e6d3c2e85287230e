#pragma once
// Turns one collector PacketBatch into one SipBatch for the writers: SIP payloads are parsed and
// their search fields extracted; SIP that fails to parse is kept raw with the reason (or dropped,
// by config); other HEP payload types (RTCP JSON, logs) pass through without fields (or are
// dropped, by config). Parsed messages then meet the ingest policy (ingest_policy.h): stored in a
// storage class, summarized (slimmed to what the writer counts) or dropped. Every outcome is counted. One per worker thread (reuses its SipMessage).
//
// Call-quality reports (qos_extractor.h, parser/README.md "Call quality"): a HEP 5/34 payload that
// decodes becomes a record of reports alone (no payload, no SIP fields); one that does not is kept
// as before (hep_other, or dropped by parser.keep_non_sip) and counted by reason. The reports of a
// SIP message (X-RTP-Stat / P-RTP-Stat, vq-rtcpxr PUBLISH) ride on its record whatever the ingest
// policy decides about the message: stored or summarized, the reports are kept; dropped, the
// record stays with the reports alone (no payload, no SIP fields).
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/metrics.h"
#include "parser/parser_options.h"
#include "parser/qos_extractor.h"
#include "sip/sip_parser.h"
#include "sipvault.pb.h"

namespace sipvault::parser {

struct ParserMetrics {
  // `rules`: the ingest policy's rules, one counter each (registered now, so a rule that never
  // matches shows 0 on /metrics).
  explicit ParserMetrics(MetricsRegistry& r, const std::vector<PolicyRule>& rules = {});
  Counter& batches_in;
  Counter& batches_bad;  // ZeroMQ messages that were not a PacketBatch
  Counter& packets_in;
  Counter& sip_parsed;
  Counter& sip_flagged;  // parsed but with SipFlag findings
  Counter& non_sip_kept;
  Counter& non_sip_dropped;
  Counter& rejects_dropped;
  Counter& batches_out;
  Counter& send_waits;   // writers not taking batches: backpressure
  Counter& header_values;     // custom header / link values extracted
  Counter& header_dropped;    // values over parser.headers.max_per_message, left out
  Counter& header_truncated;  // values cut to parser.headers.max_value_bytes
  // By ParseError (index 0, Ok, unused); the assert keeps the array in step with the enum.
  static_assert(static_cast<size_t>(sip::ParseError::BadContentLength) == 8,
                "one counter per sip::ParseError");
  std::array<Counter*, 9> rejects{};
  // parser_policy_messages_total{rule,action}: SIP messages each policy rule decided, by index;
  // policy_default: those no rule matched (stored as calls).
  std::vector<Counter*> policy_rules;
  Counter& policy_default;
  // Call-quality reports (qos_extractor.h): parser_qos_reports_total{source} by qos::ReportSource
  // (index 1..5; 0 unused), parser_qos_undecodable_total{reason} by qos::QosDecodeStatus (index
  // 1..7; 0, Ok, unused): HEP 5/34 payloads kept raw instead, and X-RTP-Stat / vq-rtcpxr values
  // that gave no report. parser_qos_reports_dropped_total: over kMaxQosReportsPerRecord.
  std::array<Counter*, 6> qos_reports{};
  std::array<Counter*, 8> qos_undecodable{};
  Counter& qos_dropped;
};

// Copies the search fields of a parsed message into the wire form.
void fillSipFields(const sip::SipMessage& msg, uint32_t flags, wire::SipFields* out);

class KpiRecorder;

class RecordBuilder {
 public:
  RecordBuilder(const ParserOptions& options, ParserMetrics& metrics);
  // SIP KPIs (kpi_recorder.h) of every parsed message; nullptr = off. Must outlive the builder.
  void setKpi(KpiRecorder* kpi) { kpi_ = kpi; }

  // Appends one record per kept packet of `in` to `out` (moving payloads out of `in`).
  void build(wire::PacketBatch& in, wire::SipBatch& out);

 private:
  // Applies the ingest policy to a parsed message; false = drop it.
  bool applyPolicy(const wire::CapturedPacket& packet, wire::SipRecord& record);
  // HEP 5/34: true when `packet` became a record of reports in `out` (its payload dropped).
  bool buildQosRecord(wire::CapturedPacket& packet, wire::SipBatch& out);
  // Counts qos_reports_ and moves them onto `record` (at most kMaxQosReportsPerRecord).
  void addReports(std::string_view default_call_id, wire::SipRecord& record);

  const ParserOptions& options_;
  ParserMetrics& metrics_;
  KpiRecorder* kpi_ = nullptr;
  IngestPolicy policy_;
  sip::SipMessage message_;  // reused across packets: its arena allocation is kept
  std::unique_ptr<HeaderExtractor> headers_;  // null when no rules are configured
  std::vector<ExtractedHeader> extracted_;    // reused across packets
  std::vector<qos::QosReport> qos_reports_;   // reused across packets
};

}  // namespace sipvault::parser
