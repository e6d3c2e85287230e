#pragma once
// Corpus access for the writer tests: RFC 4475 messages and the IPv6 pcap with broken (2012..2092)
// timestamps, turned into wire::SipRecord values the way a parser would hand them over.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sipvault.pb.h"
#include "tests/support/test_files.h"

namespace sipvault::test {

// The value of the first header named `name` (or its compact form), trimmed; "" when absent.
// Good enough for the well-formed corpus messages used here; not a SIP parser.
inline std::string headerValue(std::string_view msg, std::string_view name, std::string_view compact) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  size_t pos = msg.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < msg.size()) {
    const size_t start = pos + 2;
    const size_t end = msg.find("\r\n", start);
    const std::string_view line = msg.substr(start, end == std::string_view::npos ? msg.npos : end - start);
    if (line.empty()) break;  // end of headers
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view key = line.substr(0, colon);
      while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
      const std::string k = lower(key);
      if (k == lower(name) || (!compact.empty() && k == lower(compact))) {
        std::string_view v = line.substr(colon + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
        return std::string(v);
      }
    }
    pos = end;
  }
  return {};
}

struct CorpusFile {
  std::string name;
  std::string bytes;
};

// Every file of rfc4475/valid, sorted by name.
inline std::vector<CorpusFile> rfc4475Valid() {
  std::vector<CorpusFile> out;
  for (const auto& e : std::filesystem::directory_iterator(corpusDir() / "rfc4475" / "valid"))
    if (e.is_regular_file()) out.push_back({e.path().stem().string(), readFile(e.path())});
  std::sort(out.begin(), out.end(), [](const CorpusFile& a, const CorpusFile& b) { return a.name < b.name; });
  if (out.size() < 20) throw std::runtime_error("rfc4475/valid looks incomplete");
  return out;
}

// A parsed-looking record for a corpus SIP message: capture metadata plus the fields a parser
// would extract (taken from the message's own headers).
inline wire::SipRecord sipRecordFor(const std::string& bytes, uint64_t capture_us) {
  wire::SipRecord r;
  auto* p = r.mutable_packet();
  p->set_capture_time_us(capture_us);
  p->set_ip_family(4);
  p->set_src_ip(std::string("\xc0\x00\x02\x0a", 4));  // 192.0.2.10
  p->set_dst_ip(std::string("\xc0\x00\x02\x14", 4));  // 192.0.2.20
  p->set_src_port(5060);
  p->set_dst_port(5080);
  p->set_ip_proto(17);
  p->set_payload_type(1);
  p->set_capture_id(2001);
  p->set_node_name("sbc-a");
  p->set_payload(bytes);
  auto* s = r.mutable_sip();
  const bool response = bytes.rfind("SIP/2.0 ", 0) == 0;
  s->set_is_request(!response);
  const std::string first = bytes.substr(0, bytes.find(' '));
  if (response) s->set_status(static_cast<uint32_t>(std::stoul(bytes.substr(8, 3))));
  const std::string cseq = headerValue(bytes, "CSeq", "");
  s->set_method(response ? cseq.substr(cseq.find(' ') + 1) : first);
  s->set_call_id(headerValue(bytes, "Call-ID", "i"));
  s->set_user_agent(headerValue(bytes, response ? "Server" : "User-Agent", ""));
  auto user_of = [](const std::string& v) {
    const size_t at = v.find('@');
    const size_t colon = v.rfind(':', at);
    if (at == std::string::npos || colon == std::string::npos) return std::string();
    return v.substr(colon + 1, at - colon - 1);
  };
  s->set_from_user(user_of(headerValue(bytes, "From", "f")));
  s->set_to_user(user_of(headerValue(bytes, "To", "t")));
  if (!response) s->set_ruri_user(user_of(bytes.substr(0, bytes.find("\r\n"))));
  return r;
}

struct PcapFrame {
  uint64_t capture_us = 0;
  std::string src_ip, dst_ip;  // 16 bytes
  uint16_t src_port = 0, dst_port = 0;
  std::string payload;
};

// IPv6/UDP frames of a classic little-endian Ethernet pcap (heplify_sip_ipv6_udp.pcap).
inline std::vector<PcapFrame> readIpv6UdpPcap(const std::filesystem::path& path) {
  const std::string f = readFile(path);
  auto u32 = [&](size_t at) {
    return uint32_t(uint8_t(f[at])) | uint32_t(uint8_t(f[at + 1])) << 8 | uint32_t(uint8_t(f[at + 2])) << 16 |
           uint32_t(uint8_t(f[at + 3])) << 24;
  };
  auto be16 = [&](size_t at) { return uint16_t(uint8_t(f[at]) << 8 | uint8_t(f[at + 1])); };
  if (f.size() < 24 || u32(0) != 0xa1b2c3d4 || u32(20) != 1) throw std::runtime_error("not an LE Ethernet pcap");
  std::vector<PcapFrame> out;
  for (size_t at = 24; at + 16 <= f.size();) {
    const uint32_t caplen = u32(at + 8);
    const size_t frame = at + 16;
    if (frame + caplen > f.size()) throw std::runtime_error("truncated pcap");
    // Ethernet (14) + IPv6 (40, next header UDP) + UDP (8).
    if (caplen < 62 || be16(frame + 12) != 0x86dd || uint8_t(f[frame + 14 + 6]) != 17)
      throw std::runtime_error("frame is not Ethernet/IPv6/UDP");
    PcapFrame fr;
    fr.capture_us = uint64_t(u32(at)) * 1000000u + u32(at + 4);
    fr.src_ip = f.substr(frame + 22, 16);
    fr.dst_ip = f.substr(frame + 38, 16);
    fr.src_port = be16(frame + 54);
    fr.dst_port = be16(frame + 56);
    fr.payload = f.substr(frame + 62, caplen - 62);
    out.push_back(std::move(fr));
    at = frame + caplen;
  }
  return out;
}

}  // namespace sipvault::test
