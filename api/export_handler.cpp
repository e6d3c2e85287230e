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

// Rows read from the database per query: what an export holds in rows at once.
constexpr uint64_t kExportPage = 500;

}  // namespace

std::optional<ApiResponse> ExportHandler::load(const ApiRequest& req, const AddFn& add, const char* extension,
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
  uint64_t count = 0;
  uint64_t first_us = 0;
  std::optional<MessageCursor> last;  // the last message in the export
  bool more = false;                  // a message matched that is not in the export
  DbError error;
  while (!more) {
    // A linked-legs export rebuilds the flow per page: one page of up to `limit` (bounded by
    // api.flow_max_messages anyway); searches read kExportPage rows at a time.
    const uint64_t page =
        linked ? uint64_t{f.limit} + 1 : std::min<uint64_t>(kExportPage, f.limit - count + 1);
    std::vector<MessageRecord> rows;
    const std::optional<MessageCursor> from = last ? last : after;
    const bool ok =
        linked ? linkedLegMessages(ctx_.messages, f, ctx_.options.flow, from, page, true, rows, error)
               : ctx_.messages.search(f, from, page, true, rows, error);
    if (!ok) {
      ctx_.log.error("query_failed", {{"endpoint", "export"}, {"error", error.describe()}});
      return ApiResponse::databaseError(error);
    }
    for (MessageRecord& m : rows) {
      if (count == f.limit) {
        more = true;
        break;
      }
      if (!add(m)) {
        more = true;
        // A single message over the whole budget: the cursor steps past it, or the client would
        // get the same empty export for ever.
        if (count == 0) last = MessageCursor{m.capture_us, m.id};
        break;
      }
      if (count++ == 0) first_us = m.capture_us;
      last = MessageCursor{m.capture_us, m.id};
    }
    if (rows.size() < page) break;  // nothing left
  }
  if (more) {
    response.headers.emplace_back("X-Sipvault-Truncated", "true");
    response.headers.emplace_back("X-Sipvault-Next-Cursor", encodeMessageCursor(*last));
  }
  const std::string stem = fileStem(count == 0 ? f.from_us : first_us);
  response.headers.emplace_back("X-Sipvault-Messages", std::to_string(count));
  response.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + stem + extension + "\"");
  return std::nullopt;
}

ApiResponse ExportHandler::pcap(const ApiRequest& req) {
  ApiResponse r;
  // Each payload is its own string (moved out of the row), so the views in `packets` stay valid.
  std::vector<std::unique_ptr<std::string>> payloads;
  std::vector<ExportPacket> packets;
  size_t undecodable = 0;
  uint64_t bytes = kPcapFileHeaderBytes;
  struct Addr {
    std::string src, dst;
  };
  std::vector<std::unique_ptr<Addr>> addrs;
  const uint64_t budget = ctx_.options.export_max_bytes;
  auto add = [&](MessageRecord& m) {
    auto raw = m.raw();
    if (!raw) {
      ++undecodable;
      return true;
    }
    const uint64_t frame = pcapBytesFor(raw->size(), m.ip_proto);
    if (bytes + frame > budget) return false;
    bytes += frame;
    payloads.push_back(std::make_unique<std::string>(std::move(*raw)));
    addrs.push_back(std::make_unique<Addr>(Addr{m.src_ip, m.dst_ip}));
    packets.push_back({m.capture_us, addrs.back()->src, addrs.back()->dst, m.src_port, m.dst_port, m.ip_proto,
                       *payloads.back()});
    return true;
  };
  if (auto bad = load(req, add, ".pcap", r)) return *bad;
  std::string error;
  auto file = buildPcap(packets, error);
  if (!file) {
    ctx_.log.error("pcap_export_failed", {{"error", error}});
    return ApiResponse::error(500, "internal", "could not write the pcap");
  }
  if (undecodable) r.headers.emplace_back("X-Sipvault-Undecodable", std::to_string(undecodable));
  r.content_type = "application/vnd.tcpdump.pcap";
  r.body = std::move(file->file);
  return r;
}

ApiResponse ExportHandler::text(const ApiRequest& req) {
  ApiResponse r;
  const uint64_t budget = ctx_.options.export_max_bytes;
  auto add = [&](MessageRecord& m) {
    const size_t before = r.body.size();
    appendTextTrace(m, r.body);
    if (r.body.size() <= budget) return true;
    r.body.resize(before);  // this message does not fit
    return false;
  };
  if (auto bad = load(req, add, ".txt", r)) return *bad;
  r.content_type = "text/plain; charset=utf-8";
  return r;
}

}  // namespace sipvault::api
