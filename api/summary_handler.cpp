#include "api/summary_handler.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <charconv>

#include "api/message_record.h"
#include "api/row_cells.h"
#include "api/search_filter.h"
#include "api/search_sql.h"
#include "api/sql_query.h"
#include "api/time_text.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

constexpr std::string_view kStepParam[] = {"step"};
constexpr uint64_t kMinuteUs = 60ull * 1000000;
constexpr uint32_t kDefaultLimit = 1000;
constexpr uint32_t kMaxLimit = 10000;

struct SummaryRow {
  uint64_t time_us = 0;
  std::string src_ip, dst_ip, method;
  uint16_t dst_port = 0, status = 0;
  uint64_t count = 0;
};

}  // namespace

ApiResponse SummaryHandler::summaries(const ApiRequest& req) {
  if (auto e = onlyParams(req.query,
                          {"from", "to", "src_ip", "dst_ip", "ip", "method", "status", "step", "limit"}))
    return ApiResponse::badParameter(*e);
  SearchFilter f;
  FilterDefaults defaults;
  defaults.range_us = ctx_.options.default_range_us;
  defaults.limit = kDefaultLimit;
  defaults.max_limit = kMaxLimit;
  if (auto e = parseSearchFilter(req.query, req.now_us, defaults, kStepParam, f))
    return ApiResponse::badParameter(*e);
  uint64_t step_s = 60;
  bool step_seen = false;
  for (const auto& [name, value] : req.query) {
    if (name != "step" || value.empty()) continue;
    if (step_seen) return ApiResponse::badParameter({"step", "given more than once"});
    step_seen = true;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), step_s);
    if (ec != std::errc() || ptr != value.data() + value.size() || step_s == 0 || step_s % 60 != 0 ||
        step_s > 86400 * 31)
      return ApiResponse::badParameter({"step", "expected seconds, a multiple of 60 up to 2678400"});
  }
  // Counts only grow minute by minute: the range is bounded like stats (the work is per minute row).
  if (f.to_us - f.from_us > ctx_.options.stats.max_range_us)
    return ApiResponse::badParameter({"to", "range longer than " +
                                                std::to_string(ctx_.options.stats.max_range_us / 1000000) +
                                                " s (api.stats_max_range_s)"});
  const uint64_t step_us = step_s * 1000000;
  const uint64_t from_minute = f.from_us - f.from_us % kMinuteUs;

  SqlQuery q;
  q.text("SELECT minute_us - minute_us % ").number(step_us);
  q.text(
       " AS t, src_ip, dst_ip, dst_port, method, status, SUM(count) FROM sip_summaries WHERE minute_us "
       "BETWEEN ")
      .number(from_minute)
      .text(" AND ")
      .number(f.to_us);
  if (f.src_ip) q.text(" AND src_ip = ").bytes(*f.src_ip);
  if (f.dst_ip) q.text(" AND dst_ip = ").bytes(*f.dst_ip);
  if (f.ip) q.text(" AND (src_ip = ").bytes(*f.ip).text(" OR dst_ip = ").bytes(*f.ip).text(")");
  appendMethodStatus(q, f);
  q.text(
       " GROUP BY t, src_ip, dst_ip, dst_port, method, status ORDER BY t, src_ip, dst_ip, dst_port, method, "
       "status LIMIT ")
      .number(uint64_t{f.limit} + 1);

  DbRows rows;
  DbError error;
  std::vector<SummaryRow> items;
  bool ok = ctx_.pool.query(q, rows, error);
  for (size_t i = 0; ok && i < rows.size(); ++i) {
    const DbRow& row = rows[i];
    SummaryRow r;
    ok = row.size() == 7 && readNumber(row[0], r.time_us) && readText(row[1], r.src_ip) &&
         readText(row[2], r.dst_ip) && readNumber(row[3], r.dst_port) && readText(row[4], r.method) &&
         readNumber(row[5], r.status) && readNumber(row[6], r.count);
    if (!ok)
      error = DbError{0, "", "unexpected row shape from the database"};
    else
      items.push_back(std::move(r));
  }
  if (!ok) {
    ctx_.log.error("query_failed", {{"endpoint", "summaries"}, {"error", error.describe()}});
    return ApiResponse::databaseError(error);
  }
  const bool more = items.size() > f.limit;
  if (more) items.resize(f.limit);
  Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
  for (const SummaryRow& r : items) {
    Poco::JSON::Object::Ptr o = jsonObject();
    o->set("time", formatTimeUs(r.time_us));
    o->set("time_us", r.time_us);
    o->set("src_ip", ipText(r.src_ip));
    o->set("dst_ip", ipText(r.dst_ip));
    o->set("dst_port", r.dst_port);
    o->set("method", jsonText(r.method));
    o->set("status", r.status);
    o->set("count", r.count);
    out->add(o);
  }
  Poco::JSON::Object::Ptr o = intervalsJson(f.from_us, f.to_us, step_s);
  o->set("items", out);
  o->set("truncated", more);
  return ApiResponse::json(200, o);
}

}  // namespace sipvault::api
