#include "sip/sip_parser.h"

#include <memory>
#include <new>

#include "sip/sdp_parser.h"
#include "sip/sip_grammar.h"
#include "sip/sip_start_line.h"
#include "sip/sip_text.h"

namespace sipvault::sip {

using namespace text;

char* SipArena::allocate(size_t n) {
  if (capacity_ < want_) {
    // Only ever (re)allocated before the first value of a parse: views into it must not move.
    if (used_ != 0) return nullptr;
    block_.reset(new (std::nothrow) char[want_]);
    capacity_ = block_ ? want_ : 0;
  }
  if (n > capacity_ - used_) return nullptr;
  char* p = block_.get() + used_;
  used_ += n;
  return p;
}

namespace {

struct Ctx {
  SipMessage& m;
  ParseOutcome r;
  bool seen_from = false, seen_to = false, seen_cseq = false, seen_call_id = false;
  bool seen_contact = false, seen_pai = false, seen_ctype = false, seen_ua = false;
  bool seen_server = false, seen_reason = false, seen_xcid = false, seen_cl = false;
  bool seen_via = false;

  void flag(SipFlag f, std::string_view why) {
    r.flags |= uint32_t(f);
    if (r.error == ParseError::Ok && r.reason.empty()) r.reason = why;
  }
  void fail(ParseError e, std::string_view why) {
    if (r.error != ParseError::Ok) return;  // the first error is the one reported
    r.error = e;
    r.reason = why;
  }
};

enum class Hdr : uint8_t {
  Other,
  CallId,
  From,
  To,
  Via,
  CSeq,
  Contact,
  ContentLength,
  ContentType,
  UserAgent,
  Server,
  Pai,
  Reason,
  XCid,
  Date,
};

Hdr classify(std::string_view name) {
  switch (name.size()) {
    case 1:
      switch (toLower(name[0])) {
        case 'i':
          return Hdr::CallId;
        case 'f':
          return Hdr::From;
        case 't':
          return Hdr::To;
        case 'v':
          return Hdr::Via;
        case 'm':
          return Hdr::Contact;
        case 'l':
          return Hdr::ContentLength;
        case 'c':
          return Hdr::ContentType;
        default:
          return Hdr::Other;
      }
    case 2:
      return equalsLowerToken(name, "to") ? Hdr::To : Hdr::Other;
    case 3:
      return equalsLowerToken(name, "via") ? Hdr::Via : Hdr::Other;
    case 4:
      if (equalsLowerToken(name, "from")) return Hdr::From;
      if (equalsLowerToken(name, "cseq")) return Hdr::CSeq;
      if (equalsLowerToken(name, "date")) return Hdr::Date;
      return Hdr::Other;
    case 5:
      return equalsLowerToken(name, "x-cid") ? Hdr::XCid : Hdr::Other;
    case 6:
      if (equalsLowerToken(name, "server")) return Hdr::Server;
      if (equalsLowerToken(name, "reason")) return Hdr::Reason;
      return Hdr::Other;
    case 7:
      if (equalsLowerToken(name, "call-id")) return Hdr::CallId;
      if (equalsLowerToken(name, "contact")) return Hdr::Contact;
      return Hdr::Other;
    case 10:
      return equalsLowerToken(name, "user-agent") ? Hdr::UserAgent : Hdr::Other;
    case 12:
      return equalsLowerToken(name, "content-type") ? Hdr::ContentType : Hdr::Other;
    case 14:
      return equalsLowerToken(name, "content-length") ? Hdr::ContentLength : Hdr::Other;
    case 19:
      return equalsLowerToken(name, "p-asserted-identity") ? Hdr::Pai : Hdr::Other;
    default:
      return Hdr::Other;
  }
}

void parseCSeq(std::string_view v, Ctx& c) {
  size_t i = 0;
  while (i < v.size() && isDigit(v[i])) ++i;
  uint64_t number = 0;
  if (i == 0) {
    c.flag(SipFlag::BadCSeq, "CSeq has no number");
  } else if (!parseU64(v.substr(0, i), number)) {
    c.flag(SipFlag::BadCSeq, "CSeq number does not fit in 64 bits");
  } else if (number > 0x7fffffffu) {
    c.flag(SipFlag::BadCSeq, "CSeq number is 2^31 or more");
  }
  c.m.cseq_number = number;
  size_t j = i;
  while (j < v.size() && isLws(v[j])) ++j;
  const size_t ms = j;
  while (j < v.size() && isTokenChar(v[j])) ++j;
  c.m.cseq_method = v.substr(ms, j - ms);
  if (j == i || ms == j || j != v.size()) c.flag(SipFlag::BadCSeq, "CSeq is not <number> <method>");
}

void parseContentLength(std::string_view v, Ctx& c) {
  uint64_t len = 0;
  if (!v.empty() && v[0] == '-') return c.fail(ParseError::BadContentLength, "negative Content-Length");
  if (!parseU64(v, len) || len > uint64_t(INT64_MAX))
    return c.fail(ParseError::BadContentLength, "Content-Length is not a number");
  if (c.seen_cl) {
    if (int64_t(len) != c.m.content_length)
      return c.fail(ParseError::BadContentLength, "two different Content-Length values");
    return c.flag(SipFlag::DuplicateHeader, "Content-Length repeated");
  }
  c.seen_cl = true;
  c.m.content_length = int64_t(len);
}

void handleVia(std::string_view value, Ctx& c) {
  c.seen_via = true;
  ListSplitter list(value);
  std::string_view elem;
  while (list.next(elem)) {
    SipVia hop;
    const ViaResult res = parseVia(elem, hop);
    if (res == ViaResult::Bad) {
      c.flag(SipFlag::MalformedHeader, "Via value is not sent-protocol sent-by");
      continue;
    }
    if (res == ViaResult::Malformed) c.flag(SipFlag::MalformedHeader, "malformed Via sent-by or parameters");
    if (c.m.via_count < kMaxVias) c.m.vias[c.m.via_count] = hop;
    if (c.m.via_count < 255) ++c.m.via_count;
  }
}

// Single-value header seen again: flag, keep the first.
bool firstTime(bool& seen, Ctx& c, std::string_view why) {
  if (seen) {
    c.flag(SipFlag::DuplicateHeader, why);
    return false;
  }
  seen = true;
  return true;
}

void handleHeader(const SipHeaderField& f, Ctx& c) {
  const Hdr h = classify(f.name);
  if (h == Hdr::Other) return;
  SipMessage& m = c.m;
  std::string_view v = f.folded ? unfoldHeaderValue(f.value, m.arena) : f.value;
  switch (h) {
    case Hdr::CallId:
      if (firstTime(c.seen_call_id, c, "Call-ID repeated")) m.call_id = v;
      break;
    case Hdr::From:
    case Hdr::To: {
      const bool from = h == Hdr::From;
      if (!firstTime(from ? c.seen_from : c.seen_to, c, from ? "From repeated" : "To repeated")) break;
      const std::string_view why = parseNameAddr(v, from ? m.from : m.to, m.arena);
      if (!why.empty()) c.flag(SipFlag::MalformedHeader, from ? "From: malformed" : "To: malformed");
      break;
    }
    case Hdr::Via:
      handleVia(v, c);
      break;
    case Hdr::CSeq:
      if (firstTime(c.seen_cseq, c, "CSeq repeated")) parseCSeq(v, c);
      break;
    case Hdr::Contact: {
      if (c.seen_contact) break;  // several Contact fields are legal; the first value is kept
      c.seen_contact = true;
      ListSplitter list(v);
      std::string_view first;
      list.next(first);
      m.contact = trimLws(first);
      if (m.contact == "*") break;
      std::string_view display_name, tag;
      if (!parseNameAddr(m.contact, display_name, m.contact_uri, tag, m.arena).empty())
        c.flag(SipFlag::MalformedHeader, "Contact: malformed");
      break;
    }
    case Hdr::ContentLength:
      parseContentLength(v, c);
      break;
    case Hdr::ContentType:
      if (firstTime(c.seen_ctype, c, "Content-Type repeated")) m.content_type = v;
      break;
    case Hdr::UserAgent:
      if (!c.seen_ua) m.user_agent = v;
      c.seen_ua = true;
      break;
    case Hdr::Server:
      if (!c.seen_server) m.server = v;
      c.seen_server = true;
      break;
    case Hdr::Pai: {
      if (c.seen_pai) break;
      c.seen_pai = true;
      ListSplitter list(v);
      std::string_view first;
      list.next(first);
      std::string_view display_name, tag;
      SipUri uri;
      if (!parseNameAddr(first, display_name, uri, tag, m.arena).empty())
        c.flag(SipFlag::MalformedHeader, "P-Asserted-Identity: malformed");
      m.pai_user = uri.user;
      break;
    }
    case Hdr::Reason:
      if (!c.seen_reason) m.reason = v;
      c.seen_reason = true;
      break;
    case Hdr::XCid:
      if (!c.seen_xcid) m.x_cid = v;
      c.seen_xcid = true;
      break;
    case Hdr::Date:
      // RFC 3261 SIP-date is an RFC 1123 date, always in GMT.
      if (v.size() < 3 || v.substr(v.size() - 3) != "GMT") c.flag(SipFlag::BadDate, "Date is not in GMT");
      break;
    case Hdr::Other:
      break;
  }
}

void checkVersion(std::string_view version, Ctx& c) {
  if (!iequals(version, "SIP/2.0")) c.flag(SipFlag::UnsupportedVersion, "SIP version is not 2.0");
}

void parseStatusLine(std::string_view line, Ctx& c) {
  SipMessage& m = c.m;
  const size_t sp = line.find(' ');
  m.version = line.substr(0, sp);
  if (!isSipVersion(m.version)) return c.fail(ParseError::BadStartLine, "malformed SIP-Version");
  checkVersion(m.version, c);
  if (sp == std::string_view::npos)
    return c.fail(ParseError::BadStatusCode, "status line has no status code");
  size_t i = sp + 1;
  if (i < line.size() && isWsp(line[i])) {
    c.flag(SipFlag::StartLineWhitespace, "extra whitespace in the status line");
    while (i < line.size() && isWsp(line[i])) ++i;
  }
  const std::string_view code = line.substr(i, 3);
  const bool three_digits = code.size() == 3 && isDigit(code[0]) && isDigit(code[1]) && isDigit(code[2]) &&
                            (i + 3 == line.size() || line[i + 3] == ' ');
  if (!three_digits || code[0] < '1' || code[0] > '6')
    return c.fail(ParseError::BadStatusCode, "status code is not 3 digits in 100..699");
  m.status_code = uint16_t((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
  m.reason_phrase = i + 4 <= line.size() ? line.substr(i + 4) : std::string_view{};
}

void parseRequestLine(std::string_view line, Ctx& c) {
  SipMessage& m = c.m;
  m.is_request = true;
  const size_t sp = line.find(' ');
  if (sp == std::string_view::npos || !isToken(line.substr(0, sp)))
    return c.fail(ParseError::NotSip, "first line is not a SIP request or status line");
  m.method = line.substr(0, sp);
  std::string_view rest = line.substr(sp + 1);
  const std::string_view trimmed = trimWsp(rest);
  if (trimmed.size() != rest.size())
    c.flag(SipFlag::StartLineWhitespace, "extra whitespace in the request line");
  rest = trimmed;
  const size_t last = rest.rfind(' ');
  const std::string_view version = last == std::string_view::npos ? rest : rest.substr(last + 1);
  if (!istartsWith(version, "SIP/")) {
    if (findByte(version, '/') != nullptr || findByte(rest, ':') == nullptr)
      return c.fail(ParseError::NotSip, "first line is not a SIP request or status line");
    return c.fail(ParseError::BadStartLine, "request line has no SIP-Version");
  }
  if (last == std::string_view::npos)
    return c.fail(ParseError::BadStartLine, "request line has no Request-URI");
  if (!isSipVersion(version)) return c.fail(ParseError::BadStartLine, "malformed SIP-Version");
  m.version = version;
  checkVersion(version, c);
  std::string_view uri = rest.substr(0, last);
  const std::string_view uri_trimmed = trimWsp(uri);
  if (uri_trimmed.size() != uri.size())
    c.flag(SipFlag::StartLineWhitespace, "extra whitespace in the request line");
  uri = uri_trimmed;
  if (uri.empty()) return c.fail(ParseError::BadStartLine, "request line has no Request-URI");
  if (findByte(uri, ' ') || findByte(uri, '\t'))
    c.flag(SipFlag::BadRequestUri, "Request-URI contains whitespace");
  if (!parseSipUri(uri, m.request_uri, m.arena))
    c.flag(SipFlag::BadRequestUri, "Request-URI is not a valid URI");
  else if (m.request_uri.has_headers)
    c.flag(SipFlag::BadRequestUri, "Request-URI has headers");
}

}  // namespace

ParseOutcome parseSipMessage(std::string_view in, SipMessage& m) {
  {
    // Rebuild the value in place (a zero fill), keeping the arena block for reuse.
    SipArena arena = std::move(m.arena);
    std::destroy_at(&m);
    std::construct_at(&m);
    m.arena = std::move(arena);
  }
  m.arena.reset(in.size());
  m.raw = in;
  Ctx c{m, {}};

  size_t pos = 0;
  while (pos < in.size() && isLws(in[pos])) ++pos;
  if (pos == in.size()) {
    c.fail(ParseError::Empty, "empty or whitespace only (keep-alive)");
    return c.r;
  }
  pos = 0;
  while (pos < in.size() && (in[pos] == '\r' || in[pos] == '\n')) ++pos;  // RFC 3261 7.5

  const char* nl = findByte(in.substr(pos), '\n');
  if (nl == nullptr) {
    const std::string_view partial = in.substr(pos);
    const size_t sp = partial.find(' ');
    const bool sip_like = istartsWith(partial, "SIP/") ||
                          (sp != std::string_view::npos && sp > 0 && isToken(partial.substr(0, sp)));
    c.fail(sip_like ? ParseError::Truncated : ParseError::NotSip,
           sip_like ? "the start line has no line end" : "first line is not a SIP request or status line");
    return c.r;
  }
  const size_t line_nl = size_t(nl - in.data());
  std::string_view line = in.substr(pos, line_nl - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  m.start_line = line;
  if (istartsWith(line, "SIP/"))
    parseStatusLine(line, c);
  else
    parseRequestLine(line, c);
  if (c.r.error == ParseError::NotSip || c.r.error == ParseError::BadStartLine ||
      c.r.error == ParseError::BadStatusCode)
    return c.r;

  const size_t header_start = line_nl + 1;
  SipHeaderReader reader(in.substr(header_start));
  SipHeaderField field;
  SipHeaderReader::Status st;
  while ((st = reader.next(field)) == SipHeaderReader::Status::Field ||
         st == SipHeaderReader::Status::BadLine) {
    if (st == SipHeaderReader::Status::Field)
      handleHeader(field, c);
    else
      c.fail(ParseError::BadHeader, "a header line has no colon or an invalid name");
  }
  size_t body_start = in.size();
  if (st == SipHeaderReader::Status::End) {
    m.headers = in.substr(header_start, reader.sectionEnd());
    body_start = header_start + reader.bodyOffset();
  } else if (st == SipHeaderReader::Status::EndOfInput) {
    m.headers = in.substr(header_start);
    c.flag(SipFlag::NoHeaderTerminator, "no blank line after the headers");
  } else {
    c.fail(ParseError::Truncated, "the buffer ends inside the header section");
    m.headers = in.substr(header_start);
  }

  if (m.call_id.empty()) c.fail(ParseError::MissingCallId, "no Call-ID");
  if (!c.seen_from || !c.seen_to || !c.seen_cseq || !c.seen_via)
    c.flag(SipFlag::MissingHeader, "From, To, CSeq or Via missing");
  if (m.is_request && !m.cseq_method.empty() && m.cseq_method != m.method)
    c.flag(SipFlag::MethodMismatch, "CSeq method differs from the request method");
  if (const SipVia* top = m.topVia(); top != nullptr && top->branch == "z9hG4bK")
    c.flag(SipFlag::BareBranchCookie, "Via branch is only the magic cookie");

  // Body: Content-Length decides, bounded by the buffer; without it, the rest of the datagram.
  const size_t available = in.size() - body_start;
  size_t body_len = available;
  if (m.content_length >= 0) {
    if (uint64_t(m.content_length) > available) {
      c.flag(SipFlag::ContentLengthExceedsBody, "Content-Length is larger than the body");
    } else {
      body_len = size_t(m.content_length);
      if (body_len < available) c.flag(SipFlag::TrailingBytes, "bytes after Content-Length ignored");
    }
  }
  m.body = in.substr(body_start, body_len);

  if (!m.body.empty() && !m.content_type.empty()) {
    if (isSdpContentType(m.content_type)) {
      parseSdpInto(m.body, m.sdp);  // m.sdp is still all-empty from the reset
    } else if (istartsWith(m.content_type, "multipart/")) {
      const std::string_view part = findMultipartSdp(m.body, m.content_type);
      if (!part.empty()) parseSdpInto(part, m.sdp);
    }
  }
  return c.r;
}

std::string_view parseErrorName(ParseError e) {
  switch (e) {
    case ParseError::Ok:
      return "ok";
    case ParseError::Empty:
      return "empty";
    case ParseError::NotSip:
      return "not_sip";
    case ParseError::BadStartLine:
      return "bad_start_line";
    case ParseError::BadStatusCode:
      return "bad_status_code";
    case ParseError::Truncated:
      return "truncated";
    case ParseError::BadHeader:
      return "bad_header";
    case ParseError::MissingCallId:
      return "missing_call_id";
    case ParseError::BadContentLength:
      return "bad_content_length";
  }
  return "unknown";
}

std::string_view sipFlagName(SipFlag f) {
  switch (f) {
    case SipFlag::DuplicateHeader:
      return "duplicate_header";
    case SipFlag::MethodMismatch:
      return "method_mismatch";
    case SipFlag::ContentLengthExceedsBody:
      return "content_length_exceeds_body";
    case SipFlag::TrailingBytes:
      return "trailing_bytes";
    case SipFlag::UnsupportedVersion:
      return "unsupported_version";
    case SipFlag::StartLineWhitespace:
      return "start_line_whitespace";
    case SipFlag::BadRequestUri:
      return "bad_request_uri";
    case SipFlag::BadCSeq:
      return "bad_cseq";
    case SipFlag::MissingHeader:
      return "missing_header";
    case SipFlag::MalformedHeader:
      return "malformed_header";
    case SipFlag::BadDate:
      return "bad_date";
    case SipFlag::BareBranchCookie:
      return "bare_branch_cookie";
    case SipFlag::NoHeaderTerminator:
      return "no_header_terminator";
  }
  return "unknown";
}

}  // namespace sipvault::sip
