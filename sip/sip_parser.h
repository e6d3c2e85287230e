#pragma once
// Zero-copy parser for one SIP message: a UDP datagram payload, a HEP payload, or one message cut
// from a TCP stream by SipStreamFramer (sip_stream_framer.h). Pure: no I/O, no globals, no
// exceptions, no allocation except the lazily sized per-message arena (sip_message.h).
//
// What is accepted
//   - CRLF or bare LF line ends (HEP payloads from hep-js use bare LF), folded header lines
//     (continuation lines start with SP/HTAB), LWS before the colon, case-insensitive and compact
//     header names (i f t v m l c k s e o r u ...), repeated headers and comma lists (commas inside
//     quoted strings and <> do not split). Leading CRLFs before the start line are skipped.
//   - The body is found from Content-Length, never by scanning for line ends. Without a
//     Content-Length header the body runs to the end of the buffer (UDP). Bytes after
//     Content-Length are not part of the message (RFC 4475 dblreq): they are ignored and flagged.
//
// Reject or flag? A capture tool keeps evidence, so it stores what it can still find again.
//   Hard errors (ParseOutcome::error != Ok; the fields may be partly filled and must not be stored
//   as a parsed message) are only the cases where the bytes are not a SIP message, where the
//   message cannot be identified, or where its extent is unknown:
//     Empty            nothing but whitespace (UDP/TCP keep-alives)
//     NotSip           the first line is neither a request line nor a status line
//     BadStartLine     SIP-shaped but no usable method / version       (4475 extra/test)
//     BadStatusCode    status code not exactly 3 digits in 100..699     (4475 bigcode)
//     Truncated        the buffer ends inside a line of the start line or header section
//     BadHeader        a header line without a colon or with an invalid name (the header
//                      section is not what it seems, e.g. a body without the blank line)
//     MissingCallId    no Call-ID or an empty one                       (4475 insuf)
//     BadContentLength Content-Length not a non-negative integer, or two different values:
//                      the body boundary is unknown                     (4475 ncl, mcl01)
//   Everything else the RFCs answer with 400/505 is parsed, stored and flagged (SipFlag) with a
//   reason, as long as the Call-ID is usable. An IPv6 address written without brackets (RFC 5118
//   4.2 says reject; real captures contain it) is extracted whole, never as host "2001" with port
//   "db8::10", and flagged. The flagged cases: odd whitespace in the request line (lwsstart, trws),
//   a bad Request-URI (ltgtruri, lwsruri, escruri, RFC 5118 ipv6-bad), SIP/7.0 (badvers),
//   duplicate single-value headers (multi01), method/CSeq mismatch (mismatch01/02), CSeq out of
//   range (scalar02, scalarlg), Content-Length beyond the buffer (clerr), malformed From/To/Via/
//   Contact values (badinv01, quotbal, baddn, badaspec, regbadct), a non-GMT Date (baddate) and
//   a branch that is only the magic cookie (badbranch).
//
// Limits: every read is bounds-checked; time is linear in the input size; at most kMaxVias Via
// hops and kMaxSdpMedia / kMaxSdpCodecs SDP entries are kept (counts saturate).
// Thread-safety: all functions are reentrant; use one SipMessage per thread.
#include <cstdint>
#include <string_view>

#include "sip/sip_message.h"

namespace sipvault::sip {

enum class ParseError : uint8_t {
  Ok = 0,
  Empty,
  NotSip,
  BadStartLine,
  BadStatusCode,
  Truncated,
  BadHeader,
  MissingCallId,
  BadContentLength,
};

// Non-fatal findings, as bits of ParseOutcome::flags.
enum class SipFlag : uint32_t {
  DuplicateHeader = 1u << 0,           // Call-ID, From, To, CSeq, Content-Length or -Type repeated
  MethodMismatch = 1u << 1,            // request method differs from the CSeq method
  ContentLengthExceedsBody = 1u << 2,  // fewer body bytes than Content-Length (cut or lying)
  TrailingBytes = 1u << 3,             // bytes after Content-Length (ignored)
  UnsupportedVersion = 1u << 4,        // SIP version other than 2.0
  StartLineWhitespace = 1u << 5,       // extra SP/HTAB between or after start-line elements
  BadRequestUri = 1u << 6,             // Request-URI not parseable, contains SP, or has headers
  BadCSeq = 1u << 7,                   // CSeq number missing, not a number, or >= 2^31
  MissingHeader = 1u << 8,             // From, To, CSeq or Via absent
  MalformedHeader = 1u << 9,           // a From/To/Via/Contact/P-Asserted-Identity value is malformed
  BadDate = 1u << 10,                  // Date not in GMT
  BareBranchCookie = 1u << 11,         // Via branch is exactly "z9hG4bK"
  NoHeaderTerminator = 1u << 12,       // header section ends at the buffer end without a blank line
};

struct ParseOutcome {
  ParseError error = ParseError::Ok;
  uint32_t flags = 0;       // SipFlag bits
  std::string_view reason;  // static text: why it failed, else the first flag's detail, else ""

  [[nodiscard]] bool ok() const { return error == ParseError::Ok; }
  [[nodiscard]] bool has(SipFlag f) const { return (flags & uint32_t(f)) != 0; }
};

// Parses `bytes` into `out` (all fields reset first). Never throws. See the file comment for the
// lifetime of the views and for what is an error versus a flag.
[[nodiscard]] ParseOutcome parseSipMessage(std::string_view bytes, SipMessage& out);

// Stable names for counters and logs: "ok", "not_sip", ...; "duplicate_header", ...
[[nodiscard]] std::string_view parseErrorName(ParseError e);
[[nodiscard]] std::string_view sipFlagName(SipFlag f);

// Full name for a compact form ("i" -> "Call-ID", "v" -> "Via"); other names are returned as given.
[[nodiscard]] std::string_view canonicalHeaderName(std::string_view name);

// One header field as found in the header section.
struct SipHeaderField {
  std::string_view name;   // as written, LWS before the colon removed
  std::string_view value;  // leading/trailing LWS removed; still holds CRLF+WSP when folded
  bool folded = false;     // the field spans several lines
};

// Walks header fields one by one. Give it the bytes that start at the first header line, e.g.
// SipMessage::headers, or the rest of a message after the start line. Borrowed; no allocation.
class SipHeaderReader {
 public:
  enum class Status : uint8_t {
    Field,       // `field` holds the next header
    BadLine,     // a line without a colon / with an invalid name (skipped; `field.value` = the line)
    End,         // the blank line was found: bodyOffset() is where the body starts
    EndOfInput,  // no more bytes after complete lines (no blank line)
    Truncated,   // the input ends inside a line
  };

  explicit SipHeaderReader(std::string_view section) : data_(section) {}
  [[nodiscard]] Status next(SipHeaderField& field);
  // Offset just after the blank line (after End), else the offset of the next unread byte.
  [[nodiscard]] size_t bodyOffset() const { return pos_; }
  // Offset of the first byte of the blank line (valid after End).
  [[nodiscard]] size_t sectionEnd() const { return section_end_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  size_t section_end_ = 0;
};

// The value with every line fold (optional trailing WSP, CRLF or LF, leading WSP) turned into one
// SP, written into `arena`; `value` itself when it has no line break or the arena is full.
[[nodiscard]] std::string_view unfoldHeaderValue(std::string_view value, SipArena& arena);

// Parses `text` as a URI into `uri` (sip/sips split into parts, tel: number in user, other
// schemes opaque). False when it is not a well-formed URI; `uri.text` is set either way.
[[nodiscard]] bool parseSipUri(std::string_view text, SipUri& uri, SipArena& arena);

}  // namespace sipvault::sip
