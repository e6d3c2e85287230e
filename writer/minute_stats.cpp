#include "writer/minute_stats.h"

#include <array>
#include <limits>
#include <string_view>
#include <tuple>

namespace sipvault::writer {

using namespace sipvault::store;
namespace {

constexpr size_t kClassCount = std::numeric_limits<uint16_t>::max() / 100 + 1;

// status DIV 100 as text, for every status a row can hold ("1".."6" in practice).
std::string_view className(uint16_t status) {
  static const std::array<std::string, kClassCount> names = [] {
    std::array<std::string, kClassCount> n;
    for (size_t i = 0; i < n.size(); ++i) n[i] = std::to_string(i);
    return n;
  }();
  return names[status / 100u];
}

// (minute or hour, kind, name) -> count, as rows in key order.
using CountKey = std::tuple<uint64_t, MinuteStatKind, std::string_view>;
void appendRows(const std::map<CountKey, uint64_t>& counts, std::vector<MinuteStatRow>& out) {
  out.reserve(out.size() + counts.size());
  for (const auto& [key, n] : counts)
    out.push_back({std::get<0>(key), std::get<1>(key), std::string(std::get<2>(key)), n});
}

}  // namespace

void MinuteStatsAggregator::aggregate(std::span<const SipMessageRow> messages,
                                      std::vector<MinuteStatRow>& out) {
  out.clear();
  // Names are views into the rows (or constants): nothing is copied until the rows are built.
  std::map<CountKey, uint64_t> counts;
  for (const SipMessageRow& m : messages) {
    const uint64_t minute = m.packet.capture_us - m.packet.capture_us % kMinuteUs;
    if (m.status == 0)
      ++counts[CountKey{minute, MinuteStatKind::Method,
                        std::string_view(m.method).substr(0, kMinuteStatNameWidth)}];
    else
      ++counts[CountKey{minute, MinuteStatKind::StatusClass, className(m.status)}];
    if (m.user_agent.empty()) continue;
    const std::string_view agent = std::string_view(m.user_agent).substr(0, kMinuteStatNameWidth);
    NameSet& seen = admitted_[minute];
    if (!seen.contains(agent)) {
      if (seen.size() >= max_agents_) {
        ++folded_;
        ++counts[CountKey{minute, MinuteStatKind::UserAgent, kMinuteStatOther}];
        continue;
      }
      seen.emplace(agent);
    }
    ++counts[CountKey{minute, MinuteStatKind::UserAgent, agent}];
  }
  while (admitted_.size() > kTrackedMinutes) admitted_.erase(admitted_.begin());
  appendRows(counts, out);
}

void MinuteStatsAggregator::sumHours(std::span<const MinuteStatRow> minutes,
                                     std::vector<MinuteStatRow>& hours) {
  hours.clear();
  std::map<CountKey, uint64_t> counts;
  for (const MinuteStatRow& r : minutes)
    counts[{r.minute_us - r.minute_us % kStatHourUs, r.kind, r.name}] += r.count;
  appendRows(counts, hours);
}

}  // namespace sipvault::writer
