#pragma once
// The search endpoints (api/API_CONTRACT.md):
//   GET /api/v1/messages                 filters -> {"items": [message], "next_cursor"}
//   GET /api/v1/messages/{id}            one message with raw, raw_base64, headers, body
//   GET /api/v1/calls                    filters grouped by Call-ID -> {"items": [call], "next_cursor"}
//   GET /api/v1/calls/{call_id}/flow     ladder data with correlated legs
#include "api/api_context.h"
#include "api/api_exchange.h"

namespace sipvault::api {

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
