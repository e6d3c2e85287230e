#include "api/export_handler.h"

#include <cctype>
#include <cstdio>
#include <stdexcept>

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

// "sipvault-call-<Call-ID>" for an export of one Call-ID, as the web UI names its downloads
// (js/format.js callFileName): runs of anything but [A-Za-z0-9._@-] become "_", no leading dot,
// at most 100 characters of Call-ID. Empty when the export is not one Call-ID.
std::string callStem(const SearchFilter& f) {
  if (!f.call_id || f.call_id->empty() || f.call_id->find('*') != std::string::npos) return {};
  std::string safe;
  for (char c : *f.call_id) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '@' || c == '-';
    if (ok) safe += c;
    else if (safe.empty() || safe.back() != '_') safe += '_';
  }
  const size_t start = safe.find_first_not_of("._-");
  if (start == std::string::npos) return {};
  return "sipvault-call-" + safe.substr(start, 100);
}

// Rows read from the database per query: what an export holds in rows at once.
constexpr uint64_t kExportPage = 500;
// Bytes of text collected before they are written to the connection.
constexpr size_t kTextChunk = 64 * 1024;

struct ExportQuery {
  SearchFilter filter;
  bool linked = false;  // legs=linked: the flow's messages
  std::optional<MessageCursor> after;
};

struct ExportWalk {
  uint64_t count = 0;                 // messages taken
  uint64_t first_us = 0;              // time of the first
  std::optional<MessageCursor> last;  // the last one taken (or one stepped over, see below)
  bool more = false;                  // a message matched that is not in the export
};

// Feeds the messages of `q` (raw included) in order to `take` until it returns false (the message
// did not fit the byte budget; not counted), `max_count` are taken or none are left. False with
// `error` when a query fails.
using TakeFn = std::function<bool(MessageRecord&)>;
bool walk(ApiContext& ctx, const ExportQuery& q, uint64_t max_count, const TakeFn& take, ExportWalk& w,
          DbError& error) {
  const SearchFilter& f = q.filter;
  while (!w.more) {
    // A linked-legs export rebuilds the flow per page: one page of up to `limit` (bounded by
    // api.flow_max_messages anyway); searches read kExportPage rows at a time.
    const uint64_t page = q.linked ? uint64_t{f.limit} + 1 : std::min<uint64_t>(kExportPage, f.limit - w.count + 1);
    std::vector<MessageRecord> rows;
    const std::optional<MessageCursor> from = w.last ? w.last : q.after;
    const bool ok = q.linked ? linkedLegMessages(ctx.messages, f, ctx.options.flow, from, page, true, rows, error)
                             : ctx.messages.search(f, from, page, true, rows, error);
    if (!ok) return false;
    for (MessageRecord& m : rows) {
      if (w.count == max_count) {
        w.more = true;
        break;
      }
      if (!take(m)) {
        w.more = true;
        // A single message over the whole budget: the cursor steps past it, or the client would
        // get the same empty export for ever.
        if (w.count == 0) w.last = MessageCursor{m.capture_us, m.id};
        break;
      }
      if (w.count++ == 0) w.first_us = m.capture_us;
      w.last = MessageCursor{m.capture_us, m.id};
    }
    if (rows.size() < page) break;  // nothing left
  }
  return true;
}

// The first walk: which messages fit (`measure` says), and the headers that describe them.
std::optional<ApiResponse> plan(ApiContext& ctx, const ApiRequest& req, const TakeFn& measure,
                                const char* extension, ExportQuery& q, ExportWalk& w, ApiResponse& response) {
  FilterDefaults defaults;
  defaults.range_us = ctx.options.default_range_us;
  defaults.limit = defaults.max_limit;
  static constexpr std::string_view kExtra[] = {"legs"};
  if (auto e = parseSearchFilter(req.query, req.now_us, defaults, kExtra, q.filter)) return ApiResponse::badParameter(*e);
  if (auto e = parseLinkedLegs(req.query, q.filter, q.linked)) return ApiResponse::badParameter(*e);
  if (auto e = resolveAliasFilters(q.filter, *ctx.aliases.table())) return ApiResponse::badParameter(*e);
  if (!q.filter.cursor.empty()) {
    q.after = decodeMessageCursor(q.filter.cursor);
    if (!q.after) return ApiResponse::badParameter({"cursor", "not a cursor from next_cursor"});
  }
  DbError error;
  if (!walk(ctx, q, q.filter.limit, measure, w, error)) {
    ctx.log.error("query_failed", {{"endpoint", "export"}, {"error", error.describe()}});
    return ApiResponse::databaseError(error);
  }
  if (w.more) {
    response.headers.emplace_back("X-Sipvault-Truncated", "true");
    response.headers.emplace_back("X-Sipvault-Next-Cursor", encodeMessageCursor(*w.last));
  }
  std::string stem = callStem(q.filter);
  if (stem.empty()) stem = fileStem(w.count == 0 ? q.filter.from_us : w.first_us);
  response.headers.emplace_back("X-Sipvault-Messages", std::to_string(w.count));
  response.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + stem + extension + "\"");
  return std::nullopt;
}

// The second walk, while the body streams: exactly the `count` messages the first one took.
void stream(ApiContext& ctx, const ExportQuery& q, uint64_t count, const TakeFn& write) {
  ExportWalk w;
  DbError error;
  if (count == 0) return;
  if (!walk(ctx, q, count, write, w, error)) {
    ctx.log.error("query_failed", {{"endpoint", "export"}, {"error", error.describe()}});
    throw std::runtime_error("export query failed mid-stream: " + error.describe());
  }
}

// A FILE that writes to the HTTP response, for libpcap's dumper.
FILE* fileOver(std::ostream& out) {
  cookie_io_functions_t io{};
  io.write = [](void* cookie, const char* data, size_t n) -> ssize_t {
    auto* o = static_cast<std::ostream*>(cookie);
    o->write(data, static_cast<std::streamsize>(n));
    return o->good() ? static_cast<ssize_t>(n) : -1;
  };
  return fopencookie(&out, "w", io);
}

ExportPacket packetOf(const MessageRecord& m, const std::string& payload) {
  return {m.capture_us, m.src_ip, m.dst_ip, m.src_port, m.dst_port, m.ip_proto, payload};
}

}  // namespace

ApiResponse ExportHandler::pcap(const ApiRequest& req) {
  ApiResponse r;
  ExportQuery q;
  ExportWalk w;
  size_t undecodable = 0;
  uint64_t bytes = kPcapFileHeaderBytes;
  const uint64_t budget = ctx_.options.export_max_bytes;
  auto measure = [&](MessageRecord& m) {
    auto raw = m.raw();
    if (!raw) {
      ++undecodable;
      return true;
    }
    const uint64_t frame = pcapBytesFor(raw->size(), m.ip_proto);
    if (bytes + frame > budget) return false;
    bytes += frame;
    return true;
  };
  if (auto bad = plan(ctx_, req, measure, ".pcap", q, w, r)) return *bad;
  if (undecodable) r.headers.emplace_back("X-Sipvault-Undecodable", std::to_string(undecodable));
  r.content_type = "application/vnd.tcpdump.pcap";
  r.stream = [&ctx = ctx_, q, count = w.count](std::ostream& out) {
    FILE* file = fileOver(out);
    std::string error;
    auto writer = file ? PcapWriter::open(file, error) : nullptr;
    if (!writer) throw std::runtime_error("pcap writer: " + (file ? error : std::string("fopencookie failed")));
    stream(ctx, q, count, [&](MessageRecord& m) {
      if (auto raw = m.raw()) writer->write(packetOf(m, *raw));
      return true;
    });
    writer->finish();
    if (!out.good()) throw std::runtime_error("pcap export: the connection failed");
  };
  return r;
}

ApiResponse ExportHandler::text(const ApiRequest& req) {
  ApiResponse r;
  ExportQuery q;
  ExportWalk w;
  uint64_t bytes = 0;
  const uint64_t budget = ctx_.options.export_max_bytes;
  std::string scratch;
  auto measure = [&](MessageRecord& m) {
    scratch.clear();
    appendTextTrace(m, scratch);
    if (bytes + scratch.size() > budget) return false;  // this message does not fit
    bytes += scratch.size();
    return true;
  };
  if (auto bad = plan(ctx_, req, measure, ".txt", q, w, r)) return *bad;
  r.content_type = "text/plain; charset=utf-8";
  r.stream = [&ctx = ctx_, q, count = w.count](std::ostream& out) {
    std::string chunk;
    auto flush = [&] {
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      chunk.clear();
      if (!out.good()) throw std::runtime_error("text export: the connection failed");
    };
    stream(ctx, q, count, [&](MessageRecord& m) {
      appendTextTrace(m, chunk);
      if (chunk.size() >= kTextChunk) flush();
      return true;
    });
    flush();
  };
  return r;
}

}  // namespace sipvault::api
