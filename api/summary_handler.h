#pragma once
// GET /api/v1/summaries (api/API_CONTRACT.md "Summaries", issue 14): the minute counts the writer
// keeps in sip_summaries for messages the ingest policy summarizes (by default OPTIONS), so an
// operator sees when a peer's keep-alives stopped and what they were answered.
//   from, to, src_ip, dst_ip, ip, method, status, step, limit
//   -> {"items": [{time, time_us, src_ip, dst_ip, dst_port, method, status, count}], "truncated", ...}
// Items are counts per interval of `step` seconds (a multiple of 60, default 60; intervals aligned
// to the epoch) per (source, destination, destination port, method, status), ordered by time and
// then by those fields. status 0 counts requests. A minute counts when its start lies in
// [from rounded down to the minute, to]. At most `limit` items (default 1000); `truncated` says
// more existed (narrow the range or raise `step`). Parameters are validated by
// parseSearchFilter (400 naming the parameter); every value is bound, the statement is bounded by
// the time range (hourly partitions of minute_us) and a LIMIT. Thread-safe (the context is).
#include "api/api_context.h"
#include "api/api_exchange.h"

namespace sipvault::api {

class SummaryHandler {
 public:
  explicit SummaryHandler(ApiContext& ctx) : ctx_(ctx) {}
  [[nodiscard]] ApiResponse summaries(const ApiRequest& req);

 private:
  ApiContext& ctx_;
};

}  // namespace sipvault::api
