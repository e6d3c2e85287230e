#pragma once
// GET /api/v1/export.pcap and GET /api/v1/export.txt: the messages of any search (the search
// filters, including call_id) as a pcap file (pcap_export.h) or a text trace (text_export.h).
// `limit` defaults to the maximum (10000) here, so that an export without one holds the whole
// result; when more messages match, the response says so in X-Sipvault-Truncated: true and
// X-Sipvault-Next-Cursor (the cursor for the next export).
//
// Bounded by bytes too (issue 18 item 5): messages are read from the database a page at a time
// (kExportPage, raw included) and the export stops before it would pass api.export_max_bytes,
// with the same truncation headers, so neither the rows held nor the file built can grow with
// the size of the captured messages (a 10000-row export of 64 KiB messages was ~640 MiB).
#include <functional>

#include "api/api_context.h"
#include "api/api_exchange.h"

namespace sipvault::api {

class ExportHandler {
 public:
  explicit ExportHandler(ApiContext& ctx) : ctx_(ctx) {}
  [[nodiscard]] ApiResponse pcap(const ApiRequest& req);
  [[nodiscard]] ApiResponse text(const ApiRequest& req);

 private:
  // Feeds the export's messages (raw included) to `add` in order until `add` returns false (the
  // message did not fit the byte budget; it is not counted) or the limit is reached; sets the
  // common headers on `response`. An error response instead when the request is bad or a query
  // fails.
  using AddFn = std::function<bool(MessageRecord&)>;
  std::optional<ApiResponse> load(const ApiRequest& req, const AddFn& add, const char* extension,
                                  ApiResponse& response);
  ApiContext& ctx_;
};

}  // namespace sipvault::api
