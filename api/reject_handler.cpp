#include "api/reject_handler.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "api/base64.h"
#include "api/message_record.h"
#include "api/message_store.h"
#include "api/row_cells.h"
#include "api/search_filter.h"
#include "api/search_sql.h"
#include "api/time_text.h"
#include "store/raw_codec.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

constexpr std::string_view kRejectReadColumns =
    "id, capture_us, reason, correlation_id, src_ip, dst_ip, src_port, dst_port, ip_proto, payload_type, "
    "vlan, "
    "capture_id, node, raw_len, flags";

// The search filters that apply to a reject (it has addresses and a time, not SIP fields).
constexpr std::string_view kRejectParams[] = {"from", "to",     "src_ip", "dst_ip", "ip",
                                              "port", "reason", "limit",  "cursor"};
constexpr std::string_view kReasonParam[] = {"reason"};

Poco::JSON::Object::Ptr rejectJson(const RejectRecord& r) {
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("id", messageId(r.capture_us, r.id));
  o->set("time", formatTimeUs(r.capture_us));
  o->set("time_us", r.capture_us);
  o->set("reason", jsonText(r.reason));
  o->set("src_ip", ipText(r.src_ip));
  o->set("src_port", r.src_port);
  o->set("dst_ip", ipText(r.dst_ip));
  o->set("dst_port", r.dst_port);
  o->set("transport", transportName(r.ip_proto));
  o->set("capture_id", r.capture_id);
  o->set("correlation_id", jsonText(r.correlation_id));
  o->set("node", jsonText(r.node));
  o->set("vlan", r.vlan);
  o->set("raw_len", r.raw_len);
  o->set("flags", r.flags);
  return o;
}

DbError badRow() { return DbError{0, "", "unexpected row shape from the database"}; }

bool fetch(ApiContext& ctx, const SqlQuery& q, bool with_raw, std::vector<RejectRecord>& out,
           DbError& error) {
  DbRows rows;
  if (!ctx.pool.query(q, rows, error)) return false;
  for (const DbRow& row : rows) {
    auto r = RejectRecord::fromRow(row, with_raw);
    if (!r) {
      error = badRow();
      return false;
    }
    out.push_back(std::move(*r));
  }
  return true;
}

}  // namespace

std::optional<RejectRecord> RejectRecord::fromRow(const DbRow& row, bool with_raw) {
  if (row.size() != (with_raw ? 16u : 15u)) return std::nullopt;
  RejectRecord r;
  const bool ok = readNumber(row[0], r.id) && readNumber(row[1], r.capture_us) &&
                  readText(row[2], r.reason) && readText(row[3], r.correlation_id) &&
                  readText(row[4], r.src_ip) && readText(row[5], r.dst_ip) &&
                  readNumber(row[6], r.src_port) && readNumber(row[7], r.dst_port) &&
                  readNumber(row[8], r.ip_proto) && readNumber(row[9], r.payload_type) &&
                  readNumber(row[10], r.vlan) && readNumber(row[11], r.capture_id) &&
                  readText(row[12], r.node) && readNumber(row[13], r.raw_len) && readNumber(row[14], r.flags);
  if (!ok) return std::nullopt;
  if (with_raw) {
    if (!row[15]) return std::nullopt;
    r.stored_raw = *row[15];
  }
  return r;
}

ApiResponse RejectHandler::rejects(const ApiRequest& req) {
  for (const auto& [name, value] : req.query)
    if (std::find(std::begin(kRejectParams), std::end(kRejectParams), name) == std::end(kRejectParams))
      return ApiResponse::badParameter({name, "unknown parameter for rejects"});
  SearchFilter f;
  FilterDefaults defaults;
  defaults.range_us = ctx_.options.default_range_us;
  if (auto e = parseSearchFilter(req.query, req.now_us, defaults, kReasonParam, f))
    return ApiResponse::badParameter(*e);
  std::optional<std::string> reason;
  for (const auto& [name, value] : req.query) {
    if (name != "reason" || value.empty()) continue;
    if (value.size() > kMaxTextValue)
      return ApiResponse::badParameter({"reason", "longer than " + std::to_string(kMaxTextValue) + " bytes"});
    if (std::any_of(value.begin(), value.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
      return ApiResponse::badParameter({"reason", "contains a control character"});
    reason = value;
  }
  std::optional<MessageCursor> after;
  if (!f.cursor.empty()) {
    after = decodeMessageCursor(f.cursor);
    if (!after) return ApiResponse::badParameter({"cursor", "not a cursor from this endpoint's next_cursor"});
  }
  std::vector<RejectRecord> rows;
  if (!after || after->capture_us <= f.to_us) {
    // Raising the lower time bound to the cursor keeps partition pruning; rows at the cursor's
    // own time follow by id.
    const uint64_t from_us = after ? std::max(f.from_us, after->capture_us) : f.from_us;
    SqlQuery q;
    q.text("SELECT ")
        .text(kRejectReadColumns)
        .text(" FROM sip_rejects WHERE capture_us BETWEEN ")
        .number(from_us);
    q.text(" AND ").number(f.to_us);
    if (f.src_ip) q.text(" AND src_ip = ").bytes(*f.src_ip);
    if (f.dst_ip) q.text(" AND dst_ip = ").bytes(*f.dst_ip);
    if (f.ip) q.text(" AND (src_ip = ").bytes(*f.ip).text(" OR dst_ip = ").bytes(*f.ip).text(")");
    if (f.port) q.text(" AND (src_port = ").number(*f.port).text(" OR dst_port = ").number(*f.port).text(")");
    // As user_agent in search_sql.cpp: latin1 reads any bytes, latin1_bin folds only ASCII case.
    if (reason)
      q.text(" AND LOWER(CONVERT(reason USING latin1)) LIKE LOWER(CONVERT(")
          .bytes(likePattern(*reason, false, true))
          .text(" USING latin1)) COLLATE latin1_bin");
    if (after)
      q.text(" AND (capture_us > ").number(after->capture_us).text(" OR id > ").number(after->id).text(")");
    q.append(ctx_.messages.shardCondition());
    q.text(" ORDER BY capture_us, id LIMIT ").number(uint64_t{f.limit} + 1);
    DbError error;
    if (!fetch(ctx_, q, false, rows, error)) {
      ctx_.log.error("query_failed", {{"endpoint", "rejects"}, {"error", error.describe()}});
      return ApiResponse::databaseError(error);
    }
  }
  const bool more = rows.size() > f.limit;
  if (more) rows.resize(f.limit);
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const RejectRecord& r : rows) items->add(rejectJson(r));
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("items", items);
  if (more)
    o->set("next_cursor", encodeMessageCursor({rows.back().capture_us, rows.back().id}));
  else
    o->set("next_cursor", Poco::Dynamic::Var());
  return ApiResponse::json(200, o);
}

ApiResponse RejectHandler::reject(const ApiRequest& req, const std::string& id) {
  if (auto e = onlyParams(req.query, {})) return ApiResponse::badParameter(*e);
  auto key = parseMessageId(id);
  if (!key) return ApiResponse::error(404, "not_found", "no such reject");
  SqlQuery q;
  q.text("SELECT ")
      .text(kRejectReadColumns)
      .text(", raw FROM sip_rejects WHERE capture_us = ")
      .number(key->capture_us);
  q.text(" AND id = ").number(key->id).append(ctx_.messages.shardCondition()).text(" LIMIT 1");
  std::vector<RejectRecord> found;
  DbError error;
  if (!fetch(ctx_, q, true, found, error)) {
    ctx_.log.error("query_failed", {{"endpoint", "reject"}, {"error", error.describe()}});
    return ApiResponse::databaseError(error);
  }
  if (found.empty()) return ApiResponse::error(404, "not_found", "no such reject");
  const RejectRecord& r = found.front();
  Poco::JSON::Object::Ptr o = rejectJson(r);
  const std::optional<std::string> raw = decodeRaw(*r.stored_raw, r.raw_len, r.flags);
  const std::string bytes = raw.value_or("");
  o->set("raw", jsonText(bytes));
  o->set("raw_base64", base64Encode(bytes));
  o->set("raw_ok", raw.has_value());  // false: the stored raw column did not decode
  return ApiResponse::json(200, o);
}

}  // namespace sipvault::api
