#include "api/qos_media.h"

#include <Poco/String.h>

#include <algorithm>
#include <optional>

#include "api/sip_sections.h"
#include "proto/packet.h"
#include "sip/sdp_parser.h"

namespace sipvault::api {
namespace {

std::optional<uint16_t> portNumber(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

// The fields of one SDP line value, separated by runs of SP/HTAB.
std::vector<std::string_view> fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size() && out.size() < 8) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const size_t b = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > b) out.push_back(s.substr(b, i - b));
  }
  return out;
}

// "IN IP4 192.0.2.1" (c= value, or the tail of a=rtcp): the raw address bytes, "" when not a
// usable literal. A multicast "addr/ttl" keeps the address part.
std::string connectionAddress(const std::vector<std::string_view>& f, size_t first) {
  if (f.size() < first + 3 || f[first] != "IN") return {};
  std::string_view text = f[first + 2];
  if (auto slash = text.find('/'); slash != std::string_view::npos) text = text.substr(0, slash);
  auto ip = IpAddress::parse(text);
  if (!ip) return {};
  const std::string_view raw = ip->raw();
  if (std::all_of(raw.begin(), raw.end(), [](char c) { return c == 0; })) return {};  // 0.0.0.0: on hold
  return std::string(raw);
}

struct Section {
  bool active = false;  // an m= line with a port, not yet flushed
  uint16_t port = 0;
  std::string address;  // media-level c=
  std::optional<uint16_t> rtcp_port;
  std::string rtcp_address;
  bool mux = false;
};

void add(std::vector<MediaAddress>& out, size_t limit, MediaAddress a) {
  if (a.ip.empty() || a.port == 0 || out.size() >= limit) return;
  if (std::find(out.begin(), out.end(), a) != out.end()) return;
  out.push_back(std::move(a));
}

void flush(const Section& m, const std::string& session_address, std::vector<MediaAddress>& out, size_t limit) {
  if (!m.active) return;
  const std::string& ip = m.address.empty() ? session_address : m.address;
  add(out, limit, {ip, m.port, false});
  if (m.mux) return;
  const uint16_t rtcp = m.rtcp_port ? *m.rtcp_port : static_cast<uint16_t>(m.port < 65535 ? m.port + 1 : 0);
  add(out, limit, {m.rtcp_address.empty() ? ip : m.rtcp_address, rtcp, true});
}

}  // namespace

void appendMediaAddresses(std::string_view sdp, std::vector<MediaAddress>& out, size_t limit) {
  std::string session_address;
  Section m;
  bool in_media = false;
  size_t pos = 0;
  while (pos < sdp.size()) {
    size_t end = sdp.find('\n', pos);
    if (end == std::string_view::npos) end = sdp.size();
    std::string_view line = sdp.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() < 2 || line[1] != '=') continue;
    const std::string_view value = line.substr(2);
    switch (line[0]) {
      case 'm': {
        flush(m, session_address, out, limit);
        m = Section{};
        in_media = true;
        const auto f = fields(value);
        if (f.size() >= 3) {
          // "audio 49170/2 RTP/AVP 0": a port count keeps the first port.
          std::string_view port = f[1];
          if (auto slash = port.find('/'); slash != std::string_view::npos) port = port.substr(0, slash);
          if (auto p = portNumber(port)) {
            m.active = true;
            m.port = *p;
          }
        }
        break;
      }
      case 'c': {
        std::string address = connectionAddress(fields(value), 0);
        if (in_media) m.address = std::move(address);
        else session_address = std::move(address);
        break;
      }
      case 'a': {
        if (!in_media) break;
        if (value == "rtcp-mux") {
          m.mux = true;
        } else if (value.substr(0, 5) == "rtcp:") {
          const auto f = fields(value.substr(5));
          if (!f.empty()) m.rtcp_port = portNumber(f[0]);
          if (f.size() >= 4) m.rtcp_address = connectionAddress(f, 1);
        }
        break;
      }
      default:
        break;
    }
  }
  flush(m, session_address, out, limit);
}

std::string sdpOfMessage(std::string_view raw) {
  const SipSections s = splitSipMessage(raw);
  std::string content_type;
  for (const auto& [name, value] : s.headers) {
    if (Poco::icompare(name, "Content-Type") == 0 || name == "c") {
      content_type = value;
      break;
    }
  }
  if (sip::isSdpContentType(content_type)) return s.body;
  if (Poco::icompare(content_type.substr(0, 10), "multipart/") == 0)
    return std::string(sip::findMultipartSdp(s.body, content_type));
  return {};
}

}  // namespace sipvault::api
