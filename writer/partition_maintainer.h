#pragma once
// Carries out partition plans (partition_plan.h) on the writer's tables. Runs on its own
// DbConnection and thread (see WriterService), so inserts only wait for the short metadata lock
// each ALTER takes. Writers sharing a database serialize on a server lock; a writer that finds the
// lock taken skips the round (the other one is doing the work).
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "store/db_connection.h"
#include "writer/partition_plan.h"

namespace sipvault::writer {

struct PartitionOptions {
  std::chrono::hours retention{7 * 24};  // writer.retention_hours
  std::chrono::hours ahead{6};           // writer.partitions_ahead_hours
  std::chrono::seconds interval{60};     // writer.maintenance_interval_s: how often a round runs
  std::vector<std::string> tables{"sip_messages", "sip_rejects", "hep_other", "sip_headers"};
};

struct MaintenanceOutcome {
  int created = 0;
  int dropped = 0;
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

  // The partitions of `table` in the connected database, in order.
  [[nodiscard]] static bool listPartitions(store::DbConnection& db, const std::string& table,
                                           std::vector<PartitionInfo>& out, store::DbError& error);

  [[nodiscard]] const PartitionOptions& options() const { return options_; }

 private:
  PartitionOptions options_;
};

}  // namespace sipvault::writer
