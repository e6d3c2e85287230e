#include "api/search_handler.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <map>

#include "api/call_flow.h"
#include "api/call_summary.h"
#include "api/qos_store.h"
#include "store/stored_rows.h"

namespace sipvault::api {
namespace {

constexpr std::string_view kLinkedLegs[] = {"legs"};  // parseLinkedLegs (call_flow.h)

}  // namespace

using namespace sipvault::store;

ApiResponse SearchHandler::messages(const ApiRequest& req) {
  SearchFilter f;
  FilterDefaults defaults;
  defaults.range_us = ctx_.options.default_range_us;
  bool linked = false;
  if (auto e = parseSearchFilter(req.query, req.now_us, defaults, kLinkedLegs, f))
    return ApiResponse::badParameter(*e);
  if (auto e = parseLinkedLegs(req.query, f, linked)) return ApiResponse::badParameter(*e);
  const auto aliases = ctx_.aliases.table();
  if (auto e = resolveAliasFilters(f, *aliases)) return ApiResponse::badParameter(*e);
  std::optional<MessageCursor> after;
  if (!f.cursor.empty()) {
    after = decodeMessageCursor(f.cursor);
    if (!after) return ApiResponse::badParameter({"cursor", "not a cursor from this endpoint's next_cursor"});
  }
  std::vector<MessageRecord> rows;
  DbError error;
  const bool ok = linked ? linkedLegMessages(ctx_.messages, f, ctx_.options.flow, after,
                                             uint64_t{f.limit} + 1, false, rows, error)
                         : ctx_.messages.search(f, after, uint64_t{f.limit} + 1, false, rows, error);
  // Custom header values for the page (the UI's optional list columns): one read per 128 rows.
  if (!ok || !ctx_.messages.attachHeaders(rows, error)) {
    ctx_.log.error("query_failed", {{"endpoint", "messages"}, {"error", error.describe()}});
    return ApiResponse::databaseError(error);
  }
  const bool more = rows.size() > f.limit;
  if (more) rows.resize(f.limit);
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const MessageRecord& m : rows) {
    Poco::JSON::Object::Ptr item = messageJson(m);
    addAliasFields(*item, m, *aliases);
    items->add(item);
  }
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("items", items);
  if (more) o->set("next_cursor", encodeMessageCursor({rows.back().capture_us, rows.back().id}));
  else o->set("next_cursor", Poco::Dynamic::Var());
  return ApiResponse::json(200, o);
}

ApiResponse SearchHandler::message(const ApiRequest& req, const std::string& id) {
  if (auto e = onlyParams(req.query, {})) return ApiResponse::badParameter(*e);
  auto key = parseMessageId(id);
  if (!key) return ApiResponse::error(404, "not_found", "no such message");
  std::optional<MessageRecord> m;
  DbError error;
  std::vector<MessageRecord> one;
  const bool ok = ctx_.messages.byId(*key, m, error) &&
                  (!m || (one.push_back(std::move(*m)), ctx_.messages.attachHeaders(one, error)));
  if (!one.empty()) m = std::move(one.front());
  if (!ok) {
    ctx_.log.error("query_failed", {{"endpoint", "message"}, {"error", error.describe()}});
    return ApiResponse::databaseError(error);
  }
  if (!m) return ApiResponse::error(404, "not_found", "no such message");
  return ApiResponse::json(200, messageDetailJson(*m));
}

namespace {

// Summaries of the calls `keys` (in that order) over [from_us, to_us]; false on a database error.
// `truncated` is set when the calls held more than api.flow_max_messages messages in all (their
// summaries then count only what was read).
bool summarizeCalls(ApiContext& ctx, uint64_t from_us, uint64_t to_us, const std::vector<CallKey>& keys,
                    std::vector<CallSummary>& out, bool& truncated, DbError& error) {
  std::vector<CallRef> calls;
  for (const CallKey& k : keys) calls.push_back(k.call);
  std::vector<MessageRecord> rows;
  if (!calls.empty() && !ctx.messages.byCalls(from_us, to_us, calls, false, rows, error,
                                              ctx.options.flow.max_messages, &truncated))
    return false;
  std::map<CallRef, std::vector<MessageRecord>> by_call;
  for (MessageRecord& m : rows) by_call[m.call()].push_back(std::move(m));
  // The few messages that may carry a call's Q.850 Reason, with their raw (call_summary.h).
  std::vector<MessageCursor> sources;
  for (const auto& [call, messages] : by_call) {
    const auto mine = reasonSources(messages);
    sources.insert(sources.end(), mine.begin(), mine.end());
  }
  std::vector<MessageRecord> with_raw;
  if (!sources.empty() && !ctx.messages.byIds(sources, with_raw, error)) return false;
  for (MessageRecord& r : with_raw) {
    auto it = by_call.find(r.call());
    if (it == by_call.end()) continue;
    for (MessageRecord& m : it->second)
      if (m.id == r.id && m.capture_us == r.capture_us) m.stored_raw = std::move(r.stored_raw);
  }
  const auto aliases = ctx.aliases.table();
  for (const CallKey& k : keys) {
    auto it = by_call.find(k.call);
    out.push_back(it == by_call.end() ? CallSummary{} : summarizeCall(it->second));
    if (it != by_call.end() && !aliases->empty())
      out.back().host_aliases = hostAliases(it->second, out.back().hosts, *aliases);
  }
  return true;
}

// worst_mos / max_loss of the listed calls: one bounded read of sip_qos for the page (issue 15).
bool attachQos(ApiContext& ctx, uint64_t from_us, uint64_t to_us, std::vector<CallSummary>& summaries,
               DbError& error) {
  std::vector<CallRef> calls;
  for (const CallSummary& s : summaries)
    if (s.message_count > 0) calls.push_back(s.call);
  if (calls.empty()) return true;
  std::map<CallRef, QosWorst> worst;
  QosStore store(ctx.pool, ctx.shards);
  if (!store.worstByCalls(from_us, to_us + kQosMarginUs, calls, worst, error)) return false;
  for (CallSummary& s : summaries) {
    auto it = worst.find(s.call);
    if (it == worst.end()) continue;
    s.worst_mos = it->second.mos;
    s.max_loss = it->second.fraction_lost;
  }
  return true;
}

// mos_below=<1..5> (once); nullopt when fine.
std::optional<ParamError> parseMosBelowParam(const QueryParams& query, SearchFilter& f) {
  for (const auto& [name, value] : query) {
    if (name != "mos_below" || value.empty()) continue;
    if (f.mos_below) return ParamError{"mos_below", "given more than once"};
    f.mos_below = parseMosBelow(value);
    if (!f.mos_below) return ParamError{"mos_below", "a MOS from 1 to 5 with at most 2 decimals, like 3.5"};
  }
  return std::nullopt;
}

bool finalMatches(uint16_t final_status, const std::vector<StatusRange>& ranges) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const StatusRange& r) { return final_status >= r.lo && final_status <= r.hi; });
}

// Pages of candidates a final_status search reads before it answers with fewer items and a cursor.
constexpr int kFinalStatusRounds = 20;

}  // namespace

ApiResponse SearchHandler::calls(const ApiRequest& req) {
  SearchFilter f;
  FilterDefaults defaults;
  defaults.range_us = ctx_.options.default_range_us;
  bool linked = false;
  static constexpr std::string_view kCallsExtra[] = {"legs", "final_status", "mos_below"};
  if (auto e = parseSearchFilter(req.query, req.now_us, defaults, kCallsExtra, f))
    return ApiResponse::badParameter(*e);
  if (auto e = parseMosBelowParam(req.query, f)) return ApiResponse::badParameter(*e);
  if (auto e = parseLinkedLegs(req.query, f, linked)) return ApiResponse::badParameter(*e);
  const auto aliases = ctx_.aliases.table();
  if (auto e = resolveAliasFilters(f, *aliases)) return ApiResponse::badParameter(*e);
  // final_status: the call's final response (call_summary.h), not any message of it (`status`).
  std::vector<StatusRange> finals;
  std::string final_list;
  for (const auto& [name, value] : req.query)
    if (name == "final_status" && !value.empty()) final_list += (final_list.empty() ? "" : ",") + value;
  if (!final_list.empty())
    if (auto e = parseStatusList("final_status", final_list, finals)) return ApiResponse::badParameter(*e);
  std::optional<CallCursor> after;
  if (!f.cursor.empty()) {
    after = decodeCallCursor(f.cursor);
    if (!after) return ApiResponse::badParameter({"cursor", "not a cursor from this endpoint's next_cursor"});
  }
  std::vector<CallKey> keys;
  std::vector<CallSummary> summaries;
  bool more = false;
  bool truncated = false;  // a page of calls held more than api.flow_max_messages messages
  DbError error;
  const auto failed = [&] {
    ctx_.log.error("query_failed", {{"endpoint", "calls"}, {"error", error.describe()}});
    return ApiResponse::databaseError(error);
  };
  if (linked) {
    // The flow's legs as calls, by their first message (at most max_legs: one page).
    std::vector<MessageRecord> all;
    if (!linkedLegMessages(ctx_.messages, f, ctx_.options.flow, std::nullopt, UINT64_MAX, false, all, error,
                           &truncated))
      return failed();
    std::vector<CallKey> firsts;
    for (const MessageRecord& m : all) {
      CallRef call = m.call();
      if (std::none_of(firsts.begin(), firsts.end(), [&](const CallKey& k) { return k.call == call; }))
        firsts.push_back({std::move(call), m.capture_us});
    }
    for (CallKey& k : firsts) {
      if (!after || k.first_us > after->first_us ||
          (k.first_us == after->first_us &&
           (k.call.stored > after->call_id ||
            (k.call.stored == after->call_id && k.call.hash > after->call_id_hash))))
        keys.push_back(std::move(k));
    }
  } else if (finals.empty()) {
    if (!ctx_.messages.callPage(f, after, uint64_t{f.limit} + 1, keys, error)) return failed();
  }
  if (finals.empty()) {
    more = keys.size() > f.limit;
    if (more) keys.resize(f.limit);
    if (!summarizeCalls(ctx_, f.from_us, f.to_us, keys, summaries, truncated, error)) return failed();
  } else {
    // A call ends with one of its own responses, so only calls holding such a response are
    // candidates (the index narrows them); their summaries decide. Bounded: after
    // kFinalStatusRounds pages of candidates the answer may hold fewer items and a cursor.
    SearchFilter candidates = f;
    if (candidates.statuses.empty()) candidates.statuses = finals;
    std::optional<CallCursor> pos = after;
    for (int round = 0; round < kFinalStatusRounds && keys.size() <= f.limit; ++round) {
      std::vector<CallKey> batch;
      std::vector<CallSummary> batch_summaries;
      if (!ctx_.messages.callPage(candidates, pos, uint64_t{f.limit} + 1, batch, error)) return failed();
      if (!summarizeCalls(ctx_, f.from_us, f.to_us, batch, batch_summaries, truncated, error))
        return failed();
      for (size_t i = 0; i < batch.size() && keys.size() <= f.limit; ++i) {
        pos = CallCursor{batch[i].first_us, batch[i].call.stored, batch[i].call.hash};
        if (!finalMatches(batch_summaries[i].final_status, finals)) continue;
        keys.push_back(batch[i]);
        summaries.push_back(std::move(batch_summaries[i]));
      }
      if (batch.size() <= f.limit) {  // no candidate left
        pos.reset();
        break;
      }
    }
    if (keys.size() > f.limit) {
      more = true;
      keys.resize(f.limit);
      summaries.resize(f.limit);
    } else if (pos && !(after && pos->first_us == after->first_us && pos->call_id == after->call_id &&
                        pos->call_id_hash == after->call_id_hash)) {
      more = true;  // rounds used up: continue after the last candidate read
      keys.push_back({CallRef{pos->call_id_hash, pos->call_id}, pos->first_us});
      summaries.emplace_back();
    }
  }
  if (!attachQos(ctx_, f.from_us, f.to_us, summaries, error)) return failed();
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const CallSummary& s : summaries)
    if (s.message_count > 0) items->add(callSummaryJson(s));
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("items", items);
  o->set("truncated", truncated);
  if (more)
    o->set("next_cursor",
           encodeCallCursor({keys.back().first_us, keys.back().call.stored, keys.back().call.hash}));
  else o->set("next_cursor", Poco::Dynamic::Var());
  return ApiResponse::json(200, o);
}

std::optional<ApiResponse> parseCallRequest(const ApiRequest& req, const std::string& call_id,
                                            uint64_t default_range_us, CallRef& call, uint64_t& from_us,
                                            uint64_t& to_us) {
  if (auto e = onlyParams(req.query, {"from", "to", "call_ref"})) return ApiResponse::badParameter(*e);
  if (auto e = parseTimeRange(req.query, req.now_us, default_range_us, from_us, to_us))
    return ApiResponse::badParameter(*e);
  if (call_id.empty() || call_id.size() > kMaxCallIdValue) return ApiResponse::error(404, "not_found", "no such call");
  if (auto e = parseCallPath(req.query, call_id, call)) return ApiResponse::badParameter(*e);
  return std::nullopt;
}

ApiResponse SearchHandler::flow(const ApiRequest& req, const std::string& call_id) {
  CallRef call;
  uint64_t from_us = 0, to_us = 0;
  if (auto refused = parseCallRequest(req, call_id, ctx_.options.flow_range_us, call, from_us, to_us)) return *refused;
  CallFlow flow;
  DbError error;
  if (!buildCallFlow(ctx_.messages, call, from_us, to_us, ctx_.options.flow, flow, error)) {
    ctx_.log.error("query_failed", {{"endpoint", "flow"}, {"error", error.describe()}});
    return ApiResponse::databaseError(error);
  }
  if (flow.messages.empty()) return ApiResponse::error(404, "not_found", "no message of this call in the time range");
  return ApiResponse::json(200, callFlowJson(flow, ctx_.aliases.table().get()));
}

}  // namespace sipvault::api
