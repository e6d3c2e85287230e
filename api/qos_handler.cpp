#include "api/qos_handler.h"

#include <algorithm>
#include <map>
#include <set>

#include "api/qos_store.h"
#include "api/search_handler.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

// Messages that can carry an offer or answer (RFC 3261 / 3262 / 3311): INVITE, ACK, PRACK and
// UPDATE requests and their 18x / 2xx responses.
bool mayCarrySdp(const MessageRecord& m) {
  if (m.method != "INVITE" && m.method != "ACK" && m.method != "PRACK" && m.method != "UPDATE") return false;
  return m.isRequest() || (m.status >= 180 && m.status < 300);
}

}  // namespace

ApiResponse QosHandler::call(const ApiRequest& req, const std::string& call_id) {
  CallRef call;
  uint64_t from_us = 0, to_us = 0;
  if (auto refused = parseCallRequest(req, call_id, ctx_.options.flow_range_us, call, from_us, to_us)) return *refused;
  return answer(call, from_us, to_us, "qos");
}

ApiResponse QosHandler::answer(const CallRef& call, uint64_t from_us, uint64_t to_us, const char* endpoint) {
  CallFlow flow;
  QosCallView view;
  DbError error;
  if (!buildCallFlow(ctx_.messages, call, from_us, to_us, ctx_.options.flow, flow, error) ||
      (!flow.messages.empty() && !buildQos(flow, view, error))) {
    ctx_.log.error("query_failed", {{"endpoint", endpoint}, {"error", error.describe()}});
    return ApiResponse::databaseError(error);
  }
  if (flow.messages.empty()) return ApiResponse::error(404, "not_found", "no message of this call in the time range");
  return ApiResponse::json(200, qosCallJson(view));
}

bool QosHandler::buildQos(const CallFlow& flow, QosCallView& view, DbError& error) {
  view.call_id = flow.call_id;
  view.truncated = flow.truncated;
  const uint64_t first = flow.messages.front().capture_us;
  const uint64_t last = flow.messages.back().capture_us;
  view.window_from_us = first > kQosMarginUs ? first - kQosMarginUs : 0;
  view.window_to_us = last + kQosMarginUs;
  for (const FlowLeg& leg : flow.legs) view.legs.push_back({leg, {}});

  // The legs' SDP: the raw of the messages that may carry it, at most kMaxSdpMessages.
  std::vector<MessageCursor> keys;
  std::map<std::pair<uint64_t, uint64_t>, size_t> leg_of_message;
  for (size_t i = 0; i < flow.messages.size(); ++i) {
    const MessageRecord& m = flow.messages[i];
    if (!mayCarrySdp(m)) continue;
    if (keys.size() >= kMaxSdpMessages) {
      view.truncated = true;
      break;
    }
    keys.push_back({m.capture_us, m.id});
    leg_of_message[{m.capture_us, m.id}] = flow.message_leg[i];
  }
  std::vector<MessageRecord> with_raw;
  if (!keys.empty() && !ctx_.messages.byIds(keys, with_raw, error)) return false;
  std::sort(with_raw.begin(), with_raw.end(), [](const MessageRecord& a, const MessageRecord& b) {
    return a.capture_us != b.capture_us ? a.capture_us < b.capture_us : a.id < b.id;
  });
  std::vector<MediaAddress> all_media;  // first leg to name an address owns its reports
  std::vector<size_t> media_leg;
  for (const MessageRecord& m : with_raw) {
    auto leg = leg_of_message.find({m.capture_us, m.id});
    const std::optional<std::string> raw = m.raw();
    if (leg == leg_of_message.end() || !raw) continue;
    const std::string sdp = sdpOfMessage(*raw);
    if (sdp.empty()) continue;
    std::vector<MediaAddress>& media = view.legs[leg->second].media;
    appendMediaAddresses(sdp, media);
    for (const MediaAddress& a : media) {
      if (std::find(all_media.begin(), all_media.end(), a) != all_media.end()) continue;
      if (all_media.size() >= kMaxMediaAddresses * 4) break;
      all_media.push_back(a);
      media_leg.push_back(leg->second);
    }
  }

  QosStore store(ctx_.pool, ctx_.shards);
  std::vector<CallRef> refs;
  for (const FlowLeg& leg : flow.legs) refs.push_back(leg.ref);
  std::vector<QosRecord> reports;
  if (!store.byCalls(view.window_from_us, view.window_to_us, refs, kMaxQosReports, reports, view.truncated, error))
    return false;
  const size_t correlated = reports.size();
  if (!store.fromAddresses(view.window_from_us, view.window_to_us, all_media,
                           kMaxQosReports > correlated ? kMaxQosReports - correlated : 0, reports, view.truncated,
                           error))
    return false;
  std::vector<size_t> order(reports.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const QosRecord& x = reports[a];
    const QosRecord& y = reports[b];
    return x.capture_us != y.capture_us ? x.capture_us < y.capture_us : x.id < y.id;
  });
  for (size_t i : order) {
    const QosRecord& r = reports[i];
    size_t leg = 0;
    if (r.correlated()) {
      auto it = std::find_if(flow.legs.begin(), flow.legs.end(),
                             [&](const FlowLeg& l) { return l.ref.hash == r.call_id_hash && l.ref.stored == r.call_id; });
      leg = it == flow.legs.end() ? 0 : static_cast<size_t>(it - flow.legs.begin());
    } else {
      auto it = std::find(all_media.begin(), all_media.end(), MediaAddress{r.src_ip, r.src_port, false});
      leg = it == all_media.end() ? 0 : media_leg[static_cast<size_t>(it - all_media.begin())];
    }
    view.reports.push_back(r);
    view.report_leg.push_back(leg);
  }
  if (view.reports.empty() &&
      !store.countUncorrelated(view.window_from_us, view.window_to_us, kMaxQosReports, view.uncorrelated_count, error))
    return false;
  return true;
}

}  // namespace sipvault::api
