#include "common/config_values.h"

#include <Poco/Exception.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Util/AbstractConfiguration.h>

namespace sipvault {

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  Poco::StringTokenizer tok(text, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
  for (const auto& t : tok) out.push_back(t);
  return out;
}

std::string joinList(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& x : items) s += (s.empty() ? "" : ",") + x;
  return s;
}

int64_t intInRange(const Poco::Util::AbstractConfiguration& c, const std::string& key, int64_t def, int64_t lo,
                   int64_t hi) {
  int64_t v = def;
  try {
    v = c.getInt64(key, def);
  } catch (const Poco::SyntaxException&) {
    throw Poco::InvalidArgumentException(key + " = " + c.getString(key, "") + " (not a number)");
  }
  if (v < lo || v > hi)
    throw Poco::InvalidArgumentException(key + " = " + std::to_string(v) + " (allowed " + std::to_string(lo) + ".." +
                                         std::to_string(hi) + ")");
  return v;
}

bool boolValue(const Poco::Util::AbstractConfiguration& c, const std::string& key, bool def) {
  try {
    return c.getBool(key, def);
  } catch (const Poco::SyntaxException&) {
    throw Poco::InvalidArgumentException(key + " = " + c.getString(key, "") +
                                         " (not true/false, yes/no, on/off, 1/0)");
  }
}

}  // namespace sipvault
