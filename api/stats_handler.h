#pragma once
// GET /api/v1/stats?from&to&step (+ any search filter): message counts per interval of `step`
// seconds (default 60) by request method and by response status class, the top User-Agents and
// the total. Every interval of the range is listed, empty ones with zeros; a range of more than
// 10000 intervals is a 400 naming `step`.
// Without a filter (only from/to/step), with `step` a multiple of 60 and api.stats_minute_counts
// on, the answer comes from the writers' per-minute counts (sip_minute_stats): `from` is snapped
// down to its minute and the minute `to` falls in counts whole; "source" says "minute_counts".
// With `step` a multiple of 3600, from their per-hour counts (sip_hour_stats) the same way, by
// the hour ("hour_counts"). Either is one statement unless there are more names than api.stats_max_cells.
// Any filter scans sip_messages ("source": "messages").
#include <string>
#include <utility>
#include <vector>

#include "api/api_context.h"
#include "api/api_exchange.h"

namespace sipvault::api {

// What the stats are drawn from: the top methods (one more than shown, to tell a cut), the counts
// per interval, method and status class, and the top User-Agents.
struct StatsCounts {
  std::vector<std::pair<std::string, uint64_t>> top_methods;
  std::vector<StatsBucketRow> rows;
  std::vector<std::pair<std::string, uint64_t>> agents;
};

class StatsHandler {
 public:
  explicit StatsHandler(ApiContext& ctx) : ctx_(ctx) {}
  [[nodiscard]] ApiResponse stats(const ApiRequest& req);

 private:
  bool readMinuteCounts(uint64_t from_us, uint64_t to_us, uint64_t step_us, bool hourly, uint64_t buckets,
                        uint64_t method_slots, StatsCounts& out, store::DbError& error);
  bool readMessageCounts(const SearchFilter& f, uint64_t step_us, uint64_t buckets, uint64_t method_slots,
                         StatsCounts& out, store::DbError& error);

  ApiContext& ctx_;
};

}  // namespace sipvault::api
