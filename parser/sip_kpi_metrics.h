#pragma once
// The SIP KPI events (sip_kpi_tracker.h) as Prometheus series, one set per label (an alias name
// or "other"). Cardinality is bounded: at most `max_labels` labels besides "other" ever get
// series; a label beyond that folds into "other" (counted in sip_kpi_labels_folded_total).
// Label values are escaped for the text format. Series are registered on first use, from the
// worker's thread; the counters are atomics, read by /metrics from any thread.
//
//   sip_kpi_invite_attempts_total{alias}            sip_kpi_invite_answered_total{alias}
//   sip_kpi_invite_failed_total{alias,class}        class 3xx 4xx 5xx 6xx
//   sip_kpi_invite_user_failures_total{alias}       486/487/600/603 (NER numerator besides answered)
//   sip_kpi_invite_timeouts_total{alias}            no final response within the timeout
//   sip_kpi_srd_milliseconds_bucket{alias,le} / _sum / _count    RFC 6076 session request delay
//   sip_kpi_register_total{alias,result}            success / challenge / failure
//   sip_kpi_transactions_evicted_total              unfinished transactions pushed out by the bound
#include <array>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/metrics.h"
#include "parser/sip_kpi_tracker.h"

namespace sipvault::parser {

inline constexpr std::string_view kOtherLabel = "other";
inline constexpr std::array<uint64_t, 10> kSrdBucketsMs = {50, 100, 250, 500, 1000, 2000, 4000, 8000, 16000, 32000};

// `value` escaped as a Prometheus label value (backslash, double quote, newline).
[[nodiscard]] std::string escapeLabelValue(std::string_view value);

class SipKpiMetrics : public KpiSink {
 public:
  SipKpiMetrics(MetricsRegistry& registry, size_t max_labels);

  void attempt(std::string_view label) override { of(label).attempts.inc(); }
  void answered(std::string_view label) override { of(label).answered.inc(); }
  void failed(std::string_view label, int status_class, bool user_failure) override;
  void timeout(std::string_view label) override { of(label).timeouts.inc(); }
  void sessionRequestDelay(std::string_view label, uint64_t delay_us) override;
  void registerResult(std::string_view label, RegisterResult result) override;
  void evicted() override { evicted_.inc(); }

 private:
  struct PerLabel {
    PerLabel(MetricsRegistry& r, const std::string& alias);
    Counter& attempts;
    Counter& answered;
    Counter& user_failures;
    Counter& timeouts;
    std::array<Counter*, 4> failed{};  // 3xx..6xx
    std::array<Counter*, 3> registers{};
    std::array<Counter*, kSrdBucketsMs.size() + 1> srd_buckets{};
    Counter* srd_count = nullptr;
    Counter* srd_sum_ms = nullptr;
  };
  PerLabel& of(std::string_view label);

  MetricsRegistry& registry_;
  size_t max_labels_;
  Counter& evicted_;
  Counter& folded_;
  std::map<std::string, std::unique_ptr<PerLabel>, std::less<>> labels_;
  PerLabel* other_ = nullptr;
};

}  // namespace sipvault::parser
