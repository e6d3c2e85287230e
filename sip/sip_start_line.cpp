#include "sip/sip_start_line.h"

#include <cstring>

#include "sip/sip_text.h"

namespace sipvault::sip {
namespace {

using namespace text;

constexpr size_t kMaxMethod = 64;  // RFC 4475 intmeth uses 43 token characters

std::string_view trimTrailingWsp(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool isSipVersion(std::string_view v) {
  if (!istartsWith(v, "SIP/")) return false;
  size_t i = 4;
  const size_t major = i;
  while (i < v.size() && isDigit(v[i])) ++i;
  if (i == major || i >= v.size() || v[i] != '.') return false;
  const size_t minor = ++i;
  while (i < v.size() && isDigit(v[i])) ++i;
  return i > minor && i == v.size();
}

bool looksLikeSipStartLine(std::string_view line) {
  line = trimTrailingWsp(line);
  if (istartsWith(line, "SIP/")) {
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos || !isSipVersion(line.substr(0, sp))) return false;
    const std::string_view code = line.substr(sp + 1, 3);
    return code.size() == 3 && isDigit(code[0]) && isDigit(code[1]) && isDigit(code[2]);
  }
  size_t method = 0;
  while (method < line.size() && method <= kMaxMethod && isTokenChar(line[method])) ++method;
  if (method == 0 || method > kMaxMethod || method >= line.size() || line[method] != ' ') return false;
  // A Request-URI between the two spaces, then the version.
  const size_t last = line.rfind(' ');
  if (last <= method + 1) return false;
  return isSipVersion(line.substr(last + 1));
}

bool looksLikeSip(std::string_view payload) {
  const void* lf = std::memchr(payload.data(), '\n', payload.size());
  if (lf == nullptr) return false;
  return looksLikeSipStartLine(payload.substr(0, size_t(static_cast<const char*>(lf) - payload.data())));
}

}  // namespace sipvault::sip
