#include "parser/record_builder.h"

#include <string>

#include "parser/kpi_recorder.h"
#include "proto/packet.h"

namespace sipvault::parser {

using namespace sipvault::sip;

ParserMetrics::ParserMetrics(MetricsRegistry& r, const std::vector<PolicyRule>& rules)
    : batches_in(r.counter("parser_batches_in_total", "packet batches received")),
      batches_bad(r.counter("parser_batches_bad_total", "bus messages that were not a PacketBatch")),
      packets_in(r.counter("parser_packets_in_total", "packets received")),
      sip_parsed(r.counter("parser_sip_parsed_total", "SIP messages parsed")),
      sip_flagged(r.counter("parser_sip_flagged_total", "SIP messages parsed with findings (stored, flagged)")),
      non_sip_kept(r.counter("parser_non_sip_total", "non-SIP HEP payloads", R"(action="kept")")),
      non_sip_dropped(r.counter("parser_non_sip_total", "non-SIP HEP payloads", R"(action="dropped")")),
      rejects_dropped(r.counter("parser_rejects_dropped_total", "unparseable SIP dropped by config")),
      batches_out(r.counter("parser_batches_out_total", "SIP batches sent to writers")),
      send_waits(r.counter("parser_backpressure_waits_total", "waits for a writer to take a batch")),
      header_values(r.counter("parser_header_values_total", "custom header and correlation link values extracted")),
      header_dropped(r.counter("parser_header_values_dropped_total",
                               "header values left out (over parser.headers.max_per_message)")),
      header_truncated(r.counter("parser_header_values_truncated_total",
                                 "header values cut to parser.headers.max_value_bytes")),
      policy_default(r.counter("parser_policy_messages_total", "SIP messages decided by each ingest policy rule",
                               R"(rule="default",action="store:calls")")),
      qos_dropped(r.counter("parser_qos_reports_dropped_total",
                            "call-quality reports left out (over the per-record limit)")) {
  static constexpr std::array<const char*, 6> kSources{"", "rtcp", "rtcp_json", "rtp_stat_header", "vq_rtcpxr",
                                                       "agent_rtp"};
  for (size_t i = 1; i < qos_reports.size(); ++i)
    qos_reports[i] = &r.counter("parser_qos_reports_total", "call-quality reports decoded",
                                "source=\"" + std::string(kSources[i]) + "\"");
  for (size_t i = 1; i < qos_undecodable.size(); ++i)
    qos_undecodable[i] =
        &r.counter("parser_qos_undecodable_total", "HEP 5/34 payloads and SIP quality headers/bodies that gave no report",
                   "reason=\"" + std::string(qos::statusName(static_cast<qos::QosDecodeStatus>(i))) + "\"");
  for (const PolicyRule& rule : rules) {
    std::string action(policyActionName(rule.action));
    if (rule.action == PolicyAction::Store) action += ":" + std::string(storageClassName(rule.storage_class));
    policy_rules.push_back(&r.counter("parser_policy_messages_total", "SIP messages decided by each ingest policy rule",
                                      "rule=\"" + rule.name + "\",action=\"" + action + "\""));
  }
  for (size_t i = 1; i < rejects.size(); ++i)
    rejects[i] = &r.counter("parser_sip_rejected_total", "SIP payloads that failed to parse",
                            "reason=\"" + std::string(parseErrorName(static_cast<ParseError>(i))) + "\"");
}

namespace {

void set(std::string* field, std::string_view v) { field->assign(v.data(), v.size()); }

}  // namespace

void fillSipFields(const SipMessage& m, uint32_t flags, wire::SipFields* out) {
  out->set_is_request(m.is_request);
  set(out->mutable_method(), m.transactionMethod());
  out->set_status(m.status_code);
  set(out->mutable_reason(), m.reason_phrase);
  set(out->mutable_ruri(), m.request_uri.text);
  set(out->mutable_ruri_user(), m.request_uri.user);
  set(out->mutable_ruri_host(), m.request_uri.host);
  set(out->mutable_call_id(), m.call_id);
  set(out->mutable_from_display(), m.from.display_name);
  set(out->mutable_from_user(), m.from.uri.user);
  set(out->mutable_from_host(), m.from.uri.host);
  set(out->mutable_from_tag(), m.from.tag);
  set(out->mutable_to_display(), m.to.display_name);
  set(out->mutable_to_user(), m.to.uri.user);
  set(out->mutable_to_host(), m.to.uri.host);
  set(out->mutable_to_tag(), m.to.tag);
  out->set_cseq_number(m.cseq_number);
  set(out->mutable_cseq_method(), m.cseq_method);
  if (const SipVia* via = m.topVia()) {
    set(out->mutable_via_transport(), via->transport);
    set(out->mutable_via_host(), via->host);
    set(out->mutable_via_branch(), via->branch);
    set(out->mutable_via_received(), via->received);
  }
  set(out->mutable_contact(), m.contact);
  set(out->mutable_user_agent(), m.agent());
  set(out->mutable_pai_user(), m.pai_user);
  set(out->mutable_reason_header(), m.reason);
  set(out->mutable_content_type(), m.content_type);
  out->set_content_length(m.content_length);
  set(out->mutable_x_cid(), m.x_cid);
  if (m.sdp.present) {
    set(out->mutable_sdp_connection(), m.sdp.connection_address);
    for (size_t i = 0; i < m.sdp.media_count; ++i) out->add_sdp_media_ports(m.sdp.media[i].port);
    for (size_t i = 0; i < m.sdp.codec_count; ++i) set(out->add_sdp_codecs(), m.sdp.codecs[i]);
  }
  out->set_flags(flags);
}

RecordBuilder::RecordBuilder(const ParserOptions& options, ParserMetrics& metrics)
    : options_(options), metrics_(metrics), policy_(options.policy_rules) {
  std::string error;  // the rules were checked when the options were read
  if (!options.header_rules.empty()) headers_ = HeaderExtractor::create(options.header_rules, options.header_limits, error);
}

bool RecordBuilder::applyPolicy(const wire::CapturedPacket& packet, wire::SipRecord& record) {
  if (policy_.rules().empty()) {
    metrics_.policy_default.inc();
    return true;
  }
  wire::SipFields& sip = *record.mutable_sip();
  PolicySubject subject{sip.method(),      sip.is_request(),        sip.status(),
                        packet.src_ip(),   packet.dst_ip(),         packet.src_port(),
                        packet.dst_port(), packet.capture_id(),     packet.node_name(),
                        sip.user_agent()};
  const int index = policy_.match(subject);
  if (index < 0) {
    metrics_.policy_default.inc();
    return true;
  }
  metrics_.policy_rules[static_cast<size_t>(index)]->inc();
  const PolicyRule& rule = policy_.rules()[static_cast<size_t>(index)];
  switch (rule.action) {
    case PolicyAction::Drop: return false;
    case PolicyAction::Store: record.set_storage_class(static_cast<uint32_t>(rule.storage_class)); return true;
    case PolicyAction::Summarize: break;
  }
  // Keep only what the writer counts (time and addresses are in the packet): a summarized
  // OPTIONS costs a few dozen bytes on the bus instead of the whole message.
  record.set_summarize(true);
  wire::SipFields slim;
  slim.set_is_request(sip.is_request());
  slim.mutable_method()->swap(*sip.mutable_method());
  slim.set_status(sip.status());
  sip.Swap(&slim);
  return true;
}

void RecordBuilder::addReports(std::string_view default_call_id, wire::SipRecord& record) {
  if (qos_reports_.size() > kMaxQosReportsPerRecord) {
    metrics_.qos_dropped.inc(qos_reports_.size() - kMaxQosReportsPerRecord);
    qos_reports_.resize(kMaxQosReportsPerRecord);
  }
  for (const qos::QosReport& r : qos_reports_) {
    const auto source = static_cast<size_t>(r.source);
    if (source > 0 && source < metrics_.qos_reports.size()) metrics_.qos_reports[source]->inc();
    appendQosFields(r, default_call_id, *record.mutable_qos());
  }
  qos_reports_.clear();
}

bool RecordBuilder::buildQosRecord(wire::CapturedPacket& packet, wire::SipBatch& out) {
  qos_reports_.clear();
  const qos::QosDecodeStatus status =
      decodeHepQos(packet.payload_type(), packet.payload(), packet.capture_time_us(), qos_reports_);
  if (status != qos::QosDecodeStatus::Ok) {
    const auto i = static_cast<size_t>(status);
    if (i < metrics_.qos_undecodable.size() && metrics_.qos_undecodable[i]) metrics_.qos_undecodable[i]->inc();
    return false;
  }
  wire::SipRecord* rec = out.add_records();
  addReports(packet.correlation_id(), *rec);
  packet.clear_payload();  // the reports are what is kept (SipRecord.qos)
  rec->mutable_packet()->Swap(&packet);
  return true;
}

void RecordBuilder::build(wire::PacketBatch& in, wire::SipBatch& out) {
  metrics_.batches_in.inc();
  if (kpi_) kpi_->beginBatch();
  for (wire::CapturedPacket& packet : *in.mutable_packets()) {
    metrics_.packets_in.inc();
    if (packet.payload_type() != kPayloadSip) {
      if (options_.qos && isQosPayloadType(packet.payload_type()) && buildQosRecord(packet, out)) continue;
      if (!options_.keep_non_sip) {
        metrics_.non_sip_dropped.inc();
        continue;
      }
      metrics_.non_sip_kept.inc();
      out.add_records()->mutable_packet()->Swap(&packet);
      continue;
    }
    const ParseOutcome outcome = parseSipMessage(packet.payload(), message_);
    if (!outcome.ok()) {
      metrics_.rejects[static_cast<size_t>(outcome.error)]->inc();
      if (!options_.keep_rejects) {
        metrics_.rejects_dropped.inc();
        continue;
      }
      wire::SipRecord* rec = out.add_records();
      rec->set_reject_reason(std::string(parseErrorName(outcome.error)) + ": " + std::string(outcome.reason));
      rec->mutable_packet()->Swap(&packet);
      continue;
    }
    metrics_.sip_parsed.inc();
    if (outcome.flags) metrics_.sip_flagged.inc();
    wire::SipRecord* rec = out.add_records();
    // Fields first: they are views into the payload, which Swap moves into the record intact
    // (std::string swap keeps heap buffers; short payloads are copied, so fill before swapping).
    fillSipFields(message_, outcome.flags, rec->mutable_sip());
    if (kpi_) kpi_->observe(message_, packet);
    if (options_.qos) {
      QosStatusCounts failures{};
      findSipQos(message_, qos_reports_, failures);
      for (size_t i = 1; i < failures.size(); ++i)
        if (failures[i] && metrics_.qos_undecodable[i]) metrics_.qos_undecodable[i]->inc(failures[i]);
      // Converted now: the message's Call-ID is a view into the payload, which moves below.
      if (!qos_reports_.empty()) addReports(message_.call_id, *rec);
    }
    if (!applyPolicy(packet, *rec)) {
      if (rec->qos_size() == 0) {
        out.mutable_records()->RemoveLast();
        continue;
      }
      // The message goes, its reports stay (see the file comment): a record of reports alone.
      rec->clear_sip();
      packet.clear_payload();
      rec->mutable_packet()->Swap(&packet);
      continue;
    }
    if (rec->summarize()) {
      packet.clear_payload();
    } else if (headers_) {
      ExtractStats stats;
      headers_->extract(message_.headers, extracted_, stats);
      metrics_.header_values.inc(stats.values);
      if (stats.dropped) metrics_.header_dropped.inc(stats.dropped);
      if (stats.truncated) metrics_.header_truncated.inc(stats.truncated);
      for (ExtractedHeader& h : extracted_) {
        wire::HeaderValue* v = rec->mutable_sip()->add_headers();
        v->set_kind(static_cast<uint32_t>(h.kind));
        v->set_name(h.name.data(), h.name.size());
        v->set_value(std::move(h.value));
      }
    }
    rec->mutable_packet()->Swap(&packet);
  }
  if (kpi_) kpi_->endBatch();
}

}  // namespace sipvault::parser
