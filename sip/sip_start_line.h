#pragma once
// The one "looks like SIP" rule, used by the agent (forward SIP, skip RTP on a SIP port, keep-alive
// CRLFs, STUN, WebSocket frames) and by the stream framer (where may a message start in a TCP
// stream). Cheap: no allocation, one pass over the first line, pure.
//
// Request:  METHOD SP Request-URI SP SIP-Version [SP/HT]* [CR] LF    METHOD = RFC 3261 token (<= 64)
// Response: SIP-Version SP 3DIGIT ...
// SIP-Version = "SIP/" 1*DIGIT "." 1*DIGIT, "SIP" case-insensitive (RFC 3261 ABNF strings are).
#include <string_view>

namespace sipvault::sip {

// `line` (with or without its CR, without LF) is a SIP request line or status line.
[[nodiscard]] bool looksLikeSipStartLine(std::string_view line);

// `payload` starts with a SIP start line that ends (LF) within the payload.
[[nodiscard]] bool looksLikeSip(std::string_view payload);

// "SIP/" 1*DIGIT "." 1*DIGIT, nothing else.
[[nodiscard]] bool isSipVersion(std::string_view v);

}  // namespace sipvault::sip
