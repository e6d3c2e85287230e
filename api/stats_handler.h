#pragma once
// GET /api/v1/stats?from&to&step (+ any search filter): message counts per interval of `step`
// seconds (default 60) by request method and by response status class, the top User-Agents and
// the total. Every interval of the range is listed, empty ones with zeros; a range of more than
// 10000 intervals is a 400 naming `step`.
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
