#include "agent/sip_start_line.h"

#include <cstring>

namespace sipvault::agent {
namespace {

constexpr size_t kMaxMethod = 64;  // RFC 4475 intmeth uses 43 token characters

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// RFC 3261 token characters.
bool isTokenChar(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || isDigit(c)) return true;
  return std::strchr("-.!%*_+`'~", c) != nullptr && c != '\0';
}

// "SIP/d.d" at the start of `s`.
bool isVersion(std::string_view s) {
  return s.size() >= 7 && s.substr(0, 4) == "SIP/" && isDigit(s[4]) && s[5] == '.' && isDigit(s[6]);
}

}  // namespace

bool looksLikeSip(std::string_view p) {
  if (isVersion(p)) return p.size() >= 12 && p[7] == ' ' && isDigit(p[8]) && isDigit(p[9]) && isDigit(p[10]);

  size_t method = 0;
  while (method < p.size() && method <= kMaxMethod && isTokenChar(p[method])) ++method;
  if (method == 0 || method > kMaxMethod || method >= p.size() || p[method] != ' ') return false;

  const void* lf = std::memchr(p.data() + method, '\n', p.size() - method);
  if (lf == nullptr) return false;
  std::string_view line = p.substr(0, size_t(static_cast<const char*>(lf) - p.data()));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  // At least "M x SIP/2.0": a space before the version and a URI between the two spaces.
  if (line.size() < method + 10) return false;
  return line[line.size() - 8] == ' ' && isVersion(line.substr(line.size() - 7));
}

}  // namespace sipvault::agent
