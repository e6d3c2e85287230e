#include <catch2/catch.hpp>

#include "writer/partition_plan.h"

using namespace sipvault::writer;

using namespace sipvault;
using std::chrono::hours;

namespace {

// 2026-11-26 14:00:00 UTC, and a moment 25 minutes into that hour.
constexpr uint64_t kHour14 = 1795701600ull * 1000000ull;
constexpr uint64_t kNow = kHour14 + 25ull * 60 * 1000000;

std::vector<PartitionInfo> fresh() {  // as 001_initial_schema.sql creates it at kNow
  return {{"p_past", kHour14}, {"p_future", std::nullopt}};
}

}  // namespace

TEST_CASE("Hour partition names are pYYYYMMDDHH in UTC", "[writer][partitions]") {
  CHECK(hourPartitionName(kHour14) == "p2026112614");
  CHECK(hourPartitionName(kNow) == "p2026112614");
  CHECK(hourPartitionName(3867576602ull * 1000000ull) == "p2092072214");  // corpus timestamp past 2^31
  CHECK(isHourPartitionName("p2026112614"));
  CHECK_FALSE(isHourPartitionName("p_past"));
  CHECK_FALSE(isHourPartitionName("p_future"));
  CHECK_FALSE(isHourPartitionName("p202611261"));
}

TEST_CASE("A fresh table gets the current hour and the hours ahead split off p_future", "[writer][partitions]") {
  const PartitionPlan plan = planPartitions(fresh(), kNow, hours(168), hours(6));
  CHECK(plan.drop.empty());
  REQUIRE(plan.create_hours.size() == 7);
  for (size_t i = 0; i < plan.create_hours.size(); ++i) CHECK(plan.create_hours[i] == kHour14 + i * kHourUs);
  const auto sql = partitionStatements("sip_messages", plan);
  REQUIRE(sql.size() == 1);
  CHECK(sql[0].rfind("ALTER TABLE sip_messages REORGANIZE PARTITION p_future INTO (PARTITION p2026112614 VALUES LESS "
                     "THAN (1795705200000000), ",
                     0) == 0);
  CHECK(sql[0].find("PARTITION p_future VALUES LESS THAN MAXVALUE)") != std::string::npos);
}

TEST_CASE("Partitions already prepared are not created again", "[writer][partitions]") {
  std::vector<PartitionInfo> parts = {{"p_past", kHour14}};
  for (int i = 0; i < 7; ++i) parts.push_back({hourPartitionName(kHour14 + i * kHourUs), kHour14 + (i + 1) * kHourUs});
  parts.push_back({"p_future", std::nullopt});
  CHECK(planPartitions(parts, kNow, hours(168), hours(6)).empty());
  // One hour later exactly one more hour is due.
  const PartitionPlan later = planPartitions(parts, kNow + kHourUs, hours(168), hours(6));
  REQUIRE(later.create_hours.size() == 1);
  CHECK(later.create_hours[0] == kHour14 + 7 * kHourUs);
}

TEST_CASE("Hourly partitions are dropped once their whole hour is older than the retention", "[writer][partitions]") {
  std::vector<PartitionInfo> parts = {{"p_past", kHour14}};
  for (int i = 0; i < 4; ++i) parts.push_back({hourPartitionName(kHour14 + i * kHourUs), kHour14 + (i + 1) * kHourUs});
  parts.push_back({"p_future", std::nullopt});
  // Retention 2 h. At 17:00 the horizon is 15:00: only p..14 ends at or before it.
  PartitionPlan plan = planPartitions(parts, kHour14 + 3 * kHourUs, hours(2), hours(1));
  CHECK(plan.drop == std::vector<std::string>{"p2026112614"});
  // One microsecond earlier the 14:00 hour still has rows younger than the retention.
  plan = planPartitions(parts, kHour14 + 3 * kHourUs - 1, hours(2), hours(1));
  CHECK(plan.drop.empty());
  // p_past and p_future are never dropped, however old.
  plan = planPartitions(parts, kHour14 + 1000 * kHourUs, hours(1), hours(1));
  CHECK(plan.drop.size() == 4);
  for (const auto& d : plan.drop) CHECK(isHourPartitionName(d));
  const auto sql = partitionStatements("t", plan);
  REQUIRE(sql.size() == 2);
  CHECK(sql[0] == "ALTER TABLE t DROP PARTITION p2026112614,p2026112615,p2026112616,p2026112617");
}

TEST_CASE("After a long stop, new partitions start at the current hour", "[writer][partitions]") {
  const uint64_t later = kNow + 240 * kHourUs;  // ten days on
  const PartitionPlan plan = planPartitions(fresh(), later, hours(168), hours(2));
  REQUIRE(plan.create_hours.size() == 3);
  CHECK(plan.create_hours.front() == later / kHourUs * kHourUs);
}

TEST_CASE("Tables without a p_future partition get no new partitions", "[writer][partitions]") {
  CHECK(planPartitions({}, kNow, hours(168), hours(6)).empty());
  CHECK(planPartitions({{"p_past", kHour14}, {"p_other", std::nullopt}}, kNow, hours(168), hours(6)).create_hours.empty());
}
