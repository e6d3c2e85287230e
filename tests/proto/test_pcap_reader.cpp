#include "test_pcap_reader.h"

#include <pcap/pcap.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

namespace sipvault::test {

namespace {

constexpr int kLinkEthernet = 1;    // DLT_EN10MB
constexpr int kLinkLinuxSll = 113;  // DLT_LINUX_SLL

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

}  // namespace

std::vector<CapturedSegment> readSegments(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pcap = pcap_open_offline(path.c_str(), errbuf);
  INFO(path << ": " << errbuf);
  REQUIRE(pcap != nullptr);
  const int link = pcap_datalink(pcap);
  REQUIRE((link == kLinkEthernet || link == kLinkLinuxSll));

  std::vector<CapturedSegment> out;
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(pcap, &hdr, &data) == 1) {
    const uint8_t* p = data;
    size_t n = hdr->caplen;
    uint16_t ethertype = 0;
    if (link == kLinkEthernet) {
      if (n < 14) continue;
      ethertype = be16(p + 12);
      p += 14, n -= 14;
      while (ethertype == 0x8100 && n >= 4) {
        ethertype = be16(p + 2);
        p += 4, n -= 4;
      }
    } else {
      if (n < 16) continue;
      ethertype = be16(p + 14);
      p += 16, n -= 16;
    }
    if (ethertype != 0x0800 || n < 20 || (p[0] >> 4) != 4) continue;
    const size_t ihl = size_t(p[0] & 0x0f) * 4;
    const size_t ip_total = be16(p + 2);
    if (ihl < 20 || ip_total < ihl || ip_total > n) continue;
    if ((be16(p + 6) & 0x3fff) != 0) continue;  // a fragment
    CapturedSegment seg;
    seg.time_us = uint64_t(hdr->ts.tv_sec) * 1000000u + uint64_t(hdr->ts.tv_usec);
    seg.ip_proto = p[9];
    seg.src = IpAddress::v4(p + 12);
    seg.dst = IpAddress::v4(p + 16);
    const uint8_t* t = p + ihl;
    const size_t tn = ip_total - ihl;
    if (seg.ip_proto == kIpProtoUdp && tn >= 8) {
      seg.src_port = be16(t);
      seg.dst_port = be16(t + 2);
      seg.payload.assign(reinterpret_cast<const char*>(t + 8), tn - 8);
    } else if (seg.ip_proto == kIpProtoTcp && tn >= 20) {
      const size_t off = size_t(t[12] >> 4) * 4;
      if (off < 20 || off > tn) continue;
      seg.src_port = be16(t);
      seg.dst_port = be16(t + 2);
      seg.payload.assign(reinterpret_cast<const char*>(t + off), tn - off);
      if (seg.payload.empty()) continue;
    } else {
      continue;
    }
    out.push_back(std::move(seg));
  }
  pcap_close(pcap);
  return out;
}

}  // namespace sipvault::test
