#include "parser/sdp_parser.h"

#include "parser/sip_parser.h"
#include "parser/sip_text.h"

namespace sipvault {
namespace {

using namespace sip_text;

// Next line of `rest` without its CRLF/LF; advances `rest`.
std::string_view nextLine(std::string_view& rest) {
  const char* nl = findByte(rest, '\n');
  std::string_view line;
  if (nl == nullptr) {
    line = rest;
    rest = {};
  } else {
    const size_t n = size_t(nl - rest.data());
    line = rest.substr(0, n);
    rest = rest.substr(n + 1);
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Next SP-separated field of `rest`; advances `rest`.
std::string_view nextField(std::string_view& rest) {
  size_t b = 0;
  while (b < rest.size() && isWsp(rest[b])) ++b;
  size_t e = b;
  while (e < rest.size() && !isWsp(rest[e])) ++e;
  std::string_view f = rest.substr(b, e - b);
  rest = rest.substr(e);
  return f;
}

// "IN IP4 192.0.2.4/127" -> "192.0.2.4"
std::string_view connectionAddress(std::string_view value) {
  nextField(value);  // nettype
  nextField(value);  // addrtype
  std::string_view addr = nextField(value);
  if (const char* slash = findByte(addr, '/')) addr = addr.substr(0, size_t(slash - addr.data()));
  return addr;
}

bool parsePort(std::string_view s, uint16_t& port) {
  if (const char* slash = findByte(s, '/')) s = s.substr(0, size_t(slash - s.data()));  // "49170/2"
  uint64_t v = 0;
  if (!parseU64(s, v) || v > 65535) return false;
  port = uint16_t(v);
  return true;
}

// rtpmap entries of the current media section, resolved when the section ends.
constexpr size_t kMaxRtpmaps = 32;
struct MediaSection {
  std::string_view formats;  // the fmt list of the m= line
  bool rtp = false;          // RTP/AVP, RTP/SAVP, ...: numeric formats are payload types
  size_t rtpmap_count = 0;
  std::array<std::string_view, kMaxRtpmaps> rtpmap_pt{};
  std::array<std::string_view, kMaxRtpmaps> rtpmap_name{};
};

void addCodec(SdpSummary& out, std::string_view name) {
  if (name.empty()) return;
  for (size_t i = 0; i < out.codec_count; ++i)
    if (iequals(out.codecs[i], name)) return;
  if (out.codec_count < kMaxSdpCodecs) out.codecs[out.codec_count++] = name;
}

void resolveCodecs(const MediaSection& m, SdpSummary& out) {
  std::string_view rest = m.formats;
  for (std::string_view fmt = nextField(rest); !fmt.empty(); fmt = nextField(rest)) {
    uint64_t pt = 0;
    if (!m.rtp || !parseU64(fmt, pt)) {
      addCodec(out, fmt);  // non-RTP media: the format is the name ("t38")
      continue;
    }
    std::string_view name;
    for (size_t i = 0; i < m.rtpmap_count; ++i)
      if (m.rtpmap_pt[i] == fmt) {
        name = m.rtpmap_name[i];
        break;
      }
    if (name.empty() && pt < 128) name = staticPayloadName(unsigned(pt));
    addCodec(out, name);  // dynamic type without rtpmap: nothing to name
  }
}

// "rtpmap:96 opus/48000/2" -> pt "96", name "opus"
void addRtpmap(std::string_view value, MediaSection& m) {
  value.remove_prefix(7);  // "rtpmap:"
  std::string_view pt = nextField(value);
  std::string_view enc = nextField(value);
  if (const char* slash = findByte(enc, '/')) enc = enc.substr(0, size_t(slash - enc.data()));
  if (pt.empty() || enc.empty() || m.rtpmap_count >= kMaxRtpmaps) return;
  m.rtpmap_pt[m.rtpmap_count] = pt;
  m.rtpmap_name[m.rtpmap_count] = enc;
  ++m.rtpmap_count;
}

// Value of parameter `name` in "type/subtype;a=b;name=value" (quotes removed), or empty.
std::string_view contentTypeParam(std::string_view content_type, std::string_view name) {
  std::string_view rest = content_type;
  while (const char* semi = findByte(rest, ';')) {
    rest = rest.substr(size_t(semi - rest.data()) + 1);
    size_t end = 0;
    while (end < rest.size() && rest[end] != ';') {
      if (rest[end] == '"') {
        const size_t q = findQuoteEnd(rest, end);
        if (q == std::string_view::npos) return {};
        end = q;
      }
      ++end;
    }
    std::string_view param = rest.substr(0, end);
    const char* eq = findByte(param, '=');
    if (eq == nullptr) continue;
    const size_t eq_at = size_t(eq - param.data());
    if (!iequals(trimLws(param.substr(0, eq_at)), name)) continue;
    std::string_view value = trimLws(param.substr(eq_at + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    return value;
  }
  return {};
}

}  // namespace

bool isSdpContentType(std::string_view content_type) {
  content_type = trimLws(content_type);
  if (!istartsWith(content_type, "application/sdp")) return false;
  return content_type.size() == 15 || content_type[15] == ';' || isLws(content_type[15]);
}

std::string_view staticPayloadName(unsigned pt) {
  switch (pt) {
    case 0: return "PCMU";
    case 3: return "GSM";
    case 4: return "G723";
    case 5: case 6: case 16: case 17: return "DVI4";
    case 7: return "LPC";
    case 8: return "PCMA";
    case 9: return "G722";
    case 10: case 11: return "L16";
    case 12: return "QCELP";
    case 13: return "CN";
    case 14: return "MPA";
    case 15: return "G728";
    case 18: return "G729";
    case 25: return "CelB";
    case 26: return "JPEG";
    case 28: return "nv";
    case 31: return "H261";
    case 32: return "MPV";
    case 33: return "MP2T";
    case 34: return "H263";
    default: return {};
  }
}

void parseSdp(std::string_view body, SdpSummary& out) {
  out = SdpSummary{};
  MediaSection section;
  bool in_media = false;
  size_t media_total = 0;
  std::string_view rest = body;
  while (!rest.empty()) {
    const std::string_view line = nextLine(rest);
    if (line.size() < 2 || line[1] != '=' || !isAlpha(line[0])) continue;
    out.present = true;
    const std::string_view value = line.substr(2);
    switch (line[0]) {
      case 'c': {
        const std::string_view addr = connectionAddress(value);
        if (addr.empty()) break;
        if (!in_media) {
          if (out.connection_address.empty()) out.connection_address = addr;
        } else if (media_total <= kMaxSdpMedia) {
          SdpMedia& m = out.media[media_total - 1];
          if (m.connection_address.empty()) m.connection_address = addr;
        }
        break;
      }
      case 'm': {
        if (in_media) resolveCodecs(section, out);
        section = MediaSection{};
        in_media = true;
        ++media_total;
        std::string_view fields = value;
        const std::string_view type = nextField(fields);
        const std::string_view port = nextField(fields);
        const std::string_view proto = nextField(fields);
        section.formats = fields;
        section.rtp = istartsWith(proto, "RTP/");
        if (media_total <= kMaxSdpMedia) {
          SdpMedia& m = out.media[media_total - 1];
          m.type = type;
          m.protocol = proto;
          if (!parsePort(port, m.port)) m.port = 0;
          out.media_count = uint8_t(media_total);
        }
        break;
      }
      case 'a':
        if (in_media && value.size() > 7 && value.substr(0, 7) == "rtpmap:") addRtpmap(value, section);
        break;
      default:
        break;
    }
  }
  if (in_media) resolveCodecs(section, out);
  for (size_t i = 0; i < out.media_count; ++i) {
    if (out.media[i].connection_address.empty())
      out.media[i].connection_address = out.connection_address;
  }
  if (out.connection_address.empty() && out.media_count > 0)
    out.connection_address = out.media[0].connection_address;
}

std::string_view findMultipartSdp(std::string_view body, std::string_view content_type) {
  const std::string_view boundary = contentTypeParam(content_type, "boundary");
  if (boundary.empty()) return {};
  // A delimiter is "--" boundary at the start of the body or of a line.
  auto findDelimiter = [&](size_t from) -> size_t {
    while (from < body.size()) {
      const size_t at = body.find(boundary, from);
      if (at == std::string_view::npos) return at;
      if (at >= 2 && body[at - 1] == '-' && body[at - 2] == '-' &&
          (at == 2 || body[at - 3] == '\n'))
        return at - 2;
      from = at + 1;
    }
    return std::string_view::npos;
  };
  size_t delim = findDelimiter(0);
  while (delim != std::string_view::npos) {
    size_t pos = delim + 2 + boundary.size();
    if (body.substr(pos, 2) == "--") return {};  // close delimiter
    const char* nl = findByte(body.substr(pos), '\n');
    if (nl == nullptr) return {};
    pos = size_t(nl - body.data()) + 1;
    // Part headers up to the blank line; a part with no headers is text/plain.
    SipHeaderField field;
    SipHeaderReader reader(body.substr(pos));
    std::string_view part_type;
    SipHeaderReader::Status st;
    while ((st = reader.next(field)) == SipHeaderReader::Status::Field ||
           st == SipHeaderReader::Status::BadLine) {
      if (st == SipHeaderReader::Status::Field &&
          (iequals(field.name, "Content-Type") || iequals(field.name, "c")))
        part_type = field.value;
    }
    if (st != SipHeaderReader::Status::End) return {};
    const size_t content = pos + reader.bodyOffset();
    const size_t next = findDelimiter(content);
    if (isSdpContentType(part_type)) {
      size_t end = next == std::string_view::npos ? body.size() : next;
      // The CRLF before the delimiter belongs to the delimiter.
      if (end > content && body[end - 1] == '\n') --end;
      if (end > content && body[end - 1] == '\r') --end;
      return body.substr(content, end - content);
    }
    delim = next;
  }
  return {};
}

}  // namespace sipvault
