#include "parser/sip_kpi_metrics.h"

namespace sipvault::parser {

std::string escapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

SipKpiMetrics::PerLabel::PerLabel(MetricsRegistry& r, const std::string& alias)
    : attempts(r.counter("sip_kpi_invite_attempts_total", "INVITE requests (first per transaction and peer)",
                         "alias=\"" + alias + "\"")),
      answered(r.counter("sip_kpi_invite_answered_total", "INVITE transactions answered 2xx", "alias=\"" + alias + "\"")),
      user_failures(r.counter("sip_kpi_invite_user_failures_total",
                              "INVITE failures by the user side (486/487/600/603): NER counts them as effective",
                              "alias=\"" + alias + "\"")),
      timeouts(r.counter("sip_kpi_invite_timeouts_total",
                         "INVITE transactions without a final response seen by this worker within the timeout",
                         "alias=\"" + alias + "\"")) {
  for (int c = 3; c <= 6; ++c)
    failed[c - 3] = &r.counter("sip_kpi_invite_failed_total", "INVITE transactions ended by a 3xx-6xx final response",
                               "alias=\"" + alias + "\",class=\"" + std::to_string(c) + "xx\"");
  const char* results[] = {"success", "challenge", "failure"};
  for (size_t i = 0; i < registers.size(); ++i)
    registers[i] = &r.counter("sip_kpi_register_total", "REGISTER final responses (401/407 = challenge)",
                              "alias=\"" + alias + "\",result=\"" + results[i] + "\"");
  for (size_t i = 0; i <= kSrdBucketsMs.size(); ++i)
    srd_buckets[i] = &r.counter(
        "sip_kpi_srd_milliseconds_bucket", "RFC 6076 session request delay: INVITE to first 18x/2xx (cumulative)",
        "alias=\"" + alias + "\",le=\"" + (i < kSrdBucketsMs.size() ? std::to_string(kSrdBucketsMs[i]) : "+Inf") + "\"");
  srd_count = &r.counter("sip_kpi_srd_milliseconds_count", "session request delay samples", "alias=\"" + alias + "\"");
  srd_sum_ms = &r.counter("sip_kpi_srd_milliseconds_sum", "session request delay, sum of samples in ms",
                          "alias=\"" + alias + "\"");
}

SipKpiMetrics::SipKpiMetrics(MetricsRegistry& registry, size_t max_labels)
    : registry_(registry),
      max_labels_(max_labels),
      evicted_(registry.counter("sip_kpi_transactions_evicted_total",
                                "unfinished transactions pushed out by parser.kpi_max_transactions")),
      folded_(registry.counter("sip_kpi_labels_folded_total",
                               "KPI events of an alias beyond parser.kpi_max_labels, counted as \"other\"")) {
  auto other = std::make_unique<PerLabel>(registry_, std::string(kOtherLabel));
  other_ = other.get();
  labels_.emplace(std::string(kOtherLabel), std::move(other));
}

SipKpiMetrics::PerLabel& SipKpiMetrics::of(std::string_view label) {
  if (auto it = labels_.find(label); it != labels_.end()) return *it->second;
  if (labels_.size() > max_labels_) {  // "other" is not counted against the bound
    folded_.inc();
    return *other_;
  }
  auto per = std::make_unique<PerLabel>(registry_, escapeLabelValue(label));
  PerLabel& ref = *per;
  labels_.emplace(std::string(label), std::move(per));
  return ref;
}

void SipKpiMetrics::failed(std::string_view label, int status_class, bool user_failure) {
  if (status_class < 3 || status_class > 6) return;
  PerLabel& p = of(label);
  p.failed[static_cast<size_t>(status_class - 3)]->inc();
  if (user_failure) p.user_failures.inc();
}

void SipKpiMetrics::sessionRequestDelay(std::string_view label, uint64_t delay_us) {
  PerLabel& p = of(label);
  const uint64_t ms = delay_us / 1000;
  for (size_t i = 0; i < kSrdBucketsMs.size(); ++i)
    if (delay_us <= kSrdBucketsMs[i] * 1000) p.srd_buckets[i]->inc();
  p.srd_buckets[kSrdBucketsMs.size()]->inc();
  p.srd_count->inc();
  p.srd_sum_ms->inc(ms);
}

void SipKpiMetrics::registerResult(std::string_view label, RegisterResult result) {
  of(label).registers[static_cast<size_t>(result)]->inc();
}

}  // namespace sipvault::parser
