// decapsulateIpIp on the real IP-in-IP frames of sngrep ipip.pcap (frames 2 and 3 are
// eth:ip:ip:tcp:sip, frames 1 and 4 plain eth:ip:tcp:sip), and the collector's raw-socket path.
#include "netdecode/ipip_decap.h"

#include <catch2/catch.hpp>

#include "netdecode/gre_decap.h"
#include "netdecode/link_layer.h"
#include "netdecode/packet_decoder.h"
#include "pcap_frames.h"

namespace sipvault::netdecode {
namespace {

std::vector<Bytes> ipPackets(const test::Capture& capture) {
  std::vector<Bytes> out;
  for (const test::Frame& f : capture.frames) {
    LinkFrame lf;
    REQUIRE(decodeLinkLayer(LinkType::Ethernet, f.bytes, lf) == DecodeStatus::Ok);
    out.push_back(lf.payload);
  }
  return out;
}

}  // namespace

TEST_CASE("decapsulateIpIp returns the inner packet and the tunnel endpoints", "[netdecode][tunnel]") {
  const test::Capture capture = test::readCorpusCapture("pcap/sngrep_ipip.pcap");
  const std::vector<Bytes> packets = ipPackets(capture);
  REQUIRE(packets.size() == 4);
  IpIpInner inner;
  CHECK(decapsulateIpIp(packets[0], inner) == DecodeStatus::Ignored);
  CHECK(decapsulateIpIp(packets[3], inner) == DecodeStatus::Ignored);
  for (size_t i : {1, 2}) {
    REQUIRE(decapsulateIpIp(packets[i], inner) == DecodeStatus::Ok);
    CHECK(inner.outer_src == *IpAddress::parse("10.15.196.229"));
    CHECK(inner.outer_dst == *IpAddress::parse("10.15.194.19"));
    CHECK(inner.inner_version == 4);
    IpPacket ip;
    REQUIRE(parseIp(inner.inner, ip) == DecodeStatus::Ok);
    CHECK(ip.src == *IpAddress::parse("10.15.193.31"));
    CHECK(ip.protocol == kIpProtoTcp);
    CHECK(inner.inner.data() + inner.inner.size() == packets[i].data() + packets[i].size());
  }
}

TEST_CASE("decapsulateIpIp rejects broken and fragmented outer packets", "[netdecode][tunnel]") {
  const test::Capture capture = test::readCorpusCapture("pcap/sngrep_ipip.pcap");
  const std::vector<Bytes> packets = ipPackets(capture);
  IpIpInner inner;
  for (size_t n = 0; n < 21; ++n)
    CHECK(decapsulateIpIp(packets[1].first(n), inner) == DecodeStatus::Truncated);
  std::vector<uint8_t> copy(packets[1].begin(), packets[1].end());
  SECTION("an inner version that does not match protocol 4") {
    copy[20] = 0x65;
    CHECK(decapsulateIpIp(copy, inner) == DecodeStatus::Malformed);
  }
  SECTION("a fragment needs reassembly first") {
    copy[6] |= 0x20;  // MF
    CHECK(decapsulateIpIp(copy, inner) == DecodeStatus::Unsupported);
  }
}

TEST_CASE("The collector's raw-socket path decodes SIP out of outer IP packets", "[netdecode][tunnel]") {
  const test::Capture capture = test::readCorpusCapture("pcap/sngrep_ipip.pcap");
  const std::vector<Bytes> packets = ipPackets(capture);
  test::CollectingSink sink;
  PacketDecoder decoder({}, sink);
  CHECK(decoder.decodeIp(packets[1], capture.frames[1].ts) == DecodeStatus::Ok);
  CHECK(decoder.decodeIp(packets[2], capture.frames[2].ts) == DecodeStatus::Ok);
  const auto sip = test::sipOnly(sink.packets);
  REQUIRE(sip.size() == 2);
  CHECK(sip[0].src == *IpAddress::parse("10.15.193.31"));
  CHECK(sip[0].dst_port == 5090);
  CHECK(decoder.counters().tunnel_packets == 2);
}

TEST_CASE("Tunnels nested deeper than max_tunnel_depth are dropped", "[netdecode][tunnel]") {
  const test::Capture capture = test::readCorpusCapture("pcap/sngrep_ipip.pcap");
  const std::vector<Bytes> packets = ipPackets(capture);
  PacketDecoderOptions options;
  options.max_tunnel_depth = 0;
  test::CollectingSink sink;
  PacketDecoder decoder(options, sink);
  CHECK(decoder.decodeIp(packets[1], capture.frames[1].ts) == DecodeStatus::Dropped);
  CHECK(decoder.counters().tunnel_too_deep == 1);
  CHECK(sink.packets.empty());
}

TEST_CASE("IPv6 inside IPv4 (protocol 41) is decapsulated", "[netdecode][tunnel]") {
  // The outer IPv4 header of a real IP-in-IP frame, re-pointed at protocol 41, around the real
  // IPv6 INVITE of heplify sip_ipv6_udp.pcap.
  const test::Capture v4 = test::readCorpusCapture("pcap/sngrep_ipip.pcap");
  const test::Capture v6 = test::readCorpusCapture("pcap/heplify_sip_ipv6_udp.pcap");
  std::vector<uint8_t> packet(v4.frames[1].bytes.begin() + 14, v4.frames[1].bytes.begin() + 34);
  packet.insert(packet.end(), v6.frames[0].bytes.begin() + 14, v6.frames[0].bytes.end());
  packet[9] = 41;
  packet[2] = uint8_t(packet.size() >> 8);
  packet[3] = uint8_t(packet.size());
  IpIpInner inner;
  REQUIRE(decapsulateIpIp(packet, inner) == DecodeStatus::Ok);
  CHECK(inner.inner_version == 6);
  test::CollectingSink sink;
  PacketDecoder decoder({}, sink);
  CHECK(decoder.decodeIp(packet, v6.frames[0].ts) == DecodeStatus::Ok);
  const auto sip = test::sipOnly(sink.packets);
  REQUIRE(sip.size() == 1);
  CHECK(sip[0].src.family == 6);
}

TEST_CASE("ERSPAN type II and III headers are skipped to the mirrored frame", "[netdecode][tunnel]") {
  // GRE with a sequence number + ERSPAN header around a real Ethernet frame of aaa.pcap.
  const test::Capture aaa = test::readCorpusCapture("pcap/sngrep_aaa.pcap");
  const std::vector<uint8_t>& mirrored = aaa.frames[222].bytes;  // the 822-byte INVITE
  auto wrap = [&](std::vector<uint8_t> header) {
    header.insert(header.end(), mirrored.begin(), mirrored.end());
    return header;
  };
  GreInner inner;
  const auto type2 = wrap({0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0x64, 0x00, 0x01, 0, 0, 0, 0});
  REQUIRE(decodeGre(type2, inner) == DecodeStatus::Ok);
  CHECK(inner.ethernet);
  CHECK(inner.payload.size() == mirrored.size());
  const auto type3 =
      wrap({0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 1, 0x20, 0x64, 0x00, 0x01, 1, 2, 3, 4, 0, 0, 0, 0});
  REQUIRE(decodeGre(type3, inner) == DecodeStatus::Ok);
  CHECK(inner.payload.size() == mirrored.size());
  const auto type3_with_subheader = wrap({0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 1, 0x20, 0x64, 0x00, 0x01, 1, 2,
                                          3,    4,    0,    0,    0, 1, 9, 9, 9,    9,    9,    9,    9, 9});
  REQUIRE(decodeGre(type3_with_subheader, inner) == DecodeStatus::Ok);
  CHECK(inner.payload.size() == mirrored.size());
  CHECK(decodeGre(Bytes(type2).first(10), inner) == DecodeStatus::Truncated);
  const std::vector<uint8_t> pptp = {0x30, 0x01, 0x88, 0x0b, 0, 0, 0, 0};  // GRE version 1
  CHECK(decodeGre(pptp, inner) == DecodeStatus::Unsupported);
}

}  // namespace sipvault::netdecode
