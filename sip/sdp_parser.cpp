#include "sip/sdp_parser.h"

#include <cstring>

#include "sip/sip_parser.h"
#include "sip/sip_text.h"

namespace sipvault::sip {
namespace {

using namespace text;

// Next SP-separated field of [p, end) into `field`; returns where scanning continues. (SDP
// separates fields with exactly one SP; runs of SP/HTAB are tolerated.) Returning the position,
// rather than advancing a pointer by reference, keeps the callers' cursors in registers.
const char* nextField(const char* p, const char* end, std::string_view& field) {
  while (p < end && (*p == ' ' || *p == '\t')) ++p;
  const char* b = p;
  while (p < end && *p != ' ' && *p != '\t') ++p;
  field = std::string_view(b, size_t(p - b));
  return p;
}

std::string_view untilSlash(std::string_view s) {
  const char* slash = findByte(s, '/');
  return slash ? s.substr(0, size_t(slash - s.data())) : s;
}

// Small decimal (payload type, port); -1 when not 1-5 digits.
int smallNumber(std::string_view s) {
  if (s.empty() || s.size() > 5) return -1;
  int v = 0;
  for (char c : s) {
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

// An rtpmap clock rate: 1-9 digits (cannot overflow), else 0.
uint32_t clockRate(std::string_view s) {
  if (s.empty() || s.size() > 9) return 0;
  uint32_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return 0;
    v = v * 10 + uint32_t(c - '0');
  }
  return v;
}

// rtpmap entries of the current media section, resolved when the section ends.
constexpr size_t kMaxRtpmaps = 32;
struct MediaSection {
  std::string_view formats;  // the fmt list of the m= line
  bool rtp = false;          // RTP/AVP, RTP/SAVP, ...: numeric formats are payload types
  SdpMedia* media = nullptr; // where the section's details go (null past kMaxSdpMedia)
  size_t rtpmap_count = 0;
  // Plain arrays, only the first rtpmap_count entries are ever read: no zero fill per message.
  int rtpmap_pt[kMaxRtpmaps];
  const char* rtpmap_name[kMaxRtpmaps];
  uint32_t rtpmap_name_len[kMaxRtpmaps];
  uint32_t rtpmap_clock[kMaxRtpmaps];
};

void addCodec(SdpSummary& out, std::string_view name) {
  if (name.empty()) return;
  for (size_t i = 0; i < out.codec_count; ++i)
    if (iequals(out.codecs[i], name)) return;
  if (out.codec_count < kMaxSdpCodecs) out.codecs[out.codec_count++] = name;
}

void resolveCodecs(const MediaSection& m, SdpSummary& out) {
  const char* p = m.formats.data();
  const char* end = p + m.formats.size();
  std::string_view fmt;
  bool first = true;
  for (p = nextField(p, end, fmt); !fmt.empty(); p = nextField(p, end, fmt), first = false) {
    const int pt = m.rtp ? smallNumber(fmt) : -1;
    if (pt < 0) {
      addCodec(out, fmt);  // non-RTP media: the format is the name ("t38")
      if (first && m.media) m.media->first_codec = fmt;
      continue;
    }
    std::string_view name;
    uint32_t clock = 0;
    for (size_t i = 0; i < m.rtpmap_count; ++i)
      if (m.rtpmap_pt[i] == pt) {
        name = std::string_view(m.rtpmap_name[i], m.rtpmap_name_len[i]);
        clock = m.rtpmap_clock[i];
        break;
      }
    if (name.empty() && pt < 128) {
      name = staticPayloadName(unsigned(pt));
      clock = staticPayloadClockRate(unsigned(pt));
    }
    if (first && m.media) {
      m.media->first_codec = name;
      m.media->clock_rate = clock;
    }
    addCodec(out, name);  // dynamic type without rtpmap: nothing to name
  }
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

// a=rtcp:PORT [nettype addrtype address] (RFC 3605) and a=rtcp-mux (RFC 5761); other
// attributes (rtcp-fb, rtcp-rsize, ...) are left alone.
void parseRtcpAttribute(std::string_view attr, SdpMedia& m) {
  if (attr == "rtcp-mux") {
    m.rtcp_mux = true;
    return;
  }
  if (attr.size() <= 5 || attr.substr(0, 5) != "rtcp:") return;
  const char* p = attr.data() + 5;
  const char* end = attr.data() + attr.size();
  std::string_view port, addr;
  p = nextField(p, end, port);
  const int n = smallNumber(port);
  if (n <= 0 || n > 65535) return;
  m.rtcp_port = uint16_t(n);
  p = nextField(p, end, addr);  // nettype
  p = nextField(p, end, addr);  // addrtype
  p = nextField(p, end, addr);
  m.rtcp_address = addr;
}

}  // namespace

bool isSdpContentType(std::string_view content_type) {
  content_type = trimLws(content_type);
  if (!istartsWith(content_type, "application/sdp")) return false;
  return content_type.size() == 15 || content_type[15] == ';' || isLws(content_type[15]);
}

std::string_view staticPayloadName(unsigned pt) {
  switch (pt) {
    case 0:
      return "PCMU";
    case 3:
      return "GSM";
    case 4:
      return "G723";
    case 5:
    case 6:
    case 16:
    case 17:
      return "DVI4";
    case 7:
      return "LPC";
    case 8:
      return "PCMA";
    case 9:
      return "G722";
    case 10:
    case 11:
      return "L16";
    case 12:
      return "QCELP";
    case 13:
      return "CN";
    case 14:
      return "MPA";
    case 15:
      return "G728";
    case 18:
      return "G729";
    case 25:
      return "CelB";
    case 26:
      return "JPEG";
    case 28:
      return "nv";
    case 31:
      return "H261";
    case 32:
      return "MPV";
    case 33:
      return "MP2T";
    case 34:
      return "H263";
    default:
      return {};
  }
}

uint32_t staticPayloadClockRate(unsigned pt) {
  switch (pt) {
    case 0: case 3: case 4: case 5: case 7: case 8: case 9: case 12: case 13: case 15: case 18:
      return 8000;  // G722's RTP clock is 8000 by RFC 3551's famous erratum
    case 6:
      return 16000;
    case 10:
    case 11:
      return 44100;
    case 16:
      return 11025;
    case 17:
      return 22050;
    case 14: case 25: case 26: case 28: case 31: case 32: case 33: case 34:
      return 90000;
    default:
      return 0;
  }
}

void parseSdp(std::string_view body, SdpSummary& out) {
  out = SdpSummary{};
  parseSdpInto(body, out);
}

void parseSdpInto(std::string_view body, SdpSummary& out) {
  MediaSection section;
  bool in_media = false;
  size_t media_total = 0;
  const char* p = body.data();
  const char* const body_end = p + body.size();
  while (p < body_end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', size_t(body_end - p)));
    const char* line = p;
    const char* end = nl ? nl : body_end;
    p = nl ? nl + 1 : body_end;
    if (end > line && end[-1] == '\r') --end;
    if (end - line < 2 || line[1] != '=' || !isAlpha(line[0])) continue;
    out.present = true;
    const char* v = line + 2;
    switch (line[0]) {
      case 'c': {
        std::string_view addr;
        v = nextField(v, end, addr);  // nettype
        v = nextField(v, end, addr);  // addrtype
        v = nextField(v, end, addr);
        addr = untilSlash(addr);  // "224.2.1.1/127" -> address
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
        in_media = true;
        ++media_total;
        std::string_view type, port, proto;
        v = nextField(v, end, type);
        v = nextField(v, end, port);
        port = untilSlash(port);  // "49170/2" -> 49170
        v = nextField(v, end, proto);
        section.formats = std::string_view(v, size_t(end - v));
        section.rtp = istartsWith(proto, "RTP/");
        section.rtpmap_count = 0;
        section.media = nullptr;
        if (media_total <= kMaxSdpMedia) {
          SdpMedia& m = out.media[media_total - 1];
          section.media = &m;
          m.type = type;
          m.protocol = proto;
          const int n = smallNumber(port);
          m.port = n >= 0 && n <= 65535 ? uint16_t(n) : 0;
          out.media_count = uint8_t(media_total);
        }
        break;
      }
      case 'a':
        // a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]
        if (in_media && end - v > 7 && std::memcmp(v, "rtpmap:", 7) == 0 &&
            section.rtpmap_count < kMaxRtpmaps) {
          v += 7;
          std::string_view pt_text;
          v = nextField(v, end, pt_text);
          const int pt = smallNumber(pt_text);
          while (v < end && *v == ' ') ++v;
          const char* enc_begin = v;
          while (v < end && *v != '/' && *v != ' ') ++v;
          const std::string_view enc(enc_begin, size_t(v - enc_begin));
          uint32_t clock = 0;
          if (v < end && *v == '/') {
            const char* rate_begin = ++v;
            while (v < end && *v != '/' && *v != ' ') ++v;
            const std::string_view rate(rate_begin, size_t(v - rate_begin));
            clock = clockRate(rate);
          }
          if (pt >= 0 && !enc.empty()) {
            section.rtpmap_clock[section.rtpmap_count] = clock;
            section.rtpmap_pt[section.rtpmap_count] = pt;
            section.rtpmap_name[section.rtpmap_count] = enc.data();
            section.rtpmap_name_len[section.rtpmap_count] = uint32_t(enc.size());
            ++section.rtpmap_count;
          }
        } else if (in_media && section.media != nullptr) {
          parseRtcpAttribute(std::string_view(v, size_t(end - v)), *section.media);
        }
        break;
      default:
        break;
    }
  }
  if (in_media) resolveCodecs(section, out);
  for (size_t i = 0; i < out.media_count; ++i) {
    if (out.media[i].connection_address.empty()) out.media[i].connection_address = out.connection_address;
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
      if (at >= 2 && body[at - 1] == '-' && body[at - 2] == '-' && (at == 2 || body[at - 3] == '\n'))
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

}  // namespace sipvault::sip
