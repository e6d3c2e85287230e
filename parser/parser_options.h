#pragma once
// Everything sipvault-parser can be told, filled once in main from CLI + config file.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "parser/ingest_policy.h"

namespace Poco::Util {
class AbstractConfiguration;
}

namespace sipvault::parser {

struct ParserOptions {
  // ZeroMQ input: every collector's output, connected (common/bus.h syntax). parser.input
  std::string input = "connect:tcp://127.0.0.1:5560";
  // ZeroMQ output: every writer's input, connected. parser.output
  std::string output = "connect:tcp://127.0.0.1:5570";
  // This worker's id, stamped on its batches. parser.id
  uint32_t parser_id = 1;
  // SIP that fails to parse: true = keep it raw with the reason (sip_rejects table), false = count
  // and drop. parser.keep_rejects
  bool keep_rejects = true;
  // Non-SIP HEP payloads (RTCP JSON, logs, ...): true = pass them on for the hep_other table,
  // false = count and drop. parser.keep_non_sip
  bool keep_non_sip = true;
  // ZeroMQ high-water marks (batches). parser.bus_hwm
  int bus_hwm = 100;
  // Ingest policy rules in order (parser/ingest_policy.h): policy.rule.N.name, policy.rule.N.action,
  // policy.rule.N.match.*; N is a number, rules apply in ascending N. None = store every message as
  // a call (deploy/config/parser.ini ships the defaults: OPTIONS summarized, REGISTER its own class).
  std::vector<PolicyRule> policy_rules;

  static ParserOptions fromConfig(const Poco::Util::AbstractConfiguration& config);
};

}  // namespace sipvault::parser
