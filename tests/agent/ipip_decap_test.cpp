// decapsulateIpIp on the real IP-in-IP frames of sngrep ipip.pcap (frames 2 and 3 are
// eth:ip:ip:tcp:sip, frames 1 and 4 plain eth:ip:tcp:sip), and the collector's raw-socket path.
#include <catch2/catch.hpp>

#include "agent/decode/ipip_decap.h"
#include "agent/decode/link_layer.h"
#include "agent/decode/packet_decoder.h"
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
  for (size_t n = 0; n < 21; ++n) CHECK(decapsulateIpIp(packets[1].first(n), inner) == DecodeStatus::Truncated);
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

}  // namespace sipvault::netdecode
