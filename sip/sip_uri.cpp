#include <cstdint>

#include "sip/sip_grammar.h"
#include "sip/sip_parser.h"

// SIP and tel URIs (RFC 3261 19.1, RFC 5118 IPv6 references), and the escapes URIs and quoted
// strings carry.
namespace sipvault::sip {

using namespace text;

namespace {

bool isHostChar(char c) { return hasClass(c, kClassHost); }

bool parsePort(std::string_view digits, uint16_t& port) {
  uint64_t v = 0;
  if (digits.size() > 5 || !parseU64(digits, v) || v > 65535) return false;
  port = uint16_t(v);
  return true;
}

bool isHexDigit(char c) { return hasClass(c, kClassHex); }

// An IPv6 address written without brackets (RFC 5118 4.2 says reject; real captures have it):
// the run of hex digits, ':' and '.' at the start of `s`. With "::" the whole run is the address
// and there is no port; with 9 groups the last one is the port; else the whole run is the host.
size_t parseBareIpv6(std::string_view s, std::string_view& host, uint16_t& port) {
  size_t j = 0, colons = 0;
  while (j < s.size() && (isHexDigit(s[j]) || s[j] == ':' || s[j] == '.')) colons += s[j++] == ':';
  if (colons < 2) return std::string_view::npos;
  const std::string_view run = s.substr(0, j);
  if (run.find("::") == std::string_view::npos && colons == 8) {
    const size_t last = run.rfind(':');
    if (!parsePort(run.substr(last + 1), port)) return std::string_view::npos;
    host = run.substr(0, last);
  } else {
    host = run;
  }
  return j;
}

}  // namespace

// %HH decoded (invalid escapes kept literally); `s` itself when there is nothing to decode.
std::string_view unescapePercent(std::string_view s, SipArena& arena) {
  if (findByte(s, '%') == nullptr) return s;
  char* out = arena.allocate(s.size());
  if (out == nullptr) return s;
  size_t o = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    int hi = 0, lo = 0;
    if (s[i] == '%' && i + 2 < s.size() && (hi = hexValue(s[i + 1])) >= 0 && (lo = hexValue(s[i + 2])) >= 0) {
      out[o++] = char(hi * 16 + lo);
      i += 2;
    } else {
      out[o++] = s[i];
    }
  }
  arena.shrinkLast(out, o);
  return {out, o};
}

// The inside of a quoted string with quoted-pairs resolved.
std::string_view unescapeQuoted(std::string_view s, SipArena& arena) {
  if (findByte(s, '\\') == nullptr) return s;
  char* out = arena.allocate(s.size());
  if (out == nullptr) return s;
  size_t o = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out[o++] = s[i];
  }
  arena.shrinkLast(out, o);
  return {out, o};
}

// host [":" port] at the start of `s`; returns the offset after it, or npos when malformed.
// `bare_ipv6` is set when the host is an IPv6 address without brackets (parsed, but malformed).
size_t parseHostPort(std::string_view s, std::string_view& host, uint16_t& port, bool& bare_ipv6) {
  bare_ipv6 = false;
  size_t j = 0;
  if (!s.empty() && s[0] == '[') {
    const char* close = findByte(s, ']');
    if (close == nullptr) return std::string_view::npos;
    j = size_t(close - s.data()) + 1;
    if (j == 2) return std::string_view::npos;  // "[]"
  } else {
    while (j < s.size() && isHostChar(s[j])) ++j;
    if (j == 0) return std::string_view::npos;
  }
  host = s.substr(0, j);
  if (j < s.size() && s[j] == ':') {
    const size_t ps = ++j;
    while (j < s.size() && isDigit(s[j])) ++j;
    if (j < s.size() && (s[j] == ':' || isHexDigit(s[j])) && host[0] != '[') {
      bare_ipv6 = true;
      port = 0;
      return parseBareIpv6(s, host, port);
    }
    if (!parsePort(s.substr(ps, j - ps), port)) return std::string_view::npos;
  }
  return j;
}

bool parseSipUri(std::string_view text, SipUri& uri, SipArena& arena) {
  uri = SipUri{};
  uri.text = text;
  size_t i = 0;
  if (text.empty() || !isAlpha(text[0])) return false;
  while (i < text.size() && hasClass(text[i], kClassScheme)) ++i;
  if (i >= text.size() || text[i] != ':') return false;
  uri.scheme = text.substr(0, i);
  const std::string_view rest = text.substr(i + 1);
  if (!equalsLowerToken(uri.scheme, "sip") && !equalsLowerToken(uri.scheme, "sips")) {
    if (!equalsLowerToken(uri.scheme, "tel")) return !rest.empty();  // opaque
    const char* semi = findByte(rest, ';');
    uri.user_raw = semi ? rest.substr(0, size_t(semi - rest.data())) : rest;
    uri.user = unescapePercent(uri.user_raw, arena);
    return !uri.user_raw.empty();
  }
  // The user part ends at the first '@': neither user, password, parameters nor headers may
  // hold an unescaped '@'. The password, if any, starts at the first ':'.
  std::string_view hostport = rest;
  if (const char* at = findByte(rest, '@')) {
    const size_t userinfo_len = size_t(at - rest.data());
    size_t user_len = userinfo_len;
    bool escaped = false;
    for (size_t k = 0; k < userinfo_len; ++k) {
      const char ch = rest[k];
      if (ch == ':') {
        user_len = k;
        break;
      }
      escaped |= ch == '%';
    }
    uri.user_raw = rest.substr(0, user_len);
    uri.user = escaped ? unescapePercent(uri.user_raw, arena) : uri.user_raw;
    hostport = rest.substr(userinfo_len + 1);
    if (uri.user_raw.empty()) return false;
  }
  bool bare_ipv6 = false;
  const size_t used = parseHostPort(hostport, uri.host, uri.port, bare_ipv6);
  if (used == std::string_view::npos) {
    uri.host = {};
    uri.port = 0;
    return false;
  }
  if (used == hostport.size()) return !bare_ipv6;
  const char next = hostport[used];
  if (next == '?') {
    uri.has_headers = true;
  } else if (next == ';') {
    uri.has_headers = findByte(hostport.substr(used), '?') != nullptr;
  } else {
    return false;
  }
  return !bare_ipv6;
}

}  // namespace sipvault::sip
