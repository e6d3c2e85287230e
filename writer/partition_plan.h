#pragma once
// Hourly RANGE partitions on capture_us: what to create and what to drop (pure, unit-tested).
//
// Layout of every partitioned table, lowest to highest:
//   p_past                    LESS THAN <first hour>   out-of-window old rows (never dropped here)
//   pYYYYMMDDHH ...           LESS THAN <hour + 1h>    one per UTC hour; created ahead, dropped
//                                                      once the whole hour is older than retention
//   p_future                  LESS THAN MAXVALUE       rows beyond the prepared hours (kept)
// Partition pH holds [H, H+1h), except the lowest hourly partition, whose range reaches down to
// p_past's bound once older neighbours are dropped: rows arriving that old are past retention and
// go with it. New hours are split off p_future with REORGANIZE PARTITION, which copies p_future's
// rows (normally none; corpus pcaps dated 2092 put some there).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipvault::writer {

inline constexpr uint64_t kHourUs = 3600ull * 1000000ull;

struct PartitionInfo {
  std::string name;
  std::optional<uint64_t> less_than;  // nullopt = MAXVALUE
  uint64_t rows_estimate = 0;         // information_schema TABLE_ROWS (InnoDB: an estimate)
};

// How one partition series is named and bounded. The default is a table PARTITION BY RANGE
// (capture_us). sip_messages (008) is PARTITION BY RANGE COLUMNS (storage_class, capture_us) and
// holds one series per storage class: p_cN_past, p_cN_YYYYMMDDHH ..., p_cN_future, bounded
// (N, <µs>); the last class's p_cN_future is LESS THAN (MAXVALUE, MAXVALUE).
struct PartitionLayout {
  std::string hour_prefix = "p";          // + YYYYMMDDHH
  std::string past = "p_past";
  std::string future = "p_future";
  std::string bound_prefix;               // "" or "N, " before the µs bound
  std::string future_bound = "MAXVALUE";  // what `future` is LESS THAN
  // Empty `past` once its bound is past the retention (all its rows are then older): the class
  // series' p_cN_past holds the rows an install had before 008 and would otherwise keep them.
  bool truncate_past = false;

  // The series of storage class `n`; `last`: the highest class (its future takes MAXVALUE rows).
  [[nodiscard]] static PartitionLayout forClass(unsigned n, bool last);
};

struct PartitionPlan {
  std::vector<std::string> drop;      // hourly partitions to drop
  std::vector<uint64_t> create_hours; // start (µs) of each hour to split off p_future, ascending
  bool truncate_past = false;         // empty the series' past partition (PartitionLayout)
  [[nodiscard]] bool empty() const { return drop.empty() && create_hours.empty() && !truncate_past; }
};

// "p2011010112" (or "<prefix>2011010112") for the UTC hour containing hour_start_us.
[[nodiscard]] std::string hourPartitionName(uint64_t hour_start_us, std::string_view prefix = "p");
// True for names of the form <prefix>YYYYMMDDHH.
[[nodiscard]] bool isHourPartitionName(std::string_view name, std::string_view prefix = "p");

// existing: the table's partitions in order. Creates partitions for the current hour and the
// `ahead` hours after it that are not covered yet, and drops hourly partitions whose upper bound
// is at or below now - retention. Tables whose last partition is not p_future get no creations.
// `existing` holds only the series of `layout` (see PartitionMaintainer).
[[nodiscard]] PartitionPlan planPartitions(const std::vector<PartitionInfo>& existing, uint64_t now_us,
                                           std::chrono::hours retention, std::chrono::hours ahead,
                                           const PartitionLayout& layout = {});

// ALTER TABLE statements carrying out `plan` on `table` (truncate, drop, then one REORGANIZE).
[[nodiscard]] std::vector<std::string> partitionStatements(std::string_view table, const PartitionPlan& plan,
                                                           const PartitionLayout& layout = {});

}  // namespace sipvault::writer
