#pragma once
// GET /api/v1/health (no token), GET /metrics (Prometheus text, same registry as the
// --metrics-listen server), GET /api/v1/openapi.json (api/openapi.json, compiled in, served as is).
#include <string_view>

#include "api/api_context.h"
#include "api/api_exchange.h"

namespace sipvault::api {

// The OpenAPI document embedded at build time (api/openapi.json).
[[nodiscard]] std::string_view openApiDocument();

class SystemHandler {
 public:
  explicit SystemHandler(ApiContext& ctx) : ctx_(ctx) {}
  [[nodiscard]] ApiResponse health(const ApiRequest& req);
  [[nodiscard]] ApiResponse metrics(const ApiRequest& req);
  [[nodiscard]] ApiResponse openapi(const ApiRequest& req);

 private:
  ApiContext& ctx_;
};

}  // namespace sipvault::api
