#include "writer/partition_maintainer.h"

#include <charconv>

namespace sipvault::writer {

using namespace sipvault::store;

bool PartitionMaintainer::listPartitions(DbConnection& db, const std::string& table, std::vector<PartitionInfo>& out,
                                         DbError& error) {
  out.clear();
  std::string sql =
      "SELECT PARTITION_NAME, PARTITION_DESCRIPTION, TABLE_ROWS FROM information_schema.PARTITIONS"
      " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ";
  DbConnection::appendLiteral(sql, table);
  sql += " ORDER BY PARTITION_ORDINAL_POSITION";
  DbRows rows;
  if (!db.query(sql, rows, error)) return false;
  for (const DbRow& row : rows) {
    if (row.size() < 3 || !row[0]) continue;  // not partitioned
    PartitionInfo info{*row[0], std::nullopt, 0};
    if (row[2]) std::from_chars(row[2]->data(), row[2]->data() + row[2]->size(), info.rows_estimate);
    if (row[1] && *row[1] != "MAXVALUE") {
      uint64_t v = 0;
      std::from_chars(row[1]->data(), row[1]->data() + row[1]->size(), v);
      info.less_than = v;
    }
    out.push_back(std::move(info));
  }
  return true;
}

bool PartitionMaintainer::runOnce(DbConnection& db, uint64_t now_us, MaintenanceOutcome& outcome, DbError& error) {
  outcome = MaintenanceOutcome{};
  auto got = db.queryValue("SELECT GET_LOCK(CONCAT('sipvault.partitions.', DATABASE()), 0)", error);
  if (!got) return false;
  if (*got != "1") {
    outcome.skipped = true;
    return true;
  }
  bool ok = true;
  for (const std::string& table : options_.tables) {
    std::vector<PartitionInfo> parts;
    if (!listPartitions(db, table, parts, error)) {
      ok = false;
      break;
    }
    const PartitionPlan plan = planPartitions(parts, now_us, options_.retention, options_.ahead);
    for (const std::string& sql : partitionStatements(table, plan)) {
      if (!db.execute(sql, error)) {
        error.message = table + ": " + error.message;
        ok = false;
        break;
      }
      if (sql.find(" DROP PARTITION ") != std::string::npos) outcome.dropped += static_cast<int>(plan.drop.size());
      else {
        outcome.created += static_cast<int>(plan.create_hours.size());
        outcome.future_rows_copied += parts.empty() ? 0 : parts.back().rows_estimate;
      }
    }
    if (!ok) break;
  }
  DbError ignored;
  (void)db.queryValue("SELECT RELEASE_LOCK(CONCAT('sipvault.partitions.', DATABASE()))", ignored);
  return ok;
}

}  // namespace sipvault::writer
