#pragma once
// GET /api/v1/stats?from&to&step (+ any search filter): message counts per interval of `step`
// seconds (default 60) by request method and by response status class, the top User-Agents and
// the total. Every interval of the range is listed, empty ones with zeros; a range of more than
// 10000 intervals is a 400 naming `step`.
// Without a filter (only from/to/step), with `step` a multiple of 60 and api.stats_minute_counts
// on, the answer comes from the writers' per-minute counts (sip_minute_stats): `from` is snapped
// down to its minute and the minute `to` falls in counts whole; "source" says "minute_counts".
// Any filter scans sip_messages ("source": "messages").
#include "api/api_context.h"
#include "api/api_exchange.h"

namespace sipvault::api {

class StatsHandler {
 public:
  explicit StatsHandler(ApiContext& ctx) : ctx_(ctx) {}
  [[nodiscard]] ApiResponse stats(const ApiRequest& req);

 private:
  ApiContext& ctx_;
};

}  // namespace sipvault::api
