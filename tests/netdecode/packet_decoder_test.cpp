// PacketDecoder against the shared corpus: SIP message counts must match corpus/SOURCES.md
// (tshark's counts), and reassembled payloads must match the real bytes they were made from.
#include "netdecode/packet_decoder.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "pcap_frames.h"

namespace sipvault::netdecode {
namespace {

using test::decodeCorpus;
using test::Emitted;
using test::sipOnly;

size_t sipCount(const std::string& path) { return sipOnly(decodeCorpus(path).packets).size(); }

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

}  // namespace

TEST_CASE("Ethernet UDP capture yields every SIP message of sngrep aaa.pcap", "[netdecode][corpus]") {
  const auto run = decodeCorpus("pcap/sngrep_aaa.pcap");
  const auto sip = sipOnly(run.packets);
  CHECK(sip.size() == 81);
  for (const Emitted& e : sip) {
    CHECK(e.ip_proto == kIpProtoUdp);
    CHECK(e.vlan == 0);
    CHECK(e.src.family == 4);
  }
  CHECK(run.counters.frames == 691);
}

TEST_CASE("802.1Q tagged frames decode with their VLAN id", "[netdecode][corpus][vlan]") {
  const auto sip = sipOnly(decodeCorpus("pcap/derived/vlan_8021q_vid100_from_sngrep_aaa.pcap").packets);
  CHECK(sip.size() == 81);
  CHECK(std::all_of(sip.begin(), sip.end(), [](const Emitted& e) { return e.vlan == 100; }));
}

TEST_CASE("QinQ frames decode and report the inner (customer) VLAN id", "[netdecode][corpus][vlan]") {
  const auto sip = sipOnly(
      decodeCorpus("pcap/derived/qinq_8021ad_vid200_8021q_vid100_sip_only_from_sngrep_aaa.pcap").packets);
  CHECK(sip.size() == 81);
  CHECK(std::all_of(sip.begin(), sip.end(), [](const Emitted& e) { return e.vlan == 100; }));
}

TEST_CASE("IPv4 fragments in order and in reverse reassemble to RFC 4475 longreq byte for byte",
          "[netdecode][corpus][fragments]") {
  const std::string longreq = test::readCorpusFile("rfc4475/valid/longreq.dat");
  const auto run = decodeCorpus("pcap/derived/ipv4_frag_udp_rfc4475_longreq.pcap");
  const auto sip = sipOnly(run.packets);
  REQUIRE(sip.size() == 2);
  for (const Emitted& e : sip) {
    CHECK(e.payload == longreq);
    CHECK(e.src == ip("192.0.2.10"));
    CHECK(e.dst == ip("192.0.2.20"));
    CHECK(e.dst_port == 5060);
  }
  CHECK(run.counters.frag_received == 10);
  CHECK(run.counters.frag_reassembled == 2);
}

TEST_CASE("A fragmented real INVITE equals the unfragmented original from aaa.pcap",
          "[netdecode][corpus][fragments]") {
  const auto sip = sipOnly(decodeCorpus("pcap/derived/ipv4_frag_udp_invite_from_sngrep_aaa.pcap").packets);
  REQUIRE(sip.size() == 1);
  // SOURCES.md: made from frame 223 of sngrep_aaa.pcap.
  const test::Capture original = test::readCorpusCapture("pcap/sngrep_aaa.pcap");
  REQUIRE(original.frames.size() > 223);
  test::CollectingSink sink;
  PacketDecoder decoder({}, sink);
  (void)decoder.decode(LinkType::Ethernet, original.frames[222].bytes, original.frames[222].ts);
  REQUIRE(sink.packets.size() == 1);
  CHECK(sink.packets[0].payload.size() == 822);
  CHECK(sip[0].payload == sink.packets[0].payload);
  CHECK(sip[0].src == sink.packets[0].src);
  CHECK(sip[0].src_port == sink.packets[0].src_port);
}

TEST_CASE("Several SIP messages per TCP segment and messages across segments are framed",
          "[netdecode][corpus][tcp]") {
  const auto derived =
      sipOnly(decodeCorpus("pcap/derived/tcp_multi_msg_per_segment_from_heplify_sip_ipv4_tcp.pcap").packets);
  const auto original = sipOnly(decodeCorpus("pcap/heplify_sip_ipv4_tcp.pcap").packets);
  REQUIRE(derived.size() == 7);
  REQUIRE(original.size() == 7);
  // The derived capture carries the same 7 SIP payloads in other segment boundaries (and
  // another order across the two directions).
  std::multiset<std::string> a, b;
  for (size_t i = 0; i < 7; ++i) {
    a.insert(derived[i].payload);
    b.insert(original[i].payload);
    CHECK(derived[i].ip_proto == kIpProtoTcp);
  }
  CHECK(a == b);
}

TEST_CASE("SIP over TCP split across many segments, picked up mid-stream, on port 6060",
          "[netdecode][corpus][tcp]") {
  const auto run = decodeCorpus("pcap/heplify_sip_ipv4_tcp_fragmented.pcap");
  const auto sip = sipOnly(run.packets);
  CHECK(sip.size() == 406);
  CHECK(std::all_of(sip.begin(), sip.end(), [](const Emitted& e) {
    return e.ip_proto == kIpProtoTcp && (e.src_port == 6060 || e.dst_port == 6060);
  }));
  CHECK(run.counters.tcp_gap_skipped == 0);
}

TEST_CASE("A retransmitted TCP segment does not duplicate a SIP message (Linux SLL)",
          "[netdecode][corpus][tcp]") {
  const auto run = decodeCorpus("pcap/heplify_sip_ipv4_tcp_retrans.pcap");
  const auto sip = sipOnly(run.packets);
  CHECK(sip.size() == 8);
  CHECK(run.counters.tcp_retransmitted >= 1);
  std::multiset<std::string> tcp_payloads;
  for (const Emitted& e : sip) {
    if (e.ip_proto == kIpProtoTcp) tcp_payloads.insert(e.payload);
  }
  for (const std::string& p : tcp_payloads) CHECK(tcp_payloads.count(p) == 1);
}

TEST_CASE("IPv6 UDP keeps timestamps past 2^31 seconds", "[netdecode][corpus][ipv6]") {
  const auto sip = sipOnly(decodeCorpus("pcap/heplify_sip_ipv6_udp.pcap").packets);
  CHECK(sip.size() == 6);
  CHECK(std::all_of(sip.begin(), sip.end(), [](const Emitted& e) { return e.src.family == 6; }));
  // SOURCES.md: broken timestamps up to epoch 3867576602.
  CHECK(std::any_of(sip.begin(), sip.end(), [](const Emitted& e) { return e.ts_sec == 3867576602u; }));
}

TEST_CASE("IPv6 fragmented SIP is reassembled (Linux SLL)", "[netdecode][corpus][ipv6][fragments]") {
  const auto run = decodeCorpus("pcap/sngrep_ipv6frag.pcap");
  CHECK(sipOnly(run.packets).size() == 32);
  CHECK(run.counters.frag_reassembled == 2);
}

TEST_CASE("IPv6 fragments of a non-SIP datagram reassemble to 5379 payload bytes",
          "[netdecode][corpus][ipv6][fragments]") {
  const auto run = decodeCorpus("pcap/heplify_ipv6_udp_fragmented.pcap");
  CHECK(sipOnly(run.packets).empty());
  CHECK(run.counters.frag_reassembled == 1);
  CHECK(std::count_if(run.packets.begin(), run.packets.end(),
                      [](const Emitted& e) { return e.payload.size() == 5379; }) == 1);
}

TEST_CASE("Raw IP link type (DLT_RAW) yields SIP", "[netdecode][corpus]") {
  CHECK(sipCount("pcap/heplify_ipip0.pcap") == 8);
}

TEST_CASE("IP-in-IP SIP over TCP is decapsulated and reported with the inner addresses",
          "[netdecode][corpus][tunnel]") {
  const auto run = decodeCorpus("pcap/sngrep_ipip.pcap");
  const auto sip = sipOnly(run.packets);
  CHECK(sip.size() == 4);
  CHECK(run.counters.tunnel_packets == 2);
  // The tunnelled direction is 10.15.193.31 -> 10.15.197.103 (outer 10.15.196.229 -> .194.19).
  CHECK(std::count_if(sip.begin(), sip.end(), [](const Emitted& e) {
          return e.src == ip("10.15.193.31") && e.dst == ip("10.15.197.103");
        }) == 2);
}

TEST_CASE("SIP over SCTP with the INVITE split across DATA chunks", "[netdecode][corpus][sctp]") {
  const auto run = decodeCorpus("pcap/heplify_sip_sctp.pcap");
  const auto sip = sipOnly(run.packets);
  REQUIRE(sip.size() == 4);
  CHECK(run.counters.sctp_fragments == 2);
  CHECK(std::all_of(sip.begin(), sip.end(), [](const Emitted& e) { return e.ip_proto == kIpProtoSctp; }));
  const auto invite = std::find_if(sip.begin(), sip.end(),
                                   [](const Emitted& e) { return e.payload.rfind("INVITE ", 0) == 0; });
  REQUIRE(invite != sip.end());
  CHECK(invite->payload.size() == 1452 + 312);  // the two chunks' user data (tshark)
  CHECK(invite->src_port == 57098);
  CHECK(invite->dst_port == 5060);
}

TEST_CASE("SIP inside GRE transparent Ethernet bridging (ERSPAN capture)", "[netdecode][corpus][tunnel]") {
  const auto run = decodeCorpus("pcap/heplify_erspan_sip_ipv4_udp.pcapng");
  CHECK(sipOnly(run.packets).size() == 140);
  CHECK(run.counters.tunnel_packets == 140);
}

TEST_CASE("Larger UDP captures yield tshark's SIP counts", "[netdecode][corpus]") {
  CHECK(sipCount("pcap/heplify_rtp_rtcp_sip_ipv4_udp.pcap") == 14);
  CHECK(sipCount("pcap/heplify_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap") == 92);
}

TEST_CASE("SIP over WebSocket is not mistaken for plain SIP over TCP", "[netdecode][corpus][tcp]") {
  // tshark: 28 SIP messages over UDP, 11 inside WebSocket frames (not decoded here).
  const auto sip = sipOnly(decodeCorpus("pcap/heplify_sip_tcp_websocket.pcap").packets);
  CHECK(sip.size() == 28);
  CHECK(std::all_of(sip.begin(), sip.end(), [](const Emitted& e) { return e.ip_proto == kIpProtoUdp; }));
}

}  // namespace sipvault::netdecode
