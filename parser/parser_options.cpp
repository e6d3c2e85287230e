#include "parser/parser_options.h"

#include <Poco/Util/AbstractConfiguration.h>

namespace sipvault {

ParserOptions ParserOptions::fromConfig(const Poco::Util::AbstractConfiguration& c) {
  ParserOptions o;
  o.input = c.getString("parser.input", o.input);
  o.output = c.getString("parser.output", o.output);
  o.parser_id = c.getUInt("parser.id", o.parser_id);
  o.keep_rejects = c.getBool("parser.keep_rejects", o.keep_rejects);
  o.keep_non_sip = c.getBool("parser.keep_non_sip", o.keep_non_sip);
  o.bus_hwm = c.getInt("parser.bus_hwm", o.bus_hwm);
  return o;
}

}  // namespace sipvault
