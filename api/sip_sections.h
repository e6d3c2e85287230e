#pragma once
// Splits a raw SIP message into start line, header fields and body for display (message detail,
// text export). Pure; tolerant: any bytes in, never fails.
//
//   - lines end with CRLF or a bare LF (HEP test generators use LF);
//   - the header section ends at the first empty line; everything after it is the body (as
//     captured, whatever Content-Length says);
//   - a line starting with SP/HTAB continues the previous field (folded; joined with one space);
//   - "Name: value" is split at the first ':' and both sides trimmed; a line without ':' is kept
//     as a field with an empty name, so nothing captured is hidden.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipvault::api {

// `s` without spaces and tabs at either end.
[[nodiscard]] std::string_view trimBlanks(std::string_view s);

struct SipSections {
  std::string start_line;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

[[nodiscard]] SipSections splitSipMessage(std::string_view raw);

}  // namespace sipvault::api
