#include "api/export_handler.h"

#include "api/call_flow.h"
#include "api/pcap_export.h"
#include "api/text_export.h"
#include "api/time_text.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

// "sipvault-20261126T124945Z" from the first message (or the range start).
std::string fileStem(uint64_t us) {
  std::string t = formatTimeUs(us);  // 2026-11-26T12:49:45.061749Z
  std::string out = "sipvault-";
  for (char c : t.substr(0, 19))
    if (c != '-' && c != ':') out += c;
  return out + "Z";
}

}  // namespace

std::optional<ApiResponse> ExportHandler::load(const ApiRequest& req, std::vector<MessageRecord>& rows,
                                               ApiResponse& response) {
  SearchFilter f;
  FilterDefaults defaults;
  defaults.range_us = ctx_.options.default_range_us;
  defaults.limit = defaults.max_limit;
  static constexpr std::string_view kExtra[] = {"legs"};
  if (auto e = parseSearchFilter(req.query, req.now_us, defaults, kExtra, f))
    return ApiResponse::badParameter(*e);
  bool linked = false;
  if (auto e = parseLinkedLegs(req.query, f, linked)) return ApiResponse::badParameter(*e);
  std::optional<MessageCursor> after;
  if (!f.cursor.empty()) {
    after = decodeMessageCursor(f.cursor);
    if (!after) return ApiResponse::badParameter({"cursor", "not a cursor from next_cursor"});
  }
  DbError error;
  const bool ok = linked ? linkedLegMessages(ctx_.messages, f, ctx_.options.flow, after,
                                             uint64_t{f.limit} + 1, true, rows, error)
                         : ctx_.messages.search(f, after, uint64_t{f.limit} + 1, true, rows, error);
  if (!ok) {
    ctx_.log.error("query_failed", {{"endpoint", "export"}, {"error", error.describe()}});
    return ApiResponse::databaseError(error);
  }
  if (rows.size() > f.limit) {
    rows.resize(f.limit);
    response.headers.emplace_back("X-Sipvault-Truncated", "true");
    response.headers.emplace_back("X-Sipvault-Next-Cursor",
                                  encodeMessageCursor({rows.back().capture_us, rows.back().id}));
  }
  const std::string stem = fileStem(rows.empty() ? f.from_us : rows.front().capture_us);
  response.headers.emplace_back("X-Sipvault-Messages", std::to_string(rows.size()));
  response.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + stem + "\"");
  return std::nullopt;
}

ApiResponse ExportHandler::pcap(const ApiRequest& req) {
  ApiResponse r;
  std::vector<MessageRecord> rows;
  if (auto bad = load(req, rows, r)) return *bad;
  // payloads is sized once so the views in `packets` stay valid.
  std::vector<std::string> payloads(rows.size());
  std::vector<ExportPacket> packets;
  packets.reserve(rows.size());
  size_t undecodable = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const MessageRecord& m = rows[i];
    auto raw = m.raw();
    if (!raw) {
      ++undecodable;
      continue;
    }
    payloads[i] = std::move(*raw);
    packets.push_back({m.capture_us, m.src_ip, m.dst_ip, m.src_port, m.dst_port, m.ip_proto, payloads[i]});
  }
  std::string error;
  auto file = buildPcap(packets, error);
  if (!file) {
    ctx_.log.error("pcap_export_failed", {{"error", error}});
    return ApiResponse::error(500, "internal", "could not write the pcap");
  }
  if (undecodable) r.headers.emplace_back("X-Sipvault-Undecodable", std::to_string(undecodable));
  for (auto& [name, value] : r.headers)
    if (name == "Content-Disposition") value = value.substr(0, value.size() - 1) + ".pcap\"";
  r.content_type = "application/vnd.tcpdump.pcap";
  r.body = std::move(file->file);
  return r;
}

ApiResponse ExportHandler::text(const ApiRequest& req) {
  ApiResponse r;
  std::vector<MessageRecord> rows;
  if (auto bad = load(req, rows, r)) return *bad;
  for (const MessageRecord& m : rows) appendTextTrace(m, r.body);
  for (auto& [name, value] : r.headers)
    if (name == "Content-Disposition") value = value.substr(0, value.size() - 1) + ".txt\"";
  r.content_type = "text/plain; charset=utf-8";
  return r;
}

}  // namespace sipvault::api
