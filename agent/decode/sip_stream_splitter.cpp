#include "agent/decode/sip_stream_splitter.h"

#include <algorithm>
#include <optional>

namespace sipvault::netdecode {
namespace {

constexpr std::string_view kSipVersion = "SIP/2.0";

char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// RFC 3261 token characters (method names).
bool isTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
}

std::string_view withoutCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Parses the Content-Length (or "l") value in the header block; nullopt when absent or not a
// number. Header names are case-insensitive, with optional white space before the colon.
std::optional<size_t> contentLength(std::string_view headers) {
  while (!headers.empty()) {
    const size_t lf = headers.find('\n');
    const std::string_view line = withoutCr(headers.substr(0, lf));
    headers = lf == std::string_view::npos ? std::string_view() : headers.substr(lf + 1);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (!equalsNoCase(name, "content-length") && !equalsNoCase(name, "l")) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    size_t n = 0;
    size_t digits = 0;
    for (char c : value) {
      if (c < '0' || c > '9') break;
      if (n > (SIZE_MAX - 9) / 10) return std::nullopt;
      n = n * 10 + size_t(c - '0');
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    return n;
  }
  return std::nullopt;
}

}  // namespace

bool isSipStartLine(std::string_view line) {
  if (line.size() >= 12 && equalsNoCase(line.substr(0, 8), "SIP/2.0 ")) {
    // Status-Line: SIP-Version SP 3DIGIT SP Reason-Phrase
    return std::all_of(line.begin() + 8, line.begin() + 11, [](char c) { return c >= '0' && c <= '9'; }) &&
           line[11] == ' ';
  }
  // Request-Line: Method SP Request-URI SP SIP-Version
  const size_t first_sp = line.find(' ');
  const size_t last_sp = line.rfind(' ');
  if (first_sp == 0 || first_sp == std::string_view::npos || last_sp <= first_sp + 1) return false;
  if (!equalsNoCase(line.substr(last_sp + 1), kSipVersion)) return false;
  const std::string_view method = line.substr(0, first_sp);
  return std::all_of(method.begin(), method.end(), isTokenChar);
}

SipFrame frameSipMessage(std::string_view bytes, size_t max_message_bytes) {
  if (bytes.empty()) return {};
  size_t crlf = 0;
  while (crlf < bytes.size() && (bytes[crlf] == '\r' || bytes[crlf] == '\n')) ++crlf;
  if (crlf > 0) return {SipFrameStatus::KeepAlive, crlf};

  const size_t first_lf = bytes.find('\n');
  if (first_lf == std::string_view::npos) {
    if (bytes.size() < max_message_bytes) return {};
    return {SipFrameStatus::Skip, bytes.size()};
  }
  if (!isSipStartLine(withoutCr(bytes.substr(0, first_lf)))) {
    // Resynchronise: skip to the next line that is a start line, or to the start of the last
    // (incomplete) line, which may turn out to be one.
    size_t pos = first_lf + 1;
    for (;;) {
      const size_t lf = bytes.find('\n', pos);
      if (lf == std::string_view::npos) return {SipFrameStatus::Skip, pos};
      if (isSipStartLine(withoutCr(bytes.substr(pos, lf - pos)))) return {SipFrameStatus::Skip, pos};
      pos = lf + 1;
    }
  }

  // End of the header section: an empty line. CRLF is the norm; bare LF is tolerated.
  size_t body_start = std::string_view::npos;
  for (size_t lf = first_lf; lf != std::string_view::npos; lf = bytes.find('\n', lf + 1)) {
    size_t next = lf + 1;
    if (next < bytes.size() && bytes[next] == '\r') ++next;
    if (next < bytes.size() && bytes[next] == '\n') {
      body_start = next + 1;
      break;
    }
  }
  if (body_start == std::string_view::npos) {
    if (bytes.size() < max_message_bytes) return {};
    return {SipFrameStatus::Oversize, first_lf + 1};
  }
  const size_t body_len = contentLength(bytes.substr(0, body_start)).value_or(0);
  if (body_start > max_message_bytes || body_len > max_message_bytes - body_start) {
    return {SipFrameStatus::Oversize, first_lf + 1};
  }
  if (bytes.size() < body_start + body_len) return {};
  return {SipFrameStatus::Message, body_start + body_len};
}

SipStreamSplitter::SipStreamSplitter(PacketSink& sink, DecodeCounters& counters,
                                     size_t max_message_bytes)
    : sink_(sink), counters_(counters), max_message_bytes_(max_message_bytes) {}

size_t SipStreamSplitter::onStreamData(const TcpStreamInfo& info, std::string_view bytes,
                                       bool /*discontinuity: every message start is checked*/) {
  size_t used = 0;
  while (used < bytes.size()) {
    const SipFrame frame = frameSipMessage(bytes.substr(used), max_message_bytes_);
    switch (frame.status) {
      case SipFrameStatus::NeedMore:
        return used;
      case SipFrameStatus::Message: {
        PacketView view = info.meta;
        view.payload = bytes.substr(used, frame.length);
        ++counters_.sip_stream_messages;
        sink_.onPacket(view);
        break;
      }
      case SipFrameStatus::KeepAlive:
        break;
      case SipFrameStatus::Skip:
        counters_.sip_stream_skipped_bytes += frame.length;
        break;
      case SipFrameStatus::Oversize:
        ++counters_.sip_stream_oversize;
        counters_.sip_stream_skipped_bytes += frame.length;
        break;
    }
    used += frame.length;
  }
  return used;
}

}  // namespace sipvault::netdecode
