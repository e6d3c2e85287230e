#pragma once
// Adds up a batch's stored SIP messages into per-minute counts for sip_minute_stats
// (store/sql/013): by request method, by response status class and by User-Agent; and the same
// counts per hour for sip_hour_stats (015). Exactly what
// the api's GROUP BY scans over sip_messages count (api/message_store.cpp topMethods,
// statsBuckets, topUserAgents): requests (status 0) by method, responses by status DIV 100, every
// row with a non-empty User-Agent by it. Pure: no I/O, no clock.
//
// Hostile senders: a flood of random User-Agents must not add a row per message. At most
// `max_agents_per_minute` distinct User-Agents are admitted per minute; later new ones count under
// kMinuteStatOther ("(other)"). The admitted names are remembered for the newest kTrackedMinutes
// minutes seen (older minutes, e.g. a spool replay far behind, start afresh when they come back),
// so the bound holds per writer process and per minute while that minute is current; K writers on
// one database admit up to K x the bound.
//
// Not thread-safe; one per RowInserter.
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "store/stored_rows.h"

namespace sipvault::writer {

inline constexpr size_t kDefaultMaxAgentsPerMinute = 500;  // writer.stats_max_agents_per_minute

class MinuteStatsAggregator {
 public:
  static constexpr size_t kTrackedMinutes = 16;
  static constexpr uint64_t kMinuteUs = store::kStatMinuteUs;

  explicit MinuteStatsAggregator(size_t max_agents_per_minute = kDefaultMaxAgentsPerMinute)
      : max_agents_(max_agents_per_minute) {}

  // The counts of `messages`, one row per (minute, kind, name), ordered by that key, into `out`
  // (cleared first). Remembers the User-Agents admitted.
  void aggregate(std::span<const store::SipMessageRow> messages, std::vector<store::MinuteStatRow>& out);
  // The same rows summed per (hour, kind, name), ordered by that key, into `hours` (cleared first).
  static void sumHours(std::span<const store::MinuteStatRow> minutes, std::vector<store::MinuteStatRow>& hours);

  // Messages whose User-Agent was counted under "(other)" because its minute was full, so far.
  [[nodiscard]] uint64_t agentsFolded() const { return folded_; }
  [[nodiscard]] size_t maxAgentsPerMinute() const { return max_agents_; }

 private:
  // Looks up std::string keys by std::string_view without a copy.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using NameSet = std::unordered_set<std::string, NameHash, std::equal_to<>>;

  size_t max_agents_;
  std::map<uint64_t, NameSet> admitted_;  // minute -> User-Agents admitted
  uint64_t folded_ = 0;
};

}  // namespace sipvault::writer
