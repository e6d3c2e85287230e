#pragma once
// The rejects endpoints (api/API_CONTRACT.md, issue 12 "Missing 7"): SIP payloads the parser
// could not parse, which it keeps raw in the writer's sip_rejects table
// (store/sql/001_initial_schema.sql).
//   GET /api/v1/rejects        from, to, src_ip, dst_ip, ip, port, reason, limit, cursor
//                              -> {"items": [reject], "next_cursor"} (time-ordered, keyset on (capture_us,
//                              id))
//   GET /api/v1/rejects/{id}   one reject + "raw" (invalid UTF-8 replaced), "raw_base64" (exact), "raw_ok"
// Every statement is prepared, bounded by the time range (the table's hourly partitions) and a
// row limit. `reason` is a substring, ASCII case-insensitive, like `user_agent` on messages.
// Thread-safe (the context is).
#include <cstdint>
#include <optional>
#include <string>

#include "api/api_context.h"
#include "api/api_exchange.h"
#include "store/db_connection.h"

namespace sipvault::api {

// One sip_rejects row as the api reads it.
struct RejectRecord {
  uint64_t id = 0;
  uint64_t capture_us = 0;
  std::string reason, correlation_id;
  std::string src_ip, dst_ip;  // 4 or 16 raw bytes
  uint16_t src_port = 0, dst_port = 0;
  uint8_t ip_proto = 0;
  uint8_t payload_type = 0;
  uint16_t vlan = 0;
  uint32_t capture_id = 0;
  std::string node;
  uint32_t raw_len = 0;
  uint16_t flags = 0;
  std::optional<std::string> stored_raw;  // the `raw` column as stored (store/raw_codec.h)

  // From a row selected with kRejectReadColumns (+ raw last when `with_raw`); nullopt when the
  // row does not fit.
  [[nodiscard]] static std::optional<RejectRecord> fromRow(const store::DbRow& row, bool with_raw);
};

class RejectHandler {
 public:
  explicit RejectHandler(ApiContext& ctx) : ctx_(ctx) {}
  [[nodiscard]] ApiResponse rejects(const ApiRequest& req);
  [[nodiscard]] ApiResponse reject(const ApiRequest& req, const std::string& id);

 private:
  ApiContext& ctx_;
};

}  // namespace sipvault::api
