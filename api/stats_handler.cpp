#include "api/stats_handler.h"

#include <Poco/JSON/Array.h>

#include <array>
#include <charconv>
#include <map>
#include <set>
#include <string_view>

#include "api/time_text.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

constexpr uint64_t kMaxBuckets = 10000;
constexpr uint64_t kTopUserAgents = 10;
constexpr std::string_view kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx", "6xx"};

}  // namespace

ApiResponse StatsHandler::stats(const ApiRequest& req) {
  static constexpr std::string_view kExtra[] = {"step"};
  SearchFilter f;
  FilterDefaults defaults;
  defaults.range_us = ctx_.options.default_range_us;
  if (auto e = parseSearchFilter(req.query, req.now_us, defaults, kExtra, f)) return ApiResponse::badParameter(*e);
  if (!f.cursor.empty()) return ApiResponse::badParameter({"cursor", "stats are not paged"});
  uint64_t step_s = 60;
  for (const auto& [name, value] : req.query) {
    if (name != "step" || value.empty()) continue;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), step_s);
    if (ec != std::errc() || ptr != value.data() + value.size() || step_s == 0 || step_s > 86400 * 31)
      return ApiResponse::badParameter({"step", "expected seconds, 1-2678400"});
  }
  const uint64_t step_us = step_s * 1000000;
  const uint64_t buckets = (f.to_us - f.from_us) / step_us + 1;
  if (buckets > kMaxBuckets)
    return ApiResponse::badParameter({"step", "too small for the range: more than 10000 intervals"});

  std::vector<StatsBucketRow> rows;
  std::vector<std::pair<std::string, uint64_t>> agents;
  DbError error;
  if (!ctx_.messages.statsBuckets(f, step_us, rows, error) ||
      !ctx_.messages.topUserAgents(f, kTopUserAgents, agents, error)) {
    ctx_.log.error("query_failed", {{"endpoint", "stats"}, {"error", error.describe()}});
    return ApiResponse::databaseError(error);
  }

  // Every method seen anywhere in the range appears in every interval, so charts get whole series.
  std::set<std::string> methods;
  for (const StatsBucketRow& r : rows)
    if (r.status_class == 0) methods.insert(jsonText(r.method));
  std::vector<std::map<std::string, uint64_t>> method_counts(buckets);
  std::vector<std::array<uint64_t, 6>> class_counts(buckets, std::array<uint64_t, 6>{});
  uint64_t total = 0;
  for (const StatsBucketRow& r : rows) {
    if (r.bucket >= buckets) continue;
    total += r.count;
    if (r.status_class == 0) method_counts[r.bucket][jsonText(r.method)] += r.count;
    else if (r.status_class >= 1 && r.status_class <= 6) class_counts[r.bucket][r.status_class - 1] += r.count;
  }

  Poco::JSON::Array::Ptr series = new Poco::JSON::Array;
  for (uint64_t b = 0; b < buckets; ++b) {
    Poco::JSON::Object::Ptr s = jsonObject();
    const uint64_t t = f.from_us + b * step_us;
    s->set("time", formatTimeUs(t));
    s->set("time_us", t);
    Poco::JSON::Object::Ptr m = jsonObject();
    for (const std::string& name : methods) {
      auto it = method_counts[b].find(name);
      m->set(name, it == method_counts[b].end() ? uint64_t{0} : it->second);
    }
    s->set("methods", m);
    Poco::JSON::Object::Ptr st = jsonObject();
    for (size_t c = 0; c < 6; ++c) st->set(std::string(kClasses[c]), class_counts[b][c]);
    s->set("status", st);
    series->add(s);
  }
  Poco::JSON::Array::Ptr top = new Poco::JSON::Array;
  for (const auto& [agent, count] : agents) {
    Poco::JSON::Object::Ptr a = jsonObject();
    a->set("user_agent", jsonText(agent));
    a->set("count", count);
    top->add(a);
  }
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("from", formatTimeUs(f.from_us));
  o->set("to", formatTimeUs(f.to_us));
  o->set("from_us", f.from_us);
  o->set("to_us", f.to_us);
  o->set("step", step_s);
  o->set("series", series);
  o->set("top_user_agents", top);
  o->set("total", total);
  return ApiResponse::json(200, o);
}

}  // namespace sipvault::api
