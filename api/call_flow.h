#pragma once
// One call's flow for a ladder diagram: every message of the Call-ID from every capture point,
// plus the messages of correlated legs, time-ordered, and the hosts in order of appearance.
//
// Legs (relation):
//   self         the requested Call-ID
//   x-cid        a leg linked by an X-CID header: a message of one leg carries the other's Call-ID
//   correlation  a leg linked by the HEP correlation id (chunk 17) in the same way
//   rule         a leg whose messages share a correlation link value with this one: a value the
//                parser's parser.correlation rules stored in sip_headers (P-Charging-Vector
//                icid-value, a Session-ID UUID, a named header's regex capture)
//   inferred     a B2BUA leg guessed from a request with the same From and To (or R-URI) numbers
//                that starts within `inferred_window` of the requested call's first request and
//                whose set-up (first request .. its first final response) overlaps the requested
//                call's set-up; its messages are marked "inferred": true. Back-to-back repeated
//                calls between the same numbers do not overlap and are not taken.
// Every linked leg says why (FlowLeg::rule and link_value): the rule's name ("x-cid",
// "correlation", or the parser's rule name such as "icid") and the value that tied it.
// Explicit links are followed transitively (A -> B -> C) up to `max_legs` legs in all.
//
// Thread-safe (uses MessageStore only); errors are DbError values.
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/message_record.h"
#include "api/message_store.h"
#include "store/alias_table.h"

namespace sipvault::api {

struct FlowOptions {
  uint64_t inferred_window_us = 10ull * 1000000;  // api.flow_inferred_window_s
  size_t max_legs = 16;                            // including the requested call
  // api.flow_max_messages: messages read for one flow (or one page of calls) at most; more ->
  // "truncated": true, never a silently wrong message_count.
  uint64_t max_messages = 100000;
};

struct FlowLeg {
  std::string call_id;   // as stored (the first kCallIdWidth bytes of a longer Call-ID)
  std::string relation;  // "self", "x-cid", "correlation", "rule", "inferred"
  CallRef ref;           // the call exactly (see CallRef)
  std::string rule;        // why it is linked: "x-cid", "correlation" or the rule's name; "" for self/inferred
  std::string link_value;  // the value both legs carry
};

struct CallFlow {
  std::string call_id;  // as stored
  std::vector<FlowLeg> legs;
  std::vector<MessageRecord> messages;  // time-ordered
  std::vector<size_t> message_leg;      // index into legs, per message
  std::vector<std::string> hosts;       // "ip:port", order of first appearance
  // Something was left out: more messages than max_messages, or more linked calls than were
  // looked at (max_legs x 4 candidates per leg).
  bool truncated = false;
};

// Fills `out` for `call` (CallRef::of(call_id) for a Call-ID as given); out.messages stays empty
// when the call has no message in [from_us, to_us]. out.call_id is the call's stored Call-ID.
[[nodiscard]] bool buildCallFlow(MessageStore& store, const CallRef& call, uint64_t from_us, uint64_t to_us,
                                 const FlowOptions& options, CallFlow& out, store::DbError& error);

// With `aliases`: "host_aliases" (one name or null per host) and src_alias/dst_alias per message.
// Share links pass none: alias names are the operator's internal naming, not for a carrier.
[[nodiscard]] Poco::JSON::Object::Ptr callFlowJson(const CallFlow& flow, const store::AliasTable* aliases = nullptr);

// The call a per-call endpoint names (`/calls/{call_id}/flow`, `/calls/{call_id}/qos`): the path's
// Call-ID, or the `call_ref` parameter, which must name the same call (the text the api printed
// for it, or its stored bytes). nullopt with `call` set; a ParamError for a bad call_ref. `call_id`
// must be 1..kMaxCallIdValue bytes (the caller answers 404 otherwise).
[[nodiscard]] std::optional<ParamError> parseCallPath(const QueryParams& query, const std::string& call_id,
                                                      CallRef& call);

// `legs=linked` on a search (messages, calls, export): the call named by call_id / call_ref with
// every leg its flow has, so that a list or a file holds what the ladder shows. Only the call, the
// time range, limit and cursor combine with it; `linked` says whether it was asked for. Pure.
[[nodiscard]] std::optional<ParamError> parseLinkedLegs(const QueryParams& query, const SearchFilter& filter,
                                                        bool& linked);

// The messages of every leg of `filter`'s call (see parseLinkedLegs), time-ordered, after `after`
// (a message cursor), at most `limit`. Bounded like the flow: options.max_legs legs.
[[nodiscard]] bool linkedLegMessages(MessageStore& store, const SearchFilter& filter,
                                     const FlowOptions& options, const std::optional<MessageCursor>& after,
                                     uint64_t limit, bool with_raw, std::vector<MessageRecord>& out,
                                     store::DbError& error, bool* truncated = nullptr);

}  // namespace sipvault::api
