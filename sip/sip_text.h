#pragma once
// Small byte-level helpers shared by the SIP, SDP and framing code. Internal to parser/; every
// function is bounds-checked by construction (string_view in, string_view out).
#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sipvault::sip::text {

// Character classes, one table lookup each (the parser's inner loops are byte scans).
enum : uint8_t {
  kClassToken = 1,  // RFC 3261 token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
  kClassHost = 2,   // hostname / IPv4 characters: alphanum / "-" / "." / "_"
  kClassDigit = 4,
  kClassHex = 8,
  kClassParamEnd = 16,  // ends an unquoted parameter value: SP HTAB CR LF ";" ","
  kClassLws = 32,       // SP HTAB CR LF
  kClassListStop = 64,  // bytes the comma-list splitter must look at: '"' '<' '>' ','
  kClassScheme = 128,   // URI scheme characters: alphanum / "+" / "-" / "."
};

inline constexpr std::array<uint8_t, 256> kCharClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] |= kClassToken | kClassHost | kClassDigit | kClassHex;
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= kClassToken | kClassHost;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kClassToken | kClassHost;
  for (int c = 'a'; c <= 'f'; ++c) t[c] |= kClassHex;
  for (int c = 'A'; c <= 'F'; ++c) t[c] |= kClassHex;
  for (char c : std::string_view("-.!%*_+`'~")) t[static_cast<unsigned char>(c)] |= kClassToken;
  for (char c : std::string_view("-._")) t[static_cast<unsigned char>(c)] |= kClassHost;
  for (char c : std::string_view(" \t\r\n;,")) t[static_cast<unsigned char>(c)] |= kClassParamEnd;
  for (char c : std::string_view(" \t\r\n")) t[static_cast<unsigned char>(c)] |= kClassLws;
  for (char c : std::string_view("\"<>,")) t[static_cast<unsigned char>(c)] |= kClassListStop;
  for (int c = 0; c < 256; ++c)
    if ((t[c] & kClassHost) && c != '_') t[c] |= kClassScheme;
  t['+'] |= kClassScheme;
  return t;
}();

inline constexpr std::array<char, 256> kLower = [] {
  std::array<char, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = char(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
  return t;
}();

inline bool hasClass(char c, uint8_t cls) { return (kCharClass[static_cast<unsigned char>(c)] & cls) != 0; }
inline bool isTokenChar(char c) { return hasClass(c, kClassToken); }
inline constexpr bool isWsp(char c) { return c == ' ' || c == '\t'; }
inline bool isLws(char c) { return hasClass(c, kClassLws); }
inline bool isDigit(char c) { return hasClass(c, kClassDigit); }
inline constexpr bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline char toLower(char c) { return kLower[static_cast<unsigned char>(c)]; }

inline bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!isTokenChar(c)) return false;
  return true;
}

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (toLower(a[i]) != toLower(b[i])) return false;
  return true;
}

// Case-insensitive compare of a token (RFC 3261 token characters only, as the header reader and
// parameter scanners produce) with a lowercase literal of letters, digits and '-'. For token
// input, OR-ing 0x20 folds exactly the letters (no other token byte maps onto [a-z0-9-]).
inline bool equalsLowerToken(std::string_view token, std::string_view lower) {
  if (token.size() != lower.size()) return false;
  for (size_t i = 0; i < token.size(); ++i)
    if (char(token[i] | 0x20) != lower[i]) return false;
  return true;
}

inline bool istartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

inline std::string_view trimWsp(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && isWsp(s[b])) ++b;
  while (e > b && isWsp(s[e - 1])) --e;
  return s.substr(b, e - b);
}

inline std::string_view trimLws(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && isLws(s[b])) ++b;
  while (e > b && isLws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// Strict unsigned decimal: 1+ digits and nothing else; false on overflow.
inline bool parseU64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return false;
    const uint64_t d = uint64_t(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

// Position of the closing quote of the quoted string that opens at s[open] ('"'), honouring
// backslash quoted-pairs; npos when it is not closed.
inline size_t findQuoteEnd(std::string_view s, size_t open) {
  for (size_t i = open + 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;  // the escaped byte, whatever it is (NUL, BEL, DEL, '"')
    } else if (s[i] == '"') {
      return i;
    }
  }
  return std::string_view::npos;
}

// Next element of a comma-separated header list. Commas inside quoted strings and inside <...>
// do not split. Advances `rest` past the comma; returns the untrimmed element.
inline std::string_view nextListElement(std::string_view& rest) {
  size_t i = 0;
  bool in_angle = false;
  while (i < rest.size()) {
    const char c = rest[i];
    if (!hasClass(c, kClassListStop)) {
      ++i;
      continue;
    }
    if (c == '"') {
      const size_t q = findQuoteEnd(rest, i);
      if (q == std::string_view::npos) {
        i = rest.size();
        break;
      }
      i = q + 1;
      continue;
    }
    if (c == '<')
      in_angle = true;
    else if (c == '>')
      in_angle = false;
    else if (c == ',' && !in_angle)
      break;
    ++i;
  }
  std::string_view elem = rest.substr(0, i);
  rest = i < rest.size() ? rest.substr(i + 1) : std::string_view{};
  return elem;
}

inline int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline const char* findByte(std::string_view s, char c) {
  return s.empty() ? nullptr : static_cast<const char*>(std::memchr(s.data(), c, s.size()));
}

}  // namespace sipvault::sip::text
