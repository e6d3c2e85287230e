#include "sip/sip_grammar.h"
#include "sip/sip_parser.h"

// Header lines and the values the parser reads: the header reader (folding, compact forms),
// name-addr (From, To, Contact, P-Asserted-Identity) and Via.
namespace sipvault::sip {

using namespace text;

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

// name-addr / addr-spec with parameters (From, To, Contact, P-Asserted-Identity values).
// Returns an empty string when well formed, else why it is not; fills what it could.
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

}  // namespace sipvault::sip
