#include "parser/parser_options.h"

#include <Poco/Exception.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <Poco/Exception.h>

#include <algorithm>
#include <cstdint>
#include <map>

#include "common/config_values.h"
#include "store/db_stage_options.h"

namespace sipvault::parser {
namespace {

// Every key under `prefix`, relative to it ("match.method"), depth first.
void collectKeys(const Poco::Util::AbstractConfiguration& c, const std::string& prefix, const std::string& rel,
                 std::map<std::string, std::string>& out) {
  Poco::Util::AbstractConfiguration::Keys keys;
  c.keys(prefix, keys);
  if (keys.empty()) {
    if (!rel.empty()) out[rel] = c.getString(prefix);
    return;
  }
  for (const std::string& k : keys) collectKeys(c, prefix + "." + k, rel.empty() ? k : rel + "." + k, out);
}

std::vector<PolicyRule> readPolicyRules(const Poco::Util::AbstractConfiguration& c) {
  Poco::Util::AbstractConfiguration::Keys numbers;
  c.keys("policy.rule", numbers);
  std::vector<std::pair<uint64_t, std::string>> order;
  for (const std::string& n : numbers) {
    if (n.empty() || n.size() > 9 || !std::all_of(n.begin(), n.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      throw Poco::InvalidArgumentException("policy.rule." + n + ": rules are numbered (policy.rule.1.action = ...)");
    order.emplace_back(std::stoull(n), n);
  }
  std::sort(order.begin(), order.end());
  std::vector<PolicyRule> rules;
  for (const auto& [number, n] : order) {
    std::map<std::string, std::string> keys;
    collectKeys(c, "policy.rule." + n, "", keys);
    std::string error;
    auto rule = parsePolicyRule(n, keys, error);
    if (!rule) throw Poco::InvalidArgumentException("policy.rule." + n + "." + error);
    for (const PolicyRule& earlier : rules)
      if (earlier.name == rule->name)
        throw Poco::InvalidArgumentException("policy.rule." + n + ".name = " + rule->name + ": used twice");
    rules.push_back(std::move(*rule));
  }
  return rules;
}

}  // namespace

ParserOptions ParserOptions::fromConfig(const Poco::Util::AbstractConfiguration& c) {
  ParserOptions o;
  o.input = c.getString("parser.input", o.input);
  o.output = c.getString("parser.output", o.output);
  // Range-checked like the collector's: a bad value names its key and exits 78 (StageApp).
  o.parser_id = static_cast<uint32_t>(intInRange(c, "parser.id", o.parser_id, 0, UINT32_MAX));
  o.keep_rejects = boolValue(c, "parser.keep_rejects", o.keep_rejects);
  o.keep_non_sip = boolValue(c, "parser.keep_non_sip", o.keep_non_sip);
  o.qos = boolValue(c, "parser.qos", o.qos);
  o.bus_hwm = static_cast<int>(intInRange(c, "parser.bus_hwm", o.bus_hwm, 1, 1000000));
  readHeaderRules(c, o);
  o.kpi = boolValue(c, "parser.kpi", o.kpi);
  o.kpi_max_labels = static_cast<size_t>(intInRange(c, "parser.kpi_max_labels", 50, 0, 10000));
  o.kpi_max_transactions =
      static_cast<size_t>(intInRange(c, "parser.kpi_max_transactions", 100000, 1, 100000000));
  o.kpi_transaction_timeout = std::chrono::seconds(intInRange(c, "parser.kpi_transaction_timeout_s", 180, 1, 86400));
  o.kpi_alias_refresh = std::chrono::seconds(intInRange(c, "parser.kpi_alias_refresh_s", 30, 1, 86400));
  o.kpi_aliases = boolValue(c, "parser.kpi_aliases", o.kpi_aliases);
  o.db = store::readDbOptions(c, o.db);
  o.policy_rules = readPolicyRules(c);
  return o;
}

void ParserOptions::readHeaderRules(const Poco::Util::AbstractConfiguration& c, ParserOptions& o) {
  o.header_limits.max_per_message =
      static_cast<size_t>(intInRange(c, "parser.headers.max_per_message", 16, 0, 255));
  o.header_limits.max_value_bytes =
      static_cast<size_t>(intInRange(c, "parser.headers.max_value_bytes", 255, 1, 255));
  for (const std::string& name : splitList(c.getString("parser.headers.extract", ""))) {
    HeaderRule r;
    r.kind = HeaderKind::Field;
    r.name = name;
    r.header = c.getString("parser.headers." + name + ".header", name);
    r.regex = c.getString("parser.headers." + name + ".regex", "");
    o.header_rules.push_back(std::move(r));
  }
  for (const std::string& name : splitList(c.getString("parser.correlation.rules", ""))) {
    const std::string key = "parser.correlation." + name;
    HeaderRule r;
    r.kind = HeaderKind::Link;
    r.name = name;
    const bool icid = name == "icid";
    const bool session = name == "session-id";
    r.header = c.getString(key + ".header", icid ? "P-Charging-Vector" : session ? "Session-ID" : name);
    r.regex = c.getString(key + ".regex", "");
    const std::string type =
        c.getString(key + ".type", icid ? "icid-value" : session ? "session-id" : r.regex.empty() ? "value" : "regex");
    const auto t = linkTypeFromName(type);
    if (!t) throw Poco::InvalidArgumentException(key + ".type = " + type + " (expected value, regex, icid-value or session-id)");
    r.type = *t;
    o.header_rules.push_back(std::move(r));
  }
  // Compiled here once to report a bad rule at start (exit 78); RecordBuilder compiles its own.
  std::string error;
  if (!HeaderExtractor::create(o.header_rules, o.header_limits, error))
    throw Poco::InvalidArgumentException("parser.headers / parser.correlation: " + error);
}

}  // namespace sipvault::parser
