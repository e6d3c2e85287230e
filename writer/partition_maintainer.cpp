#include "writer/partition_maintainer.h"

#include <charconv>

namespace sipvault::writer {

using namespace sipvault::store;

std::vector<PartitionSeries> partitionSeries(const PartitionOptions& o) {
  std::vector<PartitionSeries> out;
  if (!o.class_table.empty())
    for (unsigned c = 0; c < kStorageClassCount; ++c)
      out.push_back({o.class_table, PartitionLayout::forClass(c, c + 1 == kStorageClassCount),
                     o.class_retention[c].value_or(o.retention)});
  for (const std::string& t : o.tables) out.push_back({t, PartitionLayout{}, o.retention});
  if (!o.headers_table.empty()) out.push_back({o.headers_table, PartitionLayout{}, o.longestClassRetention()});
  if (!o.qos_table.empty()) out.push_back({o.qos_table, PartitionLayout{}, o.qosRetention()});
  if (!o.summary_table.empty()) out.push_back({o.summary_table, PartitionLayout{}, o.summary_retention});
  if (!o.minute_stats_table.empty())
    out.push_back({o.minute_stats_table, PartitionLayout{}, o.longestClassRetention()});
  if (!o.call_keys_table.empty()) out.push_back({o.call_keys_table, PartitionLayout{}, o.longestClassRetention()});
  if (!o.hour_stats_table.empty())
    out.push_back({o.hour_stats_table, PartitionLayout{}, o.longestClassRetention()});
  return out;
}

bool PartitionMaintainer::listSeries(DbConnection& db, const PartitionSeries& series, std::vector<PartitionInfo>& out,
                                     DbError& error) {
  if (!listPartitions(db, series.table, out, error)) return false;
  const PartitionLayout& l = series.layout;
  std::erase_if(out, [&](const PartitionInfo& p) {
    return p.name != l.past && p.name != l.future && !isHourPartitionName(p.name, l.hour_prefix);
  });
  return true;
}

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
    if (row[1]) {
      std::string_view bound = *row[1];
      if (const size_t comma = bound.rfind(','); comma != std::string_view::npos) bound.remove_prefix(comma + 1);
      while (!bound.empty() && bound.front() == ' ') bound.remove_prefix(1);
      if (bound != "MAXVALUE") {
        uint64_t v = 0;
        std::from_chars(bound.data(), bound.data() + bound.size(), v);
        info.less_than = v;
      }
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
  for (const PartitionSeries& series : partitionSeries(options_)) {
    const std::string& table = series.table;
    std::vector<PartitionInfo> parts;
    if (!listSeries(db, series, parts, error)) {
      ok = false;
      break;
    }
    const PartitionPlan plan = planPartitions(parts, now_us, series.retention, options_.ahead, series.layout);
    for (const std::string& sql : partitionStatements(table, plan, series.layout)) {
      if (!db.execute(sql, error)) {
        error.message = table + ": " + error.message;
        ok = false;
        break;
      }
      if (sql.find(" TRUNCATE PARTITION ") != std::string::npos) ++outcome.truncated;
      else if (sql.find(" DROP PARTITION ") != std::string::npos) outcome.dropped += static_cast<int>(plan.drop.size());
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
