#include "parser/parser_options.h"

#include <Poco/Exception.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <cstdint>

#include "common/config_values.h"
#include "store/db_stage_options.h"

namespace sipvault::parser {

ParserOptions ParserOptions::fromConfig(const Poco::Util::AbstractConfiguration& c) {
  ParserOptions o;
  o.input = c.getString("parser.input", o.input);
  o.output = c.getString("parser.output", o.output);
  // Range-checked like the collector's: a bad value names its key and exits 78 (StageApp).
  o.parser_id = static_cast<uint32_t>(intInRange(c, "parser.id", o.parser_id, 0, UINT32_MAX));
  o.keep_rejects = boolValue(c, "parser.keep_rejects", o.keep_rejects);
  o.keep_non_sip = boolValue(c, "parser.keep_non_sip", o.keep_non_sip);
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
