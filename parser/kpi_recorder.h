#pragma once
// Feeds parsed SIP messages into the KPI tracker (sip_kpi_tracker.h) with their peer's label: the
// alias (store/alias_table.h) of the far side, a request's destination or a response's source,
// else "other"; never a raw address. One per worker thread; not thread-safe. The alias table
// comes from `aliases` (AliasRefresher::current), taken once per batch.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "parser/sip_kpi_metrics.h"
#include "parser/sip_kpi_tracker.h"
#include "sip/sip_message.h"
#include "sipvault.pb.h"
#include "store/alias_table.h"

namespace sipvault::parser {

using AliasSource = std::function<std::shared_ptr<const store::AliasTable>()>;

class KpiRecorder {
 public:
  KpiRecorder(KpiLimits limits, KpiSink& sink, AliasSource aliases)
      : tracker_(limits, sink), aliases_(std::move(aliases)) {}

  void beginBatch();
  void observe(const sip::SipMessage& m, const wire::CapturedPacket& p);
  // Expires transactions by the newest capture time seen so far.
  void endBatch();
  [[nodiscard]] size_t transactions() const { return tracker_.size(); }

 private:
  SipKpiTracker tracker_;
  AliasSource aliases_;
  std::shared_ptr<const store::AliasTable> table_;
  uint64_t newest_us_ = 0;
  std::string peer_;  // reused
};

}  // namespace sipvault::parser
