#pragma once
// Carries out partition plans (partition_plan.h) on the writer's tables. Runs on its own
// DbConnection and thread (see WriterService), so inserts only wait for the short metadata lock
// each ALTER takes. Writers sharing a database serialize on a server lock; a writer that finds the
// lock taken skips the round (the other one is doing the work).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/storage_class.h"

#include "store/db_connection.h"
#include "writer/partition_plan.h"

namespace sipvault::writer {

struct PartitionOptions {
  std::chrono::hours retention{7 * 24};  // writer.retention_hours: sip_rejects, hep_other, and the
                                         // default of every storage class
  std::chrono::hours ahead{6};           // writer.partitions_ahead_hours
  std::chrono::seconds interval{60};     // writer.maintenance_interval_s: how often a round runs
  // Tables PARTITION BY RANGE (capture_us) kept on `retention`.
  std::vector<std::string> tables{"sip_rejects", "hep_other"};
  // sip_messages: one partition series per storage class (PartitionLayout::forClass), each on its
  // own retention: writer.class.<name>.retention_hours (nullopt: `retention`).
  std::string class_table = "sip_messages";  // "" = none
  std::array<std::optional<std::chrono::hours>, kStorageClassCount> class_retention{};
  // sip_qos (call-quality reports, store/sql/012): PARTITION BY RANGE (capture_us), kept as long as
  // the calls they describe: the calls class's retention (writer.class.calls.retention_hours).
  std::string qos_table = "sip_qos";  // "" = none
  [[nodiscard]] std::chrono::hours qosRetention() const {
    return class_retention[static_cast<size_t>(StorageClass::Calls)].value_or(retention);
  }
  // Kept as long as the longest-kept storage class, so they cover every message still stored:
  // sip_headers (store/sql/009, the messages' custom header values; a message of any class may
  // have some), sip_minute_stats and sip_hour_stats (store/sql/013 and 015, the stats endpoint's
  // per-minute and per-hour counts) and sip_call_keys (store/sql/014, the per-call index searches
  // by number go through).
  std::string headers_table = "sip_headers";            // "" = none
  std::string minute_stats_table = "sip_minute_stats";  // "" = none
  std::string call_keys_table = "sip_call_keys";        // "" = none
  std::string hour_stats_table = "sip_hour_stats";      // "" = none
  [[nodiscard]] std::chrono::hours longestClassRetention() const {
    std::chrono::hours longest{0};
    for (const auto& r : class_retention) longest = std::max(longest, r.value_or(retention));
    return longest;
  }
  // sip_summaries (minute counts of summarized messages). writer.summary_retention_hours
  std::string summary_table = "sip_summaries";  // "" = none
  std::chrono::hours summary_retention{30 * 24};
};

// One partition series the maintainer keeps: a table, or one storage class of sip_messages.
struct PartitionSeries {
  std::string table;
  PartitionLayout layout;
  std::chrono::hours retention{0};
};

// Every series of `options`, in maintenance order.
[[nodiscard]] std::vector<PartitionSeries> partitionSeries(const PartitionOptions& options);

struct MaintenanceOutcome {
  int created = 0;
  int dropped = 0;
  int truncated = 0;  // past partitions emptied (PartitionLayout::truncate_past)
  bool skipped = false;  // another writer held the maintenance lock
  // Rows (estimated) in p_future that a split had to copy, summed over tables; large values mean
  // senders with clocks far ahead and slower splits (WriterService logs a warning).
  uint64_t future_rows_copied = 0;
};

class PartitionMaintainer {
 public:
  explicit PartitionMaintainer(PartitionOptions options) : options_(std::move(options)) {}

  // One round for every table at time now_us. On error, `outcome` counts what was done before it.
  [[nodiscard]] bool runOnce(store::DbConnection& db, uint64_t now_us, MaintenanceOutcome& outcome,
                             store::DbError& error);

  // The partitions of `table` in the connected database, in order. For RANGE COLUMNS bounds
  // ("1,1795705200000000") less_than is the last value; MAXVALUE there is nullopt.
  [[nodiscard]] static bool listPartitions(store::DbConnection& db, const std::string& table,
                                           std::vector<PartitionInfo>& out, store::DbError& error);
  // The partitions of one series, in order (listPartitions filtered by the layout's names).
  [[nodiscard]] static bool listSeries(store::DbConnection& db, const PartitionSeries& series,
                                       std::vector<PartitionInfo>& out, store::DbError& error);

  [[nodiscard]] const PartitionOptions& options() const { return options_; }

 private:
  PartitionOptions options_;
};

}  // namespace sipvault::writer
