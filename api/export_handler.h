#pragma once
// GET /api/v1/export.pcap and GET /api/v1/export.txt: the messages of any search (the search
// filters, including call_id) as a pcap file (pcap_export.h) or a text trace (text_export.h).
// `limit` defaults to the maximum (10000) here, so that an export without one holds the whole
// result; when more messages match, the response says so in X-Sipvault-Truncated: true and
// X-Sipvault-Next-Cursor (the cursor for the next export).
#include "api/api_context.h"
#include "api/api_exchange.h"

namespace sipvault::api {

class ExportHandler {
 public:
  explicit ExportHandler(ApiContext& ctx) : ctx_(ctx) {}
  [[nodiscard]] ApiResponse pcap(const ApiRequest& req);
  [[nodiscard]] ApiResponse text(const ApiRequest& req);

 private:
  // The export's messages (raw included) into `rows`, and the common headers into `response`;
  // an error response instead when the request is bad or the query fails.
  std::optional<ApiResponse> load(const ApiRequest& req, std::vector<MessageRecord>& rows, ApiResponse& response);
  ApiContext& ctx_;
};

}  // namespace sipvault::api
