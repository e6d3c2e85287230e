#include "api/stats_handler.h"

#include <Poco/JSON/Array.h>

#include <array>
#include <charconv>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

#include "api/message_store.h"
#include "api/time_text.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

constexpr uint64_t kMaxBuckets = 10000;
constexpr uint64_t kTopUserAgents = 10;
constexpr std::string_view kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx", "6xx"};

// True when the request names nothing but the range and the step (empty values count as not
// given, as in parseSearchFilter): the writers' per-minute counts can answer it.
bool onlyRangeAndStep(const QueryParams& query) {
  for (const auto& [name, value] : query)
    if (!value.empty() && name != "from" && name != "to" && name != "step") return false;
  return true;
}

// The first `slots` of the top methods: those that get a series of their own.
std::vector<std::string> keptMethods(const std::vector<std::pair<std::string, uint64_t>>& top, uint64_t slots) {
  std::vector<std::string> kept;
  for (size_t i = 0; i < top.size() && i < slots; ++i) kept.push_back(top[i].first);
  return kept;
}

// Rows of counts per interval at most: each interval's kept methods, "(other)" and 6 classes.
uint64_t bucketRowBound(uint64_t buckets, size_t kept) { return buckets * (kept + 1 + 6); }

// The three answers of the stats from one minuteCounts statement, as the three statements over
// sip_minute_stats give them: the `method_slots` + 1 methods with the most requests (ties by
// name), the counts per interval with the methods beyond `method_slots` under kOtherMethod, and
// the `top_agents` most frequent User-Agents.
StatsCounts splitMinuteCounts(std::span<const MinuteCountRow> counts, uint64_t method_slots, uint64_t top_agents) {
  std::map<std::string, uint64_t> method_totals, agent_totals;
  for (const MinuteCountRow& r : counts) {
    if (r.kind == MinuteStatKind::Method) method_totals[r.name] += r.count;
    if (r.kind == MinuteStatKind::UserAgent) agent_totals[r.name] += r.count;
  }
  const auto most_first = [](const std::map<std::string, uint64_t>& totals, uint64_t limit) {
    std::vector<std::pair<std::string, uint64_t>> v(totals.begin(), totals.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (v.size() > limit) v.resize(limit);
    return v;
  };
  StatsCounts out;
  out.top_methods = most_first(method_totals, method_slots + 1);
  out.agents = most_first(agent_totals, top_agents);
  const std::vector<std::string> kept_list = keptMethods(out.top_methods, method_slots);
  const std::set<std::string_view> kept(kept_list.begin(), kept_list.end());
  // Grouped as the statements group: one row per interval, kept method (or kOtherMethod) and class.
  std::map<std::tuple<uint64_t, std::string_view, uint16_t>, uint64_t> grouped;
  for (const MinuteCountRow& r : counts) {
    if (r.kind == MinuteStatKind::Method) {
      grouped[{r.bucket, kept.contains(r.name) ? std::string_view(r.name) : kOtherMethod, 0}] += r.count;
    } else if (r.kind == MinuteStatKind::StatusClass) {
      uint64_t cls = 0;  // the digit(s) of status DIV 100; CAST(name AS UNSIGNED) in the statements
      std::from_chars(r.name.data(), r.name.data() + r.name.size(), cls);
      grouped[{r.bucket, "", static_cast<uint16_t>(cls)}] += r.count;
    }
  }
  for (const auto& [key, n] : grouped)
    out.rows.push_back({std::get<0>(key), std::string(std::get<1>(key)), std::get<2>(key), n});
  return out;
}

}  // namespace

bool StatsHandler::readMinuteCounts(uint64_t from_us, uint64_t to_us, uint64_t step_us, bool hourly,
                                    uint64_t buckets, uint64_t method_slots, StatsCounts& out, DbError& error) {
  const uint64_t limit = std::min(ctx_.options.stats.max_cells, kMaxRowsPerStatement);
  std::vector<MinuteCountRow> counts;
  if (!ctx_.messages.minuteCounts(from_us, to_us, step_us, hourly, limit, counts, error)) return false;
  if (counts.size() <= limit) {
    out = splitMinuteCounts(counts, method_slots, kTopUserAgents);
    return true;
  }
  // Too many names for one answer: the top methods first, the others counted under one name.
  if (!ctx_.messages.topMinuteNames(from_us, to_us, hourly, MinuteStatKind::Method, method_slots + 1,
                                    out.top_methods, error))
    return false;
  const std::vector<std::string> kept = keptMethods(out.top_methods, method_slots);
  return ctx_.messages.minuteBuckets(from_us, to_us, step_us, hourly, kept, bucketRowBound(buckets, kept.size()),
                                     out.rows, error) &&
         ctx_.messages.topMinuteNames(from_us, to_us, hourly, MinuteStatKind::UserAgent, kTopUserAgents,
                                      out.agents, error);
}

bool StatsHandler::readMessageCounts(const SearchFilter& f, uint64_t step_us, uint64_t buckets,
                                     uint64_t method_slots, StatsCounts& out, DbError& error) {
  if (!ctx_.messages.topMethods(f, method_slots + 1, out.top_methods, error)) return false;
  const std::vector<std::string> kept = keptMethods(out.top_methods, method_slots);
  return ctx_.messages.statsBuckets(f, step_us, kept, bucketRowBound(buckets, kept.size()), out.rows, error) &&
         ctx_.messages.topUserAgents(f, kTopUserAgents, out.agents, error);
}

ApiResponse StatsHandler::stats(const ApiRequest& req) {
  static constexpr std::string_view kExtra[] = {"step"};
  SearchFilter f;
  FilterDefaults defaults;
  defaults.range_us = ctx_.options.default_range_us;
  if (auto e = parseSearchFilter(req.query, req.now_us, defaults, kExtra, f)) return ApiResponse::badParameter(*e);
  if (auto e = resolveAliasFilters(f, *ctx_.aliases.table())) return ApiResponse::badParameter(*e);
  if (!f.cursor.empty()) return ApiResponse::badParameter({"cursor", "stats are not paged"});
  uint64_t step_s = 60;
  for (const auto& [name, value] : req.query) {
    if (name != "step" || value.empty()) continue;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), step_s);
    if (ec != std::errc() || ptr != value.data() + value.size() || step_s == 0 || step_s > 86400 * 31)
      return ApiResponse::badParameter({"step", "expected seconds, 1-2678400"});
  }
  const uint64_t step_us = step_s * 1000000;
  // Every interval scans its share of the range: a cap on the range bounds the work per request.
  if (f.to_us - f.from_us > ctx_.options.stats.max_range_us)
    return ApiResponse::badParameter({"to", "range longer than " +
                                                std::to_string(ctx_.options.stats.max_range_us / 1000000) +
                                                " s (api.stats_max_range_s)"});
  // Without a filter, and with whole-minute intervals, the per-minute counts answer: from starts
  // at its minute, so every minute falls in exactly one interval (the minute `to` is in counts
  // whole). With whole-hour intervals the per-hour counts do the same by the hour (store/sql/015).
  const bool from_minutes = ctx_.options.stats.minute_counts && step_s % 60 == 0 && onlyRangeAndStep(req.query);
  const bool from_hours = from_minutes && step_s % 3600 == 0;
  if (from_minutes) f.from_us -= f.from_us % (from_hours ? kStatHourUs : kStatMinuteUs);
  const uint64_t buckets = (f.to_us - f.from_us) / step_us + 1;
  if (buckets > kMaxBuckets)
    return ApiResponse::badParameter({"step", "too small for the range: more than 10000 intervals"});

  // Methods are any SIP token a sender invents: only the top ones get a series of their own, as
  // many as fit api.stats_max_cells over all intervals (the 6 status classes and "other" first).
  const uint64_t per_bucket = ctx_.options.stats.max_cells / buckets;
  const uint64_t method_slots =
      std::min<uint64_t>(ctx_.options.stats.top_methods, per_bucket > 7 ? per_bucket - 7 : 0);
  StatsCounts counts;
  DbError error;
  const bool ok = from_minutes ? readMinuteCounts(f.from_us, f.to_us, step_us, from_hours, buckets, method_slots,
                                                  counts, error)
                               : readMessageCounts(f, step_us, buckets, method_slots, counts, error);
  if (!ok) {
    ctx_.log.error("query_failed", {{"endpoint", "stats"}, {"error", error.describe()}});
    return ApiResponse::databaseError(error);
  }
  std::vector<std::pair<std::string, uint64_t>>& top_methods = counts.top_methods;
  std::vector<StatsBucketRow>& rows = counts.rows;
  const std::vector<std::pair<std::string, uint64_t>>& agents = counts.agents;
  const bool methods_cut = top_methods.size() > method_slots;
  if (methods_cut) top_methods.resize(method_slots);
  const uint64_t max_rows = bucketRowBound(buckets, top_methods.size());
  // Cannot happen with the bound above unless the database grouped differently; then say so.
  const bool rows_cut = rows.size() >= std::min(max_rows, kMaxRowsPerStatement);

  // Every method kept appears in every interval, so charts get whole series; "(other)" only
  // when some requests fell outside them.
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
  Poco::JSON::Object::Ptr o = intervalsJson(f.from_us, f.to_us, step_s);
  o->set("series", series);
  o->set("top_user_agents", top);
  o->set("total", total);
  o->set("truncated", methods_cut || rows_cut);
  o->set("methods_shown", static_cast<uint64_t>(top_methods.size()));
  o->set("source", std::string(from_hours ? "hour_counts" : from_minutes ? "minute_counts" : "messages"));
  return ApiResponse::json(200, o);
}

}  // namespace sipvault::api
