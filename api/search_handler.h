#pragma once
// The search endpoints (api/API_CONTRACT.md):
//   GET /api/v1/messages                 filters -> {"items": [message], "next_cursor"}
//   GET /api/v1/messages/{id}            one message with raw, raw_base64, headers, body
//   GET /api/v1/calls                    filters grouped by Call-ID -> {"items": [call], "next_cursor"}
//   GET /api/v1/calls/{call_id}/flow     ladder data with correlated legs
// (GET /api/v1/calls/{call_id}/qos: qos_handler.h)
#include "api/api_context.h"
#include "api/api_exchange.h"

#include <cstdint>
#include <optional>
#include <string>

namespace sipvault::api {

// The request of a per-call endpoint (`/calls/{call_id}/flow`, `/calls/{call_id}/qos`): only
// from, to (default: `default_range_us` up to now) and call_ref (call_flow.h parseCallPath). The
// refusal (400, or 404 for an empty or oversized Call-ID), or nullopt with the outputs set.
[[nodiscard]] std::optional<ApiResponse> parseCallRequest(const ApiRequest& req, const std::string& call_id,
                                                          uint64_t default_range_us, CallRef& call,
                                                          uint64_t& from_us, uint64_t& to_us);

class SearchHandler {
 public:
  explicit SearchHandler(ApiContext& ctx) : ctx_(ctx) {}
  [[nodiscard]] ApiResponse messages(const ApiRequest& req);
  [[nodiscard]] ApiResponse message(const ApiRequest& req, const std::string& id);
  [[nodiscard]] ApiResponse calls(const ApiRequest& req);
  [[nodiscard]] ApiResponse flow(const ApiRequest& req, const std::string& call_id);

 private:
  ApiContext& ctx_;
};

}  // namespace sipvault::api
