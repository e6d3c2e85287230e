// Link layers without a corpus capture of their own (SLL2, BSD null/loop, MPLS, LLC/SNAP) are
// tested by re-framing the real Ethernet frames of sngrep aaa.pcap, which must still yield its
// 81 SIP messages.
#include "netdecode/link_layer.h"

#include <catch2/catch.hpp>

#include "netdecode/packet_decoder.h"
#include "pcap_frames.h"

namespace sipvault::netdecode {
namespace {

using Reframe = std::vector<uint8_t> (*)(uint16_t ethertype, const std::vector<uint8_t>& l3);

// Re-frames every Ethernet/IP frame of aaa.pcap and counts the SIP messages decoded.
size_t sipAfterReframing(LinkType link, Reframe reframe) {
  const test::Capture capture = test::readCorpusCapture("pcap/sngrep_aaa.pcap");
  test::CollectingSink sink;
  PacketDecoder decoder({}, sink);
  for (const test::Frame& f : capture.frames) {
    if (f.bytes.size() < 14) continue;
    const uint16_t type = uint16_t(f.bytes[12] << 8 | f.bytes[13]);
    const std::vector<uint8_t> l3(f.bytes.begin() + 14, f.bytes.end());
    (void)decoder.decode(link, reframe(type, l3), f.ts);
  }
  return test::sipOnly(sink.packets).size();
}

std::vector<uint8_t> withHeader(std::vector<uint8_t> header, const std::vector<uint8_t>& l3) {
  header.insert(header.end(), l3.begin(), l3.end());
  return header;
}

}  // namespace

TEST_CASE("pcap link type numbers map to link layers", "[netdecode][link]") {
  CHECK(linkTypeFromDlt(0) == LinkType::Null);
  CHECK(linkTypeFromDlt(1) == LinkType::Ethernet);
  CHECK(linkTypeFromDlt(12) == LinkType::RawIp);
  CHECK(linkTypeFromDlt(14) == LinkType::RawIp);
  CHECK(linkTypeFromDlt(101) == LinkType::RawIp);
  CHECK(linkTypeFromDlt(108) == LinkType::Loop);
  CHECK(linkTypeFromDlt(113) == LinkType::LinuxSll);
  CHECK(linkTypeFromDlt(276) == LinkType::LinuxSll2);
  CHECK(linkTypeFromDlt(228) == LinkType::Ipv4);
  CHECK(linkTypeFromDlt(229) == LinkType::Ipv6);
  CHECK_FALSE(linkTypeFromDlt(105).has_value());  // 802.11
}

TEST_CASE("Linux cooked v2 (SLL2) frames decode", "[netdecode][link]") {
  CHECK(sipAfterReframing(LinkType::LinuxSll2, [](uint16_t type, const std::vector<uint8_t>& l3) {
          return withHeader(
              {uint8_t(type >> 8), uint8_t(type), 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 0, 0x50, 0x56, 1, 2, 3, 0, 0},
              l3);
        }) == 81);
}

TEST_CASE("BSD null frames decode in either byte order, loop frames in network order", "[netdecode][link]") {
  CHECK(sipAfterReframing(LinkType::Null, [](uint16_t type, const std::vector<uint8_t>& l3) {
          return withHeader({uint8_t(type == kEtherTypeIpv4 ? 2 : 30), 0, 0, 0}, l3);  // little-endian host
        }) == 81);
  CHECK(sipAfterReframing(LinkType::Null, [](uint16_t type, const std::vector<uint8_t>& l3) {
          return withHeader({0, 0, 0, uint8_t(type == kEtherTypeIpv4 ? 2 : 10)}, l3);  // big-endian host
        }) == 81);
  CHECK(sipAfterReframing(LinkType::Loop, [](uint16_t type, const std::vector<uint8_t>& l3) {
          return withHeader({0, 0, 0, uint8_t(type == kEtherTypeIpv4 ? 2 : 24)}, l3);
        }) == 81);
}

TEST_CASE("MPLS label stacks and LLC/SNAP framing are skipped", "[netdecode][link]") {
  CHECK(sipAfterReframing(LinkType::Ethernet, [](uint16_t type, const std::vector<uint8_t>& l3) {
          // two labels (bottom-of-stack on the second)
          return withHeader(
              {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x88, 0x47, 0, 0x10, 0x00, 64, 0, 0x20, 0x01, 64}, l3);
        }) == 81);
  CHECK(sipAfterReframing(LinkType::Ethernet, [](uint16_t type, const std::vector<uint8_t>& l3) {
          const size_t len = l3.size() + 8;
          return withHeader({0,
                             1,
                             2,
                             3,
                             4,
                             5,
                             6,
                             7,
                             8,
                             9,
                             10,
                             11,
                             uint8_t(len >> 8),
                             uint8_t(len),
                             0xaa,
                             0xaa,
                             3,
                             0,
                             0,
                             0,
                             uint8_t(type >> 8),
                             uint8_t(type)},
                            l3);
        }) == 81);
}

TEST_CASE("Link headers report truncation and unsupported framing", "[netdecode][link]") {
  LinkFrame lf;
  const std::vector<uint8_t> tagged = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00, 0x00, 0x64};
  CHECK(decodeLinkLayer(LinkType::Ethernet, tagged, lf) == DecodeStatus::Truncated);
  CHECK(decodeLinkLayer(LinkType::LinuxSll, Bytes(tagged).first(15), lf) == DecodeStatus::Truncated);
  CHECK(decodeLinkLayer(LinkType::Null, Bytes(tagged).first(4), lf) == DecodeStatus::Unsupported);
  CHECK(decodeLinkLayer(LinkType::RawIp, Bytes(tagged).first(4), lf) == DecodeStatus::Unsupported);
  // Nine stacked VLAN tags: more than kMaxLinkLabels.
  std::vector<uint8_t> deep(12, 0);
  for (int i = 0; i < 9; ++i) deep.insert(deep.end(), {0x81, 0x00, 0x00, 0x01});
  deep.insert(deep.end(), {0x08, 0x00});
  CHECK(decodeLinkLayer(LinkType::Ethernet, deep, lf) == DecodeStatus::Unsupported);
}

}  // namespace sipvault::netdecode
