#include "writer/partition_plan.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

namespace sipvault::writer {

PartitionLayout PartitionLayout::forClass(unsigned n, bool last) {
  const std::string c = "p_c" + std::to_string(n) + "_";
  return PartitionLayout{c, c + "past", c + "future", std::to_string(n) + ", ",
                         last ? "MAXVALUE, MAXVALUE" : std::to_string(n) + ", MAXVALUE", true};
}

std::string hourPartitionName(uint64_t hour_start_us, std::string_view prefix) {
  const std::time_t t = static_cast<std::time_t>(hour_start_us / 1000000u);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour);
  return std::string(prefix) + buf;
}

bool isHourPartitionName(std::string_view name, std::string_view prefix) {
  if (name.size() != prefix.size() + 10 || name.substr(0, prefix.size()) != prefix) return false;
  for (size_t i = prefix.size(); i < name.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return false;
  return true;
}

PartitionPlan planPartitions(const std::vector<PartitionInfo>& existing, uint64_t now_us, std::chrono::hours retention,
                             std::chrono::hours ahead, const PartitionLayout& layout) {
  PartitionPlan plan;
  const uint64_t retention_us = static_cast<uint64_t>(retention.count()) * kHourUs;
  const uint64_t horizon = now_us > retention_us ? now_us - retention_us : 0;
  uint64_t last_bound = 0;
  for (const PartitionInfo& p : existing) {
    if (p.less_than) last_bound = std::max(last_bound, *p.less_than);
    if (isHourPartitionName(p.name, layout.hour_prefix) && p.less_than && *p.less_than <= horizon)
      plan.drop.push_back(p.name);
    if (layout.truncate_past && p.name == layout.past && p.less_than && *p.less_than <= horizon && p.rows_estimate > 0)
      plan.truncate_past = true;
  }
  if (existing.empty() || existing.back().name != layout.future || existing.back().less_than) return plan;

  const uint64_t current_hour = now_us / kHourUs * kHourUs;
  const uint64_t last_hour = current_hour + static_cast<uint64_t>(ahead.count()) * kHourUs;
  // The first new partition starts where coverage ends (rounded up to an hour), but never before the
  // current hour: hours that already passed uncovered fold into it.
  uint64_t h = std::max(current_hour, (last_bound + kHourUs - 1) / kHourUs * kHourUs);
  for (; h <= last_hour; h += kHourUs) plan.create_hours.push_back(h);
  return plan;
}

std::vector<std::string> partitionStatements(std::string_view table, const PartitionPlan& plan,
                                             const PartitionLayout& layout) {
  std::vector<std::string> out;
  if (plan.truncate_past) out.push_back("ALTER TABLE " + std::string(table) + " TRUNCATE PARTITION " + layout.past);
  if (!plan.drop.empty()) {
    std::string sql = "ALTER TABLE " + std::string(table) + " DROP PARTITION ";
    for (size_t i = 0; i < plan.drop.size(); ++i) sql += (i ? "," : "") + plan.drop[i];
    out.push_back(std::move(sql));
  }
  if (!plan.create_hours.empty()) {
    std::string sql = "ALTER TABLE " + std::string(table) + " REORGANIZE PARTITION " + layout.future + " INTO (";
    for (uint64_t h : plan.create_hours)
      sql += "PARTITION " + hourPartitionName(h, layout.hour_prefix) + " VALUES LESS THAN (" + layout.bound_prefix +
             std::to_string(h + kHourUs) + "), ";
    const bool parens = layout.future_bound.find(',') != std::string::npos;
    sql += "PARTITION " + layout.future + " VALUES LESS THAN " + (parens ? "(" : "") + layout.future_bound +
           (parens ? ")" : "") + ")";
    out.push_back(std::move(sql));
  }
  return out;
}

}  // namespace sipvault::writer
