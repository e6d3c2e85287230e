#pragma once
// The ingest policy: which parsed SIP messages are stored (and in which storage class), counted
// only (summarized) or dropped. Rules come from the parser's config (policy.rule.N.*, see
// parser/README.md and docs/operations.md "Ingest policy"); the first rule that matches decides,
// and a message no rule matches is stored as a call.
//
// Pure: no I/O, no clocks, no allocation while matching. Not thread-safe to build, safe to match
// from many threads once built (match() is const).
//
// A rule matches when every criterion it sets matches (an unset criterion matches anything);
// inside one criterion the listed values are alternatives:
//   method       OPTIONS,REGISTER     request method, or the CSeq method of a response (case-insensitive)
//   kind         request | response
//   status       1xx,200,480-489      response status: exact, class (Nxx) or range; never matches a request
//   src / dst    10.0.0.0/8,192.0.2.7 IPv4/IPv6 address or CIDR prefix
//   port         5060,5061            source or destination port; src_port / dst_port: one side
//   capture_id   101,102              HEP capture id
//   node         sbc-fra-1            HEP node name (exact)
//   user_agent   friendly-scanner     substring of User-Agent / Server (case-insensitive)
// Actions: store:<class> (proto/storage_class.h), drop, summarize.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/storage_class.h"

namespace sipvault::parser {

enum class PolicyAction : uint8_t { Store, Drop, Summarize };

// What a rule looks at, borrowed from the parsed message and its packet.
struct PolicySubject {
  std::string_view method;  // transaction method (CSeq method on responses)
  bool is_request = true;
  uint32_t status = 0;      // 0 on requests
  std::string_view src_ip;  // 4 or 16 bytes, network order
  std::string_view dst_ip;
  uint32_t src_port = 0;
  uint32_t dst_port = 0;
  uint32_t capture_id = 0;
  std::string_view node;
  std::string_view user_agent;
};

struct IpPrefix {
  std::string address;  // 4 or 16 bytes, network order
  uint32_t bits = 0;    // prefix length
  [[nodiscard]] bool contains(std::string_view ip) const;
};

struct StatusRange {
  uint32_t low = 0;
  uint32_t high = 0;
};

struct PolicyRule {
  std::string name;  // the N of policy.rule.N, or policy.rule.N.name; the metric's label
  std::vector<std::string> methods;  // upper case
  std::optional<bool> is_request;
  std::vector<StatusRange> statuses;
  std::vector<IpPrefix> src, dst;
  std::vector<uint32_t> ports, src_ports, dst_ports, capture_ids;
  std::vector<std::string> nodes;
  std::string user_agent;  // lower case; empty = any
  PolicyAction action = PolicyAction::Store;
  StorageClass storage_class = StorageClass::Calls;  // for Store

  [[nodiscard]] bool matches(const PolicySubject& s) const;
};

// Parses one rule from its keys without the "policy.rule.N." prefix ("match.method", "action",
// "name"). nullopt with `error` naming the key and the problem on a bad value or unknown key.
[[nodiscard]] std::optional<PolicyRule> parsePolicyRule(std::string_view default_name,
                                                        const std::map<std::string, std::string>& keys,
                                                        std::string& error);

// "10.0.0.0/8", "192.0.2.7", "2001:db8::/32"; nullopt when it is not one.
[[nodiscard]] std::optional<IpPrefix> parseIpPrefix(std::string_view text);

class IngestPolicy {
 public:
  IngestPolicy() = default;
  explicit IngestPolicy(std::vector<PolicyRule> rules) : rules_(std::move(rules)) {}

  // Index of the first rule that matches, or -1: no rule (store as a call).
  [[nodiscard]] int match(const PolicySubject& s) const;

  [[nodiscard]] const std::vector<PolicyRule>& rules() const { return rules_; }

 private:
  std::vector<PolicyRule> rules_;
};

[[nodiscard]] std::string_view policyActionName(PolicyAction a);

}  // namespace sipvault::parser
