#include "api/call_flow.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <set>

#include "api/alias_cache.h"
#include "api/call_summary.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

struct Candidate {
  CallRef ref;
  std::string relation;
  std::string rule;
  std::string value;
};

// The set-up phase of a call: from its first request to the first final response to it (or
// `open_end` after the request when no final response was captured).
struct Setup {
  uint64_t start = 0;
  uint64_t end = 0;
};

// What points at a leg from other calls: messages whose X-CID or correlation id is its Call-ID,
// and the correlation link values (sip_headers kind 1) its messages carry. The two reads run side
// by side: on a cluster head every statement pays a fan-out (docs/cluster.md), and a flow's
// latency is its number of rounds. The link values are read by the leg's message keys, on the
// shards holding them, and not at all when the writer stored no header rows for those messages;
// what points at the leg can be on any shard.
struct LegLinks {
  std::vector<MessageRecord> pointing;
  std::vector<LinkValue> values;
  DbError error;
  bool ok = false;
};

LegLinks readPointing(MessageStore& store, uint64_t from_us, uint64_t to_us, const CallRef& leg) {
  LegLinks out;
  out.ok = store.referencing(from_us, to_us, leg, nullptr, out.pointing, out.error);
  return out;
}

// Completes `links` (what points at the leg, read) with the link values of the leg's `messages`.
void addLinkValues(MessageStore& store, const std::vector<MessageRecord>& messages, size_t max_values,
                   LegLinks& links) {
  if (links.ok) links.ok = store.linkValues(messages, max_values, links.values, links.error);
}

LegLinks readLegLinks(MessageStore& store, uint64_t from_us, uint64_t to_us, const CallRef& leg,
                      const std::vector<MessageRecord>& messages, size_t max_values) {
  auto pointing = std::async(std::launch::async, readPointing, std::ref(store), from_us, to_us, std::cref(leg));
  LegLinks values;
  values.ok = true;
  addLinkValues(store, messages, max_values, values);
  LegLinks out = pointing.get();
  if (out.ok && !values.ok) out.error = values.error;
  out.ok = out.ok && values.ok;
  out.values = std::move(values.values);
  return out;
}

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

bool buildCallFlow(MessageStore& store, const CallRef& call, uint64_t from_us, uint64_t to_us,
                   const FlowOptions& options, CallFlow& out, DbError& error) {
  out = CallFlow{};
  out.call_id = call.stored;
  // Legs are keyed by CallRef, not by Call-ID text: a row keeps only the first 255 bytes of a
  // Call-ID, and the writer's key of the full one is what finds the rest of a long Call-ID's call.
  std::map<CallRef, size_t> leg_of;  // call -> index in out.legs
  std::vector<MessageRecord> all;

  // Every read counts against one budget, max_messages for the whole flow.
  uint64_t read = 0;
  auto fetch = [&](std::span<const CallRef> calls, std::vector<MessageRecord>& found) {
    const uint64_t left = options.max_messages > read ? options.max_messages - read : 0;
    if (left == 0) {
      out.truncated = true;
      return true;
    }
    if (!store.byCalls(from_us, to_us, calls, false, found, error, left, &out.truncated)) return false;
    read += found.size();
    return true;
  };
  const CallRef self = call;
  const size_t max_candidates = options.max_legs * 4;
  // Round 1: the call's own messages.
  std::vector<MessageRecord> main;
  if (!fetch(std::span(&self, 1), main)) return false;
  if (main.empty()) return true;
  out.legs.push_back({self.stored, "self", self, "", ""});
  leg_of[self] = 0;

  // B2BUA legs by numbers (below) need only the call's own first request.
  auto request = std::find_if(main.begin(), main.end(), [](const MessageRecord& m) { return m.isRequest(); });
  const std::optional<Setup> own_setup = setupOf(main, options.inferred_window_us);
  std::string a_number, b_number;
  uint64_t request_us = 0;
  if (request != main.end() && own_setup && out.legs.size() < options.max_legs) {
    a_number = request->from_user;
    b_number = request->to_user.empty() ? request->ruri_user : request->to_user;
    request_us = request->capture_us;
  }
  const bool by_numbers = !a_number.empty() && !b_number.empty();
  const uint64_t window = options.inferred_window_us;
  const uint64_t numbers_from = request_us > window ? request_us - window : 0, numbers_to = request_us + window;

  // Round 2: one statement to the per-call index for both what points at the call and the calls
  // between its numbers (most calls: nothing, and no further statement), beside its link values.
  std::vector<CallKeyLookup> lookups{MessageStore::referencingLookup(from_us, to_us, self)};
  if (by_numbers) lookups.push_back(MessageStore::sameNumbersLookup(numbers_from, numbers_to, a_number));
  LegLinks first_links;
  first_links.ok = true;
  auto values = std::async(std::launch::async, addLinkValues, std::ref(store), std::cref(main), max_candidates,
                           std::ref(first_links));
  std::vector<KeyedCalls> keyed;
  const bool keyed_ok = store.callsWithKeys(lookups, keyed, error);
  values.get();
  if (!keyed_ok) return false;
  if (!first_links.ok || !store.referencing(from_us, to_us, self, &keyed[0], first_links.pointing, error)) {
    if (!first_links.ok) error = first_links.error;
    return false;
  }
  std::vector<CallRef> same;
  DbError same_error;
  std::future<bool> same_numbers;
  if (by_numbers) {  // its messages, if any other call had the numbers, are read while the links are followed
    same_numbers = std::async(std::launch::async, [&] {
      return store.sameNumbers(numbers_from, numbers_to, a_number, b_number, self, max_candidates, &keyed[1], same,
                               same_error);
    });
  }
  // (A std::async future waits in its destructor: no return below leaves it writing into this frame.)

  // Breadth-first over explicit links; `pending` holds legs whose links are not yet followed.
  std::vector<size_t> pending{0};
  std::map<CallRef, std::vector<MessageRecord>> messages_of;
  messages_of[self] = std::move(main);
  while (!pending.empty() && out.legs.size() < options.max_legs) {
    const size_t leg = pending.front();
    pending.erase(pending.begin());
    const CallRef leg_ref = out.legs[leg].ref;
    LegLinks links = leg == 0 ? std::move(first_links)
                              : readLegLinks(store, from_us, to_us, leg_ref, messages_of[leg_ref], max_candidates);
    if (!links.ok) {
      error = links.error;
      return false;
    }
    // A leg's messages may name thousands of distinct calls (X-CID is any header text): a set
    // de-duplicates them, and only as many as the legs left could use are looked up.
    std::vector<Candidate> candidates;
    std::set<CallRef> seen;
    auto consider = [&](const CallRef& ref, const char* relation, const std::string& rule, const std::string& value) {
      if (ref.stored.empty() || leg_of.count(ref) || seen.count(ref)) return;
      if (candidates.size() >= max_candidates) {
        out.truncated = true;
        return;
      }
      seen.insert(ref);
      candidates.push_back({ref, relation, rule, value});
    };
    // Links from this leg to others (the columns hold the first 255 bytes of the linked Call-ID;
    // a longer one is not found from this side, but the other side's link below finds it)...
    for (const MessageRecord& m : messages_of[leg_ref]) {
      if (!m.x_cid.empty()) consider(CallRef::of(m.x_cid), "x-cid", "x-cid", m.x_cid);
      if (!m.correlation_id.empty())
        consider(CallRef::of(m.correlation_id), "correlation", "correlation", m.correlation_id);
    }
    // ...and from others to this leg.
    for (const MessageRecord& m : links.pointing) {
      const bool by_x_cid = m.x_cid == leg_ref.stored;
      consider(m.call(), by_x_cid ? "x-cid" : "correlation", by_x_cid ? "x-cid" : "correlation", leg_ref.stored);
    }
    // ...and legs sharing a correlation link value (parser.correlation rules, sip_headers kind 1):
    // an icid-value or Session-ID UUID a B2BUA passes from one leg to the other.
    if (links.values.size() >= max_candidates) out.truncated = true;
    for (const LinkValue& link : links.values) {
      std::vector<CallRef> linked;
      if (!store.linkedCalls(from_us, to_us, link, leg_ref, max_candidates, linked, error)) return false;
      for (const CallRef& ref : linked) consider(ref, "rule", link.rule, link.value);
    }
    if (candidates.empty()) continue;

    std::vector<CallRef> wanted;
    for (const Candidate& c : candidates) wanted.push_back(c.ref);
    std::vector<MessageRecord> found;
    if (!fetch(wanted, found)) return false;
    for (const Candidate& c : candidates) {
      if (out.legs.size() >= options.max_legs) break;
      std::vector<MessageRecord> mine;
      for (const MessageRecord& m : found)
        if (belongsTo(m, c.ref)) mine.push_back(m);
      if (mine.empty()) continue;  // a link to a call with nothing stored in the range
      leg_of[c.ref] = out.legs.size();
      pending.push_back(out.legs.size());
      out.legs.push_back({c.ref.stored, c.relation, c.ref, c.rule, c.value});
      messages_of[c.ref] = std::move(mine);
    }
  }

  // B2BUA legs by numbers: a call between the same numbers whose set-up overlaps ours (a B2BUA
  // sends the outgoing INVITE after the incoming one arrived and answers the incoming one after
  // the outgoing one was answered). Repeated calls between the same numbers do not overlap.
  if (same_numbers.valid()) {
    if (!same_numbers.get()) {
      error = same_error;
      return false;
    }
    same.erase(std::remove_if(same.begin(), same.end(), [&](const CallRef& ref) { return leg_of.count(ref) > 0; }),
               same.end());
    if (!same.empty() && out.legs.size() < options.max_legs) {
      std::vector<MessageRecord> found;
      if (!fetch(same, found)) return false;
      for (const CallRef& ref : same) {
        if (out.legs.size() >= options.max_legs) break;
        std::vector<MessageRecord> mine;
        for (const MessageRecord& m : found)
          if (belongsTo(m, ref)) mine.push_back(m);
        const std::optional<Setup> setup = setupOf(mine, options.inferred_window_us);
        if (!setup || std::max(setup->start, own_setup->start) > std::min(setup->end, own_setup->end)) continue;
        leg_of[ref] = out.legs.size();
        out.legs.push_back({ref.stored, "inferred", ref, "", ""});
        messages_of[ref] = std::move(mine);
      }
    }
  }

  for (auto& [ref, list] : messages_of) {
    if (leg_of.count(ref))
      all.insert(all.end(), std::make_move_iterator(list.begin()), std::make_move_iterator(list.end()));
  }
  std::sort(all.begin(), all.end(), [](const MessageRecord& a, const MessageRecord& b) {
    return a.capture_us != b.capture_us ? a.capture_us < b.capture_us : a.id < b.id;
  });
  out.messages = std::move(all);
  out.message_leg.reserve(out.messages.size());
  for (const MessageRecord& m : out.messages) {
    auto leg = leg_of.find(m.call());  // always there: every message came from a leg
    out.message_leg.push_back(leg == leg_of.end() ? 0 : leg->second);
  }
  out.hosts = hostsInOrder(out.messages);
  return true;
}

Poco::JSON::Object::Ptr callFlowJson(const CallFlow& flow, const store::AliasTable* aliases) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("call_id", jsonText(flow.call_id));
  Poco::JSON::Array::Ptr hosts = new Poco::JSON::Array;
  for (const std::string& h : flow.hosts) hosts->add(h);
  o->set("hosts", hosts);
  if (aliases) {
    // The ladder's column titles: one entry per host, the alias or null.
    Poco::JSON::Array::Ptr names = new Poco::JSON::Array;
    for (const std::string& n : hostAliases(flow.messages, flow.hosts, *aliases))
      names->add(n.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(n));
    o->set("host_aliases", names);
  }
  Poco::JSON::Array::Ptr legs = new Poco::JSON::Array;
  for (const FlowLeg& leg : flow.legs) {
    Poco::JSON::Object::Ptr l = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    l->set("call_id", jsonText(leg.call_id));
    l->set("call_ref", encodeCallRef(leg.ref));
    l->set("relation", leg.relation);
    if (!leg.rule.empty()) {
      Poco::JSON::Object::Ptr why = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      why->set("rule", jsonText(leg.rule));
      why->set("value", jsonText(leg.link_value));
      l->set("linked_by", why);
    }
    legs->add(l);
  }
  o->set("legs", legs);
  o->set("truncated", flow.truncated);
  Poco::JSON::Array::Ptr messages = new Poco::JSON::Array;
  for (size_t i = 0; i < flow.messages.size(); ++i) {
    Poco::JSON::Object::Ptr m = messageJson(flow.messages[i]);
    if (aliases) addAliasFields(*m, flow.messages[i], *aliases);
    const FlowLeg& leg = flow.legs[flow.message_leg[i]];
    m->set("leg", jsonText(leg.call_id));
    m->set("inferred", leg.relation == "inferred");
    messages->add(m);
  }
  o->set("messages", messages);
  return o;
}

std::optional<ParamError> parseCallPath(const QueryParams& query, const std::string& call_id, CallRef& call) {
  call = CallRef::of(call_id);
  // call_ref names the call exactly when its Call-ID is not UTF-8 or longer than the column (the
  // path then holds the text the api showed for it, or the Call-ID's bytes; either must match).
  for (const auto& [name, value] : query) {
    if (name != "call_ref" || value.empty()) continue;
    auto ref = decodeCallRef(value);
    if (!ref) return ParamError{"call_ref", "not a call_ref from this api"};
    if (jsonText(ref->stored) != call_id && ref->stored != std::string_view(call_id).substr(0, kCallIdWidth))
      return ParamError{"call_ref", "names another call than the path's Call-ID"};
    call = std::move(*ref);
  }
  return std::nullopt;
}

std::optional<ParamError> parseLinkedLegs(const QueryParams& query, const SearchFilter& filter,
                                          bool& linked) {
  linked = false;
  for (const auto& [name, value] : query) {
    if (name != "legs" || value.empty()) continue;
    if (value != "linked") return ParamError{"legs", "expected legs=linked (the call with its linked legs)"};
    linked = true;
  }
  if (!linked) return std::nullopt;
  if (!filter.call_id && !filter.call_ref) return ParamError{"legs", "legs=linked needs call_id or call_ref"};
  if (filter.call_id && filter.call_id->find('*') != std::string::npos)
    return ParamError{"call_id", "legs=linked needs one exact Call-ID, not a * pattern"};
  static constexpr std::string_view kAllowed[] = {"legs",     "from",  "to",    "call_id",
                                                  "call_ref", "limit", "cursor"};
  for (const auto& [name, value] : query) {
    if (!value.empty() && std::find(std::begin(kAllowed), std::end(kAllowed), name) == std::end(kAllowed))
      return ParamError{name, "cannot be combined with legs=linked (the result is the whole call)"};
  }
  return std::nullopt;
}

bool linkedLegMessages(MessageStore& store, const SearchFilter& filter, const FlowOptions& options,
                       const std::optional<MessageCursor>& after, uint64_t limit, bool with_raw,
                       std::vector<MessageRecord>& out, DbError& error, bool* truncated) {
  CallFlow flow;
  const CallRef call = filter.call_ref ? *filter.call_ref : CallRef::of(filter.call_id.value_or(""));
  if (!buildCallFlow(store, call, filter.from_us, filter.to_us, options, flow, error)) return false;
  std::vector<CallRef> legs;
  for (const FlowLeg& leg : flow.legs) legs.push_back(leg.ref);
  std::vector<MessageRecord> all;
  if (truncated && flow.truncated) *truncated = true;
  if (!legs.empty() && !store.byCalls(filter.from_us, filter.to_us, legs, with_raw, all, error,
                                      options.max_messages, truncated))
    return false;
  std::stable_sort(all.begin(), all.end(), [](const MessageRecord& a, const MessageRecord& b) {
    return a.capture_us != b.capture_us ? a.capture_us < b.capture_us : a.id < b.id;
  });
  for (MessageRecord& m : all) {
    if (out.size() >= limit) break;
    if (after &&
        (m.capture_us < after->capture_us || (m.capture_us == after->capture_us && m.id <= after->id)))
      continue;
    out.push_back(std::move(m));
  }
  return true;
}

}  // namespace sipvault::api
