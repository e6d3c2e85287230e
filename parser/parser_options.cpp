#include "parser/parser_options.h"

#include <Poco/Util/AbstractConfiguration.h>

#include <Poco/Exception.h>

#include <algorithm>
#include <cstdint>
#include <map>

#include "common/config_values.h"

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
  o.bus_hwm = static_cast<int>(intInRange(c, "parser.bus_hwm", o.bus_hwm, 1, 1000000));
  o.policy_rules = readPolicyRules(c);
  return o;
}

}  // namespace sipvault::parser
