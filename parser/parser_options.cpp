#include "parser/parser_options.h"

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

}  // namespace sipvault::parser
