#include "parser/parser_options.h"

#include <Poco/Util/AbstractConfiguration.h>

#include <cstdint>

#include "common/config_values.h"

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
  return o;
}

}  // namespace sipvault::parser
