#pragma once
// Everything sipvault-parser can be told, filled once in main from CLI + config file.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "parser/header_extractor.h"
#include "parser/ingest_policy.h"

#include "store/db_connection.h"

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
  // Call-quality reports (qos_extractor.h): decode HEP 5/34 payloads into reports and read
  // X-RTP-Stat / P-RTP-Stat headers and vq-rtcpxr PUBLISH bodies; false = pass HEP 5/34 on raw as
  // before (keep_non_sip) and look at no header. parser.qos
  bool qos = true;
  // ZeroMQ high-water marks (batches). parser.bus_hwm
  int bus_hwm = 100;
  // Custom header fields and correlation link rules (header_extractor.h), in config order:
  //   parser.headers.extract = P-Asserted-Identity, pai_user      fields, each stored by its name
  //   parser.headers.<name>.header = P-Asserted-Identity          default: the name itself
  //   parser.headers.<name>.regex = ^[^<]*<?sips?:([^@;>]+)@       optional: group 1 is the value
  //   parser.correlation.rules = icid, session-id, leg            link rules
  //   parser.correlation.<rule>.header   default: icid -> P-Charging-Vector, session-id ->
  //                                      Session-ID, else the rule name
  //   parser.correlation.<rule>.type     value | regex | icid-value | session-id (default by name:
  //                                      icid -> icid-value, session-id -> session-id, regex when
  //                                      a regex is set, else value)
  //   parser.correlation.<rule>.regex
  // Default: none (nothing extracted, no extra rows).
  std::vector<HeaderRule> header_rules;
  // parser.headers.max_per_message (16, at most 255: sip_headers.seq), parser.headers.max_value_bytes
  // (255, at most 255: the sip_headers.value column)
  HeaderLimits header_limits;

  // SIP KPIs (parser/README.md "KPIs"). parser.kpi
  bool kpi = true;
  // Alias labels beyond this many fold into "other" (series per label: ~25). parser.kpi_max_labels
  size_t kpi_max_labels = 50;
  // INVITE/REGISTER transactions tracked at once; more evict the oldest. parser.kpi_max_transactions
  size_t kpi_max_transactions = 100000;
  // No final response after this long (capture time): a timeout. parser.kpi_transaction_timeout_s
  std::chrono::seconds kpi_transaction_timeout{180};
  // How often api_aliases is read for the labels. parser.kpi_alias_refresh_s
  std::chrono::seconds kpi_alias_refresh{30};
  // Where api_aliases is read from (read-only): the db.* keys, as for the writer. parser.kpi_aliases
  // = false leaves every label "other" and opens no database session.
  bool kpi_aliases = true;
  store::DbOptions db;
  // Ingest policy rules in order (parser/ingest_policy.h): policy.rule.N.name, policy.rule.N.action,
  // policy.rule.N.match.*; N is a number, rules apply in ascending N. None = store every message as
  // a call (deploy/config/parser.ini ships the defaults: OPTIONS summarized, REGISTER its own class).
  std::vector<PolicyRule> policy_rules;

  static ParserOptions fromConfig(const Poco::Util::AbstractConfiguration& config);
  // The header_rules / header_limits part of fromConfig; throws Poco::InvalidArgumentException.
  static void readHeaderRules(const Poco::Util::AbstractConfiguration& config, ParserOptions& out);
};

}  // namespace sipvault::parser
