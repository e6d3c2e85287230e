#pragma once
// Calls (messages grouped by Call-ID) as the calls endpoint reports them. Pure; thread-safe.
//
// For one Call-ID's messages in time order:
//   method       the first request's method (the first message's when there is no request)
//   from_user    that request's From user; to_user its To user, or R-URI user when To has none
//   final_status the last final response (>= 200) to requests of that method; 0 when none
//   final_reason its standard phrase (sip_response.h); state: the INVITE call's outcome
//                (answered, busy, cancelled, no answer, failed; "" for other methods)
//   q850         the Q.850 cause of a Reason header (RFC 3326) in the final response, a CANCEL
//                or a BYE, in that order; only from messages whose raw was loaded (reasonSources)
//   hosts        "ip:port" of every source and destination, in order of first appearance
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "api/message_record.h"
#include "api/sip_response.h"

namespace sipvault::api {

struct CallSummary {
  std::string call_id;
  CallRef call;
  uint64_t first_us = 0;
  uint64_t last_us = 0;
  std::string from_user;
  std::string to_user;
  std::string method;
  uint16_t final_status = 0;
  std::string state;
  std::optional<Q850Reason> q850;
  size_t message_count = 0;
  std::vector<std::string> hosts;
  std::vector<std::string> host_aliases;  // per host: its alias or "" (set by the handler; empty = none known)
  // Issue 15 (set by the handler from sip_qos): the lowest mos and the highest fraction_lost of
  // the call's reports; null in JSON when it has none.
  std::optional<double> worst_mos;
  std::optional<double> max_loss;
};

// Summary of one call; `messages` are its messages, time-ordered (not empty).
[[nodiscard]] CallSummary summarizeCall(std::span<const MessageRecord> messages);
// The messages of a call that may carry its Reason header: the final response to the first
// request's method, CANCELs and BYEs (load their raw, then summarize again).
[[nodiscard]] std::vector<MessageCursor> reasonSources(std::span<const MessageRecord> messages);
// The Q.850 Reason of one message (its raw must be loaded); nullopt when it has none.
[[nodiscard]] std::optional<Q850Reason> q850Of(const MessageRecord& message);
// "ip:port" of every source and destination in order of first appearance.
[[nodiscard]] std::vector<std::string> hostsInOrder(std::span<const MessageRecord> messages);
[[nodiscard]] Poco::JSON::Object::Ptr callSummaryJson(const CallSummary& call);

}  // namespace sipvault::api
