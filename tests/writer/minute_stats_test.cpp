#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>

#include "writer/minute_stats.h"

using namespace sipvault::store;
using namespace sipvault::writer;

namespace {

constexpr uint64_t kMinute = MinuteStatsAggregator::kMinuteUs;
constexpr uint64_t kT0 = 1795701600ull * 1000000ull + 25 * kMinute;  // 2026-11-26 14:25:00 UTC

SipMessageRow message(uint64_t capture_us, std::string method, uint16_t status, std::string agent) {
  SipMessageRow m;
  m.packet.capture_us = capture_us;
  m.method = std::move(method);
  m.status = status;
  m.user_agent = std::move(agent);
  return m;
}

using Counts = std::map<std::tuple<uint64_t, MinuteStatKind, std::string>, uint64_t>;

Counts counted(MinuteStatsAggregator& agg, const std::vector<SipMessageRow>& rows) {
  std::vector<MinuteStatRow> out{{1, MinuteStatKind::Method, "left over", 9}};  // cleared by aggregate
  agg.aggregate(rows, out);
  Counts c;
  for (const MinuteStatRow& r : out) {
    const auto [it, fresh] = c.emplace(std::tuple{r.minute_us, r.kind, r.name}, r.count);
    CHECK(fresh);  // one row per key
  }
  CHECK(std::is_sorted(out.begin(), out.end()));
  return c;
}

}  // namespace

TEST_CASE("Minute stats count requests by method, responses by status class, and User-Agents",
          "[writer][stats][minute]") {
  MinuteStatsAggregator agg;
  const Counts c =
      counted(agg, {message(kT0, "INVITE", 0, "phone/1"), message(kT0 + 5, "INVITE", 0, "phone/1"),
                    message(kT0 + 6, "BYE", 0, ""), message(kT0 + 7, "INVITE", 100, "sbc"),
                    message(kT0 + 8, "INVITE", 180, "sbc"), message(kT0 + 9, "INVITE", 200, ""),
                    message(kT0 + 10, "BYE", 486, "phone/1"), message(kT0 + 11, "OPTIONS", 699, "x")});
  const Counts want{
      {{kT0, MinuteStatKind::Method, "INVITE"}, 2},     {{kT0, MinuteStatKind::Method, "BYE"}, 1},
      {{kT0, MinuteStatKind::StatusClass, "1"}, 2},     {{kT0, MinuteStatKind::StatusClass, "2"}, 1},
      {{kT0, MinuteStatKind::StatusClass, "4"}, 1},     {{kT0, MinuteStatKind::StatusClass, "6"}, 1},
      {{kT0, MinuteStatKind::UserAgent, "phone/1"}, 3}, {{kT0, MinuteStatKind::UserAgent, "sbc"}, 2},
      {{kT0, MinuteStatKind::UserAgent, "x"}, 1}};
  CHECK(c == want);
  CHECK(agg.agentsFolded() == 0);
}

TEST_CASE("Minute stats put every message in the minute its capture time falls in",
          "[writer][stats][minute]") {
  MinuteStatsAggregator agg;
  // The last microsecond of 14:24, the first and last of 14:25, the first of 14:26.
  const Counts c =
      counted(agg, {message(kT0 - 1, "INVITE", 0, "a"), message(kT0, "INVITE", 0, "a"),
                    message(kT0 + kMinute - 1, "INVITE", 0, "a"), message(kT0 + kMinute, "ACK", 0, "")});
  const Counts want{{{kT0 - kMinute, MinuteStatKind::Method, "INVITE"}, 1},
                    {{kT0 - kMinute, MinuteStatKind::UserAgent, "a"}, 1},
                    {{kT0, MinuteStatKind::Method, "INVITE"}, 2},
                    {{kT0, MinuteStatKind::UserAgent, "a"}, 2},
                    {{kT0 + kMinute, MinuteStatKind::Method, "ACK"}, 1}};
  CHECK(c == want);
}

TEST_CASE("Minute stats admit a bounded number of User-Agents per minute, the rest count as (other)",
          "[writer][stats][minute]") {
  MinuteStatsAggregator agg(3);
  std::vector<SipMessageRow> flood;
  for (int i = 0; i < 10; ++i)
    flood.push_back(message(kT0 + i, "REGISTER", 0, "random-" + std::to_string(i)));
  flood.push_back(message(kT0 + 20, "REGISTER", 0, "random-1"));  // admitted earlier: still its own
  Counts c = counted(agg, flood);
  CHECK(c[{kT0, MinuteStatKind::UserAgent, "random-0"}] == 1);
  CHECK(c[{kT0, MinuteStatKind::UserAgent, "random-1"}] == 2);
  CHECK(c[{kT0, MinuteStatKind::UserAgent, "random-2"}] == 1);
  CHECK(c.count({kT0, MinuteStatKind::UserAgent, "random-3"}) == 0);
  CHECK(c[{kT0, MinuteStatKind::UserAgent, std::string(kMinuteStatOther)}] == 7);
  CHECK(c[{kT0, MinuteStatKind::Method, "REGISTER"}] == 11);  // methods are never folded
  CHECK(agg.agentsFolded() == 7);

  // The bound holds across batches of the same minute; the next minute starts afresh.
  c = counted(agg,
              {message(kT0 + 30, "REGISTER", 0, "random-2"), message(kT0 + 31, "REGISTER", 0, "late-new"),
               message(kT0 + kMinute, "REGISTER", 0, "late-new")});
  CHECK(c[{kT0, MinuteStatKind::UserAgent, "random-2"}] == 1);
  CHECK(c[{kT0, MinuteStatKind::UserAgent, std::string(kMinuteStatOther)}] == 1);
  CHECK(c[{kT0 + kMinute, MinuteStatKind::UserAgent, "late-new"}] == 1);
  CHECK(agg.agentsFolded() == 8);
}

TEST_CASE("Minute stats remember the admitted User-Agents of the newest minutes only",
          "[writer][stats][minute]") {
  MinuteStatsAggregator agg(1);
  (void)counted(agg, {message(kT0, "INVITE", 0, "first")});
  // A full minute is remembered: a second agent in it folds.
  CHECK(counted(agg, {message(kT0 + 1, "INVITE", 0, "second")})
            .count({kT0, MinuteStatKind::UserAgent, std::string(kMinuteStatOther)}) == 1);
  // kTrackedMinutes newer minutes push kT0 out; it comes back with an empty set.
  std::vector<SipMessageRow> later;
  for (uint64_t i = 1; i <= MinuteStatsAggregator::kTrackedMinutes; ++i)
    later.push_back(message(kT0 + i * kMinute, "INVITE", 0, "other-minute"));
  (void)counted(agg, later);
  CHECK(counted(agg, {message(kT0 + 2, "INVITE", 0, "second")})
            .count({kT0, MinuteStatKind::UserAgent, "second"}) == 1);
}

TEST_CASE("Minute stats keep long names at the column width and odd status values as their class",
          "[writer][stats][minute]") {
  MinuteStatsAggregator agg;
  const std::string long_agent(400, 'u');
  const Counts c = counted(agg, {message(kT0, "INVITE", 99, long_agent), message(kT0, "", 0, ""),
                                 message(kT0, "INVITE", 65535, "")});
  CHECK(c.at({kT0, MinuteStatKind::UserAgent, long_agent.substr(0, kMinuteStatNameWidth)}) == 1);
  CHECK(c.at({kT0, MinuteStatKind::StatusClass, "0"}) == 1);  // status DIV 100, as the scan groups it
  CHECK(c.at({kT0, MinuteStatKind::StatusClass, "655"}) == 1);
  CHECK(c.at({kT0, MinuteStatKind::Method, ""}) == 1);
}

TEST_CASE("Hour stats sum the minute rows of each UTC hour, folded User-Agents included", "[writer][stats][hour]") {
  MinuteStatsAggregator agg(1);
  const uint64_t hour = kT0 - kT0 % kStatHourUs;  // 14:00
  std::vector<MinuteStatRow> minutes, hours{{1, MinuteStatKind::Method, "left over", 9}};  // cleared
  const std::vector<SipMessageRow> batch{
      message(hour - 1, "INVITE", 0, "a"),           message(kT0, "INVITE", 0, "a"),
      message(kT0 + 1, "INVITE", 0, "b"),            message(kT0 + 2 * kMinute, "INVITE", 200, "a"),
      message(hour + kStatHourUs - 1, "BYE", 0, ""), message(hour + kStatHourUs, "BYE", 0, "")};
  agg.aggregate(batch, minutes);
  MinuteStatsAggregator::sumHours(minutes, hours);
  const std::vector<MinuteStatRow> want{
      {hour - kStatHourUs, MinuteStatKind::Method, "INVITE", 1},
      {hour - kStatHourUs, MinuteStatKind::UserAgent, "a", 1},
      {hour, MinuteStatKind::Method, "BYE", 1},
      {hour, MinuteStatKind::Method, "INVITE", 2},
      {hour, MinuteStatKind::StatusClass, "2", 1},
      {hour, MinuteStatKind::UserAgent, std::string(kMinuteStatOther), 1},  // "b": 14:25 had its one agent
      {hour, MinuteStatKind::UserAgent, "a", 2},
      {hour + kStatHourUs, MinuteStatKind::Method, "BYE", 1}};
  CHECK(hours == want);
}
