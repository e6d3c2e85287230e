#pragma once
// Percent-encoding for the query strings tests send (RFC 3986: everything but the unreserved
// characters A-Z a-z 0-9 - . _ ~ becomes %HH). Written here, not taken from api/query_params.h, so
// that the api's decoder is tested against an encoder it does not share.
#include <string>
#include <string_view>

namespace sipvault::test {

inline std::string percentEncode(std::string_view s) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

}  // namespace sipvault::test
