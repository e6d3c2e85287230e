#pragma once
// GET /api/v1/export.pcap and GET /api/v1/export.txt: the messages of any search (the search
// filters, including call_id) as a pcap file (pcap_export.h) or a text trace (text_export.h).
// `limit` defaults to the maximum (10000) here, so that an export without one holds the whole
// result; when more messages match, the response says so in X-Sipvault-Truncated: true and
// X-Sipvault-Next-Cursor (the cursor for the next export).
//
// Bounded by bytes too (issue 18 item 5): the export stops before it would pass
// api.export_max_bytes, with the same truncation headers, and the body is streamed: messages are
// read from the database a page at a time (kExportPage, raw included) and written to the
// connection as they come, so the memory an export holds is one page of rows, whatever the size
// of the file. The headers (truncation, cursor, message count) must precede the body, so an
// export walks its messages twice: once measuring each encoded message against the budget, then
// writing exactly the messages that fit. A message stored between the two walks inside the range
// is left for the next export (the second walk stops at the count the first one measured).
#include <functional>

#include "api/api_context.h"
#include "api/api_exchange.h"

namespace sipvault::api {

class ExportHandler {
 public:
  explicit ExportHandler(ApiContext& ctx) : ctx_(ctx) {}
  // The response streams from the database after the handler returns: it refers to the
  // ApiContext, not to this handler.
  [[nodiscard]] ApiResponse pcap(const ApiRequest& req);
  [[nodiscard]] ApiResponse text(const ApiRequest& req);

 private:
  ApiContext& ctx_;
};

}  // namespace sipvault::api
