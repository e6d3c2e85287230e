#include "api/call_flow.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <map>
#include <optional>

#include "api/call_summary.h"

namespace sipvault::api {
namespace {

struct Candidate {
  std::string call_id;
  std::string relation;
};

// The set-up phase of a call: from its first request to the first final response to it (or
// `open_end` after the request when no final response was captured).
struct Setup {
  uint64_t start = 0;
  uint64_t end = 0;
};

std::optional<Setup> setupOf(const std::vector<MessageRecord>& messages, uint64_t open_end) {
  auto request = std::find_if(messages.begin(), messages.end(), [](const MessageRecord& m) { return m.isRequest(); });
  if (request == messages.end()) return std::nullopt;
  Setup s{request->capture_us, request->capture_us + open_end};
  for (auto it = request; it != messages.end(); ++it) {
    if (!it->isRequest() && it->status >= 200 && it->method == request->method && it->cseq == request->cseq) {
      s.end = it->capture_us;
      break;
    }
  }
  return s;
}

}  // namespace

bool buildCallFlow(MessageStore& store, const std::string& call_id, uint64_t from_us, uint64_t to_us,
                   const FlowOptions& options, CallFlow& out, DbError& error) {
  out = CallFlow{};
  out.call_id = call_id;
  std::map<std::string, size_t> leg_of;  // call_id -> index in out.legs
  std::vector<MessageRecord> all;

  std::vector<MessageRecord> main;
  const std::string ids[] = {call_id};
  if (!store.byCallIds(from_us, to_us, ids, false, main, error)) return false;
  if (main.empty()) return true;
  out.legs.push_back({call_id, "self"});
  leg_of[call_id] = 0;

  // Breadth-first over explicit links; `pending` holds legs whose links are not yet followed.
  std::vector<size_t> pending{0};
  std::map<std::string, std::vector<MessageRecord>> messages_of;
  messages_of[call_id] = std::move(main);
  while (!pending.empty() && out.legs.size() < options.max_legs) {
    const size_t leg = pending.front();
    pending.erase(pending.begin());
    const std::string leg_id = out.legs[leg].call_id;
    std::vector<Candidate> candidates;
    auto consider = [&](const std::string& id, const char* relation) {
      if (id.empty() || leg_of.count(id)) return;
      for (const Candidate& c : candidates)
        if (c.call_id == id) return;
      candidates.push_back({id, relation});
    };
    // Links from this leg to others...
    for (const MessageRecord& m : messages_of[leg_id]) {
      consider(m.x_cid, "x-cid");
      consider(m.correlation_id, "correlation");
    }
    // ...and from others to this leg.
    std::vector<MessageRecord> pointing;
    if (!store.referencing(from_us, to_us, leg_id, pointing, error)) return false;
    for (const MessageRecord& m : pointing) consider(m.call_id, m.x_cid == leg_id ? "x-cid" : "correlation");
    if (candidates.empty()) continue;

    std::vector<std::string> wanted;
    for (const Candidate& c : candidates) wanted.push_back(c.call_id);
    std::vector<MessageRecord> found;
    if (!store.byCallIds(from_us, to_us, wanted, false, found, error)) return false;
    for (const Candidate& c : candidates) {
      if (out.legs.size() >= options.max_legs) break;
      std::vector<MessageRecord> mine;
      for (const MessageRecord& m : found)
        if (m.call_id == c.call_id) mine.push_back(m);
      if (mine.empty()) continue;  // a link to a call with nothing stored in the range
      leg_of[c.call_id] = out.legs.size();
      pending.push_back(out.legs.size());
      out.legs.push_back({c.call_id, c.relation});
      messages_of[c.call_id] = std::move(mine);
    }
  }

  // B2BUA legs by numbers: a call between the same numbers whose set-up overlaps ours (a B2BUA
  // sends the outgoing INVITE after the incoming one arrived and answers the incoming one after
  // the outgoing one was answered). Repeated calls between the same numbers do not overlap.
  const std::vector<MessageRecord>& own = messages_of[call_id];
  auto request = std::find_if(own.begin(), own.end(), [](const MessageRecord& m) { return m.isRequest(); });
  const std::optional<Setup> own_setup = setupOf(own, options.inferred_window_us);
  if (request != own.end() && own_setup && out.legs.size() < options.max_legs) {
    const std::string b = request->to_user.empty() ? request->ruri_user : request->to_user;
    if (!request->from_user.empty() && !b.empty()) {
      const uint64_t t = request->capture_us;
      std::vector<std::string> same;
      if (!store.sameNumbers(t > options.inferred_window_us ? t - options.inferred_window_us : 0,
                             t + options.inferred_window_us, request->from_user, b, call_id, options.max_legs * 4,
                             same, error))
        return false;
      same.erase(std::remove_if(same.begin(), same.end(), [&](const std::string& id) { return leg_of.count(id) > 0; }),
                 same.end());
      if (!same.empty()) {
        std::vector<MessageRecord> found;
        if (!store.byCallIds(from_us, to_us, same, false, found, error)) return false;
        for (const std::string& id : same) {
          if (out.legs.size() >= options.max_legs) break;
          std::vector<MessageRecord> mine;
          for (const MessageRecord& m : found)
            if (m.call_id == id) mine.push_back(m);
          const std::optional<Setup> setup = setupOf(mine, options.inferred_window_us);
          if (!setup || std::max(setup->start, own_setup->start) > std::min(setup->end, own_setup->end)) continue;
          leg_of[id] = out.legs.size();
          out.legs.push_back({id, "inferred"});
          messages_of[id] = std::move(mine);
        }
      }
    }
  }

  for (auto& [id, list] : messages_of)
    if (leg_of.count(id)) all.insert(all.end(), std::make_move_iterator(list.begin()), std::make_move_iterator(list.end()));
  std::sort(all.begin(), all.end(), [](const MessageRecord& a, const MessageRecord& b) {
    return a.capture_us != b.capture_us ? a.capture_us < b.capture_us : a.id < b.id;
  });
  out.messages = std::move(all);
  out.message_leg.reserve(out.messages.size());
  for (const MessageRecord& m : out.messages) out.message_leg.push_back(leg_of[m.call_id]);
  out.hosts = hostsInOrder(out.messages);
  return true;
}

Poco::JSON::Object::Ptr callFlowJson(const CallFlow& flow) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("call_id", jsonText(flow.call_id));
  Poco::JSON::Array::Ptr hosts = new Poco::JSON::Array;
  for (const std::string& h : flow.hosts) hosts->add(h);
  o->set("hosts", hosts);
  Poco::JSON::Array::Ptr legs = new Poco::JSON::Array;
  for (const FlowLeg& leg : flow.legs) {
    Poco::JSON::Object::Ptr l = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    l->set("call_id", jsonText(leg.call_id));
    l->set("relation", leg.relation);
    legs->add(l);
  }
  o->set("legs", legs);
  Poco::JSON::Array::Ptr messages = new Poco::JSON::Array;
  for (size_t i = 0; i < flow.messages.size(); ++i) {
    Poco::JSON::Object::Ptr m = messageJson(flow.messages[i]);
    const FlowLeg& leg = flow.legs[flow.message_leg[i]];
    m->set("leg", jsonText(leg.call_id));
    m->set("inferred", leg.relation == "inferred");
    messages->add(m);
  }
  o->set("messages", messages);
  return o;
}

}  // namespace sipvault::api
