#pragma once
// Turns one collector PacketBatch into one SipBatch for the writers: SIP payloads are parsed and
// their search fields extracted; SIP that fails to parse is kept raw with the reason (or dropped,
// by config); other HEP payload types (RTCP JSON, logs) pass through without fields (or are
// dropped, by config). Parsed messages then meet the ingest policy (ingest_policy.h): stored in a
// storage class, summarized (slimmed to what the writer counts) or dropped. Every outcome is counted. One per worker thread (reuses its SipMessage).
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/metrics.h"
#include "parser/parser_options.h"
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

  const ParserOptions& options_;
  ParserMetrics& metrics_;
  KpiRecorder* kpi_ = nullptr;
  IngestPolicy policy_;
  sip::SipMessage message_;  // reused across packets: its arena allocation is kept
  std::unique_ptr<HeaderExtractor> headers_;  // null when no rules are configured
  std::vector<ExtractedHeader> extracted_;    // reused across packets
};

}  // namespace sipvault::parser
