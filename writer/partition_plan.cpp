#include "writer/partition_plan.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

namespace sipvault::writer {

std::string hourPartitionName(uint64_t hour_start_us) {
  const std::time_t t = static_cast<std::time_t>(hour_start_us / 1000000u);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "p%04d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour);
  return buf;
}

bool isHourPartitionName(std::string_view name) {
  if (name.size() != 11 || name[0] != 'p') return false;
  for (size_t i = 1; i < name.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return false;
  return true;
}

PartitionPlan planPartitions(const std::vector<PartitionInfo>& existing, uint64_t now_us, std::chrono::hours retention,
                             std::chrono::hours ahead) {
  PartitionPlan plan;
  const uint64_t retention_us = static_cast<uint64_t>(retention.count()) * kHourUs;
  const uint64_t horizon = now_us > retention_us ? now_us - retention_us : 0;
  uint64_t last_bound = 0;
  for (const PartitionInfo& p : existing) {
    if (p.less_than) last_bound = std::max(last_bound, *p.less_than);
    if (isHourPartitionName(p.name) && p.less_than && *p.less_than <= horizon) plan.drop.push_back(p.name);
  }
  if (existing.empty() || existing.back().name != "p_future" || existing.back().less_than) return plan;

  const uint64_t current_hour = now_us / kHourUs * kHourUs;
  const uint64_t last_hour = current_hour + static_cast<uint64_t>(ahead.count()) * kHourUs;
  // The first new partition starts where coverage ends (rounded up to an hour), but never before the
  // current hour: hours that already passed uncovered fold into it.
  uint64_t h = std::max(current_hour, (last_bound + kHourUs - 1) / kHourUs * kHourUs);
  for (; h <= last_hour; h += kHourUs) plan.create_hours.push_back(h);
  return plan;
}

std::vector<std::string> partitionStatements(std::string_view table, const PartitionPlan& plan) {
  std::vector<std::string> out;
  if (!plan.drop.empty()) {
    std::string sql = "ALTER TABLE " + std::string(table) + " DROP PARTITION ";
    for (size_t i = 0; i < plan.drop.size(); ++i) sql += (i ? "," : "") + plan.drop[i];
    out.push_back(std::move(sql));
  }
  if (!plan.create_hours.empty()) {
    std::string sql = "ALTER TABLE " + std::string(table) + " REORGANIZE PARTITION p_future INTO (";
    for (uint64_t h : plan.create_hours)
      sql += "PARTITION " + hourPartitionName(h) + " VALUES LESS THAN (" + std::to_string(h + kHourUs) + "), ";
    sql += "PARTITION p_future VALUES LESS THAN MAXVALUE)";
    out.push_back(std::move(sql));
  }
  return out;
}

}  // namespace sipvault::writer
