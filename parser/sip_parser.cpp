#include "parser/sip_parser.h"

#include <memory>
#include <new>

#include "parser/sdp_parser.h"
#include "parser/sip_text.h"

namespace sipvault {

using namespace sip_text;

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

// ---------------------------------------------------------------------------------------------
// Header reader

SipHeaderReader::Status SipHeaderReader::next(SipHeaderField& field) {
  const size_t n = data_.size();
  if (pos_ >= n) return Status::EndOfInput;
  const char* base = data_.data();
  const char* nl = static_cast<const char*>(std::memchr(base + pos_, '\n', n - pos_));
  if (nl == nullptr) return Status::Truncated;
  const size_t start = pos_;
  const size_t first_nl = size_t(nl - base);
  size_t first_end = first_nl;
  if (first_end > start && base[first_end - 1] == '\r') --first_end;
  if (first_end == start) {  // the blank line
    section_end_ = start;
    pos_ = first_nl + 1;
    return Status::End;
  }
  // Continuation lines (starting with SP/HTAB) belong to this field.
  size_t last_nl = first_nl;
  while (last_nl + 1 < n && isWsp(base[last_nl + 1])) {
    nl = static_cast<const char*>(std::memchr(base + last_nl + 1, '\n', n - last_nl - 1));
    if (nl == nullptr) return Status::Truncated;
    last_nl = size_t(nl - base);
  }
  pos_ = last_nl + 1;
  // name *(SP / HTAB) ":" — the name is a token, so scan it instead of searching for the colon.
  size_t i = start;
  while (i < first_end && isTokenChar(base[i])) ++i;
  const size_t name_end = i;
  while (i < first_end && isWsp(base[i])) ++i;
  if (name_end == start || i >= first_end || base[i] != ':') {
    field = {{}, data_.substr(start, last_nl - start), last_nl != first_nl};
    return Status::BadLine;
  }
  field.name = std::string_view(base + start, name_end - start);
  field.value = trimLws(std::string_view(base + i + 1, last_nl - i - 1));
  field.folded = last_nl != first_nl && findByte(field.value, '\n') != nullptr;
  return Status::Field;
}

std::string_view unfoldHeaderValue(std::string_view value, SipArena& arena) {
  if (findByte(value, '\n') == nullptr) return value;
  char* out = arena.allocate(value.size());
  if (out == nullptr) return value;
  size_t o = 0;
  for (size_t i = 0; i < value.size();) {
    const char c = value[i];
    if (c == '\r' || c == '\n') {
      while (o > 0 && isWsp(out[o - 1])) --o;
      while (i < value.size() && isLws(value[i])) ++i;
      out[o++] = ' ';
      continue;
    }
    out[o++] = c;
    ++i;
  }
  arena.shrinkLast(out, o);
  return {out, o};
}

namespace {

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

// Splits a comma list; yields one (possibly empty) element per comma-separated slot.
class ListSplitter {
 public:
  explicit ListSplitter(std::string_view s) : rest_(s) {}
  bool next(std::string_view& elem) {
    if (done_) return false;
    if (findByte(rest_, ',') == nullptr) {  // the common case: a single value
      elem = rest_;
      done_ = true;
      return true;
    }
    std::string_view before = rest_;
    elem = nextListElement(rest_);
    // nextListElement consumed a comma when it stopped before the end of the input.
    done_ = elem.size() == before.size();
    return true;
  }

 private:
  std::string_view rest_;
  bool done_ = false;
};

// ";name[=value]" parameters with LWS anywhere between the parts. Calls on(name, value) with
// quotes removed from quoted values. False when the text is not a parameter list (junk, an empty
// name or an empty value); parameters seen before the problem are still reported.
template <class F>
bool scanParams(std::string_view s, F&& on) {
  bool ok = true;
  size_t i = 0;
  const size_t n = s.size();
  auto skipLws = [&] {
    while (i < n && isLws(s[i])) ++i;
  };
  for (;;) {
    skipLws();
    if (i >= n) return ok;
    if (s[i] != ';') return false;
    ++i;
    skipLws();
    const size_t ns = i;
    while (i < n && isTokenChar(s[i])) ++i;
    const std::string_view name = s.substr(ns, i - ns);
    if (name.empty()) {
      ok = false;
      if (i < n && s[i] != ';') return false;
      continue;
    }
    skipLws();
    std::string_view value;
    if (i < n && s[i] == '=') {
      ++i;
      skipLws();
      if (i < n && s[i] == '"') {
        const size_t q = findQuoteEnd(s, i);
        if (q == std::string_view::npos) return false;
        value = s.substr(i + 1, q - i - 1);
        i = q + 1;
      } else {
        const size_t vs = i;
        while (i < n && !hasClass(s[i], kClassParamEnd)) ++i;
        value = s.substr(vs, i - vs);
        if (value.empty()) ok = false;
      }
    }
    on(name, value);
  }
}

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

// name-addr / addr-spec with parameters (From, To, Contact, P-Asserted-Identity values).
// Returns an empty string when well formed, else why it is not; fills what it could.
std::string_view parseNameAddr(std::string_view v, std::string_view& display_name, SipUri& uri,
                               std::string_view& tag, SipArena& arena);
std::string_view parseNameAddr(std::string_view v, SipNameAddr& na, SipArena& arena) {
  na.present = true;
  return parseNameAddr(v, na.display_name, na.uri, na.tag, arena);
}

std::string_view parseNameAddr(std::string_view v, std::string_view& display_name, SipUri& uri,
                               std::string_view& tag, SipArena& arena) {
  v = trimLws(v);
  std::string_view why;
  std::string_view uri_text;
  std::string_view params;
  size_t i = 0;
  if (!v.empty() && v[0] == '"') {
    const size_t q = findQuoteEnd(v, 0);
    if (q == std::string_view::npos) return "unterminated quoted display name";
    display_name = unescapeQuoted(v.substr(1, q - 1), arena);
    i = q + 1;
    while (i < v.size() && isLws(v[i])) ++i;
    if (i >= v.size() || v[i] != '<') return "quoted display name without <URI>";
  } else {
    while (i < v.size() && v[i] != '<' && v[i] != ';' && v[i] != '"') ++i;
    if (i < v.size() && v[i] == '"') return "quote inside an unquoted display name";
    if (i < v.size() && v[i] == '<') {
      display_name = trimLws(v.substr(0, i));
      for (char c : display_name)
        if (!isTokenChar(c) && !isLws(c)) why = "unquoted display name is not a token list";
    }
  }
  if (i < v.size() && v[i] == '<') {
    const char* gt = findByte(v.substr(i), '>');
    if (gt == nullptr) return "unterminated <URI>";
    const size_t gt_at = size_t(gt - v.data());
    uri_text = v.substr(i + 1, gt_at - i - 1);
    const std::string_view trimmed = trimLws(uri_text);
    if (trimmed.size() != uri_text.size()) why = "whitespace inside <URI>";
    uri_text = trimmed;
    params = v.substr(gt_at + 1);
  } else {
    // addr-spec: any ";..." are header parameters (RFC 3261 20.10).
    uri_text = trimLws(v.substr(0, i));  // SEMI = SWS ";" SWS
    params = v.substr(i);
    if (findByte(uri_text, '?') || findByte(uri_text, ',') || findByte(uri_text, ' ') ||
        findByte(uri_text, '\t'))
      why = "URI with headers, comma or space outside <>";
  }
  if (!parseSipUri(uri_text, uri, arena) && why.empty()) why = "malformed URI";
  const bool params_ok = scanParams(params, [&](std::string_view name, std::string_view value) {
    if (tag.empty() && equalsLowerToken(name, "tag")) tag = value;
  });
  if (!params_ok && why.empty()) why = "malformed parameters";
  return why;
}

enum class ViaResult { Ok, Malformed, Bad };

ViaResult parseVia(std::string_view e, SipVia& via) {
  e = trimLws(e);
  const size_t n = e.size();
  size_t i = 0;
  auto token = [&] {
    const size_t s = i;
    while (i < n && isTokenChar(e[i])) ++i;
    return e.substr(s, i - s);
  };
  auto sws = [&] {
    while (i < n && isWsp(e[i])) ++i;
  };
  // sent-protocol: name SWS "/" SWS version SWS "/" SWS transport
  if (token().empty()) return ViaResult::Bad;
  sws();
  if (i >= n || e[i] != '/') return ViaResult::Bad;
  ++i;
  sws();
  if (token().empty()) return ViaResult::Bad;
  sws();
  if (i >= n || e[i] != '/') return ViaResult::Bad;
  ++i;
  sws();
  const std::string_view transport = token();
  if (transport.empty() || i >= n || !isWsp(e[i])) return ViaResult::Bad;
  sws();
  SipVia hop;
  hop.transport = transport;
  bool bare_ipv6 = false;
  const size_t used = parseHostPort(e.substr(i), hop.host, hop.port, bare_ipv6);
  if (used == std::string_view::npos) return ViaResult::Bad;
  i += used;
  const bool ok = scanParams(e.substr(i), [&](std::string_view name, std::string_view value) {
    if (hop.branch.empty() && equalsLowerToken(name, "branch"))
      hop.branch = value;
    else if (hop.received.empty() && equalsLowerToken(name, "received"))
      hop.received = value;
  });
  via = hop;
  return ok && !bare_ipv6 ? ViaResult::Ok : ViaResult::Malformed;
}

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

// "SIP/" 1*DIGIT "." 1*DIGIT
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

bool looksLikeSipStartLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (istartsWith(line, "SIP/")) {
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos || !isSipVersion(line.substr(0, sp))) return false;
    const std::string_view code = line.substr(sp + 1, 3);
    return code.size() == 3 && isDigit(code[0]) && isDigit(code[1]) && isDigit(code[2]);
  }
  const size_t sp = line.find(' ');
  if (sp == std::string_view::npos || !isToken(line.substr(0, sp))) return false;
  const std::string_view rest = trimWsp(line.substr(sp + 1));
  const size_t last = rest.rfind(' ');
  return last != std::string_view::npos && isSipVersion(rest.substr(last + 1));
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

std::string_view canonicalHeaderName(std::string_view name) {
  if (name.size() != 1) return name;
  switch (toLower(name[0])) {
    case 'a':
      return "Accept-Contact";
    case 'b':
      return "Referred-By";
    case 'c':
      return "Content-Type";
    case 'd':
      return "Request-Disposition";
    case 'e':
      return "Content-Encoding";
    case 'f':
      return "From";
    case 'i':
      return "Call-ID";
    case 'j':
      return "Reject-Contact";
    case 'k':
      return "Supported";
    case 'l':
      return "Content-Length";
    case 'm':
      return "Contact";
    case 'n':
      return "Identity-Info";
    case 'o':
      return "Event";
    case 'r':
      return "Refer-To";
    case 's':
      return "Subject";
    case 't':
      return "To";
    case 'u':
      return "Allow-Events";
    case 'v':
      return "Via";
    case 'x':
      return "Session-Expires";
    case 'y':
      return "Identity";
    default:
      return name;
  }
}

}  // namespace sipvault
