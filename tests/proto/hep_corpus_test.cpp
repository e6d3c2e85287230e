// The HEP codec against real third-party bytes: the vectors, hep-wireshark captures and the
// Kamailio siptrace captures in corpus/hep (expected values from corpus/hep/EXPECTED.md).
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <tuple>

#include "proto/hep_codec.h"
#include "proto/hep_stream_framer.h"
#include "test_pcap_reader.h"

namespace sipvault {
namespace {

using test::CapturedSegment;
using test::corpusPath;
using test::readFile;
using test::readSegments;

std::string_view firstLine(std::string_view s) { return s.substr(0, s.find_first_of("\r\n")); }

// Call-ID by a plain line search (the real SIP parser lives elsewhere): the first header line
// named Call-ID or its compact form i, case-insensitively.
std::string callId(std::string_view msg) {
  size_t pos = 0;
  while ((pos = msg.find('\n', pos)) != std::string_view::npos) {
    ++pos;
    std::string_view line = msg.substr(pos, msg.find('\n', pos) - pos);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    while (!name.empty() && name.back() == ' ') name.pop_back();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (name != "call-id" && name != "i") continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.remove_suffix(1);
    return std::string(value);
  }
  return {};
}

PacketView decodeOk(const std::string& bytes, std::string& scratch) {
  auto r = decodeHep(bytes, scratch);
  INFO("decode error " << (r.ok() ? "" : toString(r.error.code)) << " at " << r.error.offset << ": "
                       << r.error.reason);
  REQUIRE(r.ok());
  return *r.packet;
}

std::vector<CapturedSegment> udpTo9060(const std::string& file) {
  std::vector<CapturedSegment> out;
  for (auto& s : readSegments(corpusPath(file))) {
    if (s.ip_proto == kIpProtoUdp && s.dst_port == 9060) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

TEST_CASE("HEP3 spec example vector decodes to the values in EXPECTED.md", "[hep][corpus][vector]") {
  const std::string bytes = readFile(corpusPath("hep/vectors/hep3_spec_example_113.hep"));
  REQUIRE(bytes.size() == 113);
  std::string scratch;
  const PacketView p = decodeOk(bytes, scratch);
  CHECK(p.hep_version == 3);
  CHECK(p.src.toString() == "212.202.0.1");
  CHECK(p.dst.toString() == "82.116.0.211");
  CHECK(p.src_port == 12010);
  CHECK(p.dst_port == 5060);
  CHECK(p.ip_proto == kIpProtoUdp);
  CHECK(p.ts_sec == 1313440459u);
  CHECK(p.ts_usec == 123456u);
  CHECK(p.payload_type == kPayloadSip);
  CHECK(p.capture_id == 228u);
  CHECK_FALSE(p.has_auth_key);
  CHECK(p.payload == "INVITE sip:bob");

  // Its chunk order is ours, so re-encoding gives the same bytes.
  std::string out;
  REQUIRE(encodeHep3(p, out).ok());
  CHECK(out == bytes);
}

TEST_CASE("heplify-server HEP3 200 OK vector decodes and re-encodes to the same bytes",
          "[hep][corpus][vector]") {
  const std::string bytes = readFile(corpusPath("hep/vectors/heplify-server_hep3_200ok_options.hep"));
  REQUIRE(bytes.size() == 778);
  std::string scratch;
  const PacketView p = decodeOk(bytes, scratch);
  CHECK(p.src.toString() == "192.168.247.250");
  CHECK(p.dst.toString() == "192.168.245.250");
  CHECK(p.src_port == 5060);
  CHECK(p.dst_port == 5060);
  CHECK(p.ip_proto == kIpProtoUdp);
  CHECK(p.ts_sec == 1520606104u);
  CHECK(p.ts_usec == 119540u);
  CHECK(p.payload_type == kPayloadSip);
  CHECK(p.capture_id == 0u);
  CHECK(p.has_auth_key);  // chunk 0x0e of length 6: present but empty
  CHECK(p.auth_key.empty());
  REQUIRE(p.payload.size() == 673);
  CHECK(firstLine(p.payload) == "SIP/2.0 200 OK");
  CHECK(callId(p.payload) == "BC099884@6dfcffe8");
  CHECK(p.payload.find("CSeq: 215834489 OPTIONS") != std::string_view::npos);
  CHECK(p.payload.ends_with("m=audio 0 RTP/AVP 8"));

  // Order 1,2,3,4,7,8,9,10,11,12,14,15 is the order encodeHep3 writes: identical bytes.
  std::string out;
  REQUIRE(encodeHep3(p, out).ok());
  CHECK(out == bytes);
}

TEST_CASE("heplify-server 'hepV2Packet' vector is HEPv1 and decodes to the values in EXPECTED.md",
          "[hep][corpus][vector]") {
  const std::string bytes = readFile(corpusPath("hep/vectors/heplify-server_hep1_200ok.hep"));
  REQUIRE(bytes.size() == 535);
  std::string scratch;
  const PacketView p = decodeOk(bytes, scratch);
  CHECK(p.hep_version == 1);
  CHECK(p.ip_proto == kIpProtoUdp);
  CHECK(p.src.toString() == "10.0.1.100");
  CHECK(p.dst.toString() == "192.168.0.254");
  CHECK(p.src_port == 5060);
  CHECK(p.dst_port == 5060);
  CHECK(p.ts_sec == 0u);
  CHECK(p.capture_id == 0u);
  REQUIRE(p.payload.size() == 519);
  CHECK(p.payload.data() == bytes.data() + 16);
  CHECK(firstLine(p.payload) == "SIP/2.0 200 OK");
  CHECK(callId(p.payload) ==
        "c707ab22-6e16-11ec-bc82-2725289e8dc3_80f4955c-5cc17bbb-13c4-dd998-2104df6e-dd998");
  CHECK(p.payload.find("CSeq: 213453007 OPTIONS") != std::string_view::npos);
  CHECK(p.payload.find("User-Agent: SpeedTouch 780") != std::string_view::npos);

  std::string out;
  REQUIRE(encodeHep1(p, out).ok());
  CHECK(out == bytes);
}

TEST_CASE("The derived UDP capture carries the three vectors in order", "[hep][corpus][pcap]") {
  const auto datagrams = udpTo9060("hep/derived_hep_vectors_udp9060.pcap");
  REQUIRE(datagrams.size() == 3);
  CHECK(datagrams[0].payload == readFile(corpusPath("hep/vectors/hep3_spec_example_113.hep")));
  CHECK(datagrams[1].payload == readFile(corpusPath("hep/vectors/heplify-server_hep3_200ok_options.hep")));
  CHECK(datagrams[2].payload == readFile(corpusPath("hep/vectors/heplify-server_hep1_200ok.hep")));
}

TEST_CASE("The derived HEP3 TCP stream frames into 113, 778 and 113 byte packets", "[hep][corpus][tcp]") {
  std::vector<std::string> segments;
  for (auto& s : readSegments(corpusPath("hep/derived_hep3_tcp_stream.pcap"))) {
    if (s.ip_proto == kIpProtoTcp && s.dst_port == 9060) segments.push_back(s.payload);
  }
  REQUIRE(segments.size() == 2);
  CHECK(segments[0].size() == 413);
  CHECK(segments[1].size() == 591);

  HepStreamFramer framer;
  std::vector<std::string> packets;
  for (const auto& seg : segments) {
    REQUIRE(framer.feed(std::span(reinterpret_cast<const uint8_t*>(seg.data()), seg.size())));
    for (auto f = framer.next(); f.status == HepStreamFramer::Status::Packet; f = framer.next()) {
      packets.emplace_back(reinterpret_cast<const char*>(f.packet.data()), f.packet.size());
    }
  }
  CHECK(framer.buffered() == 0);
  REQUIRE(packets.size() == 3);
  const std::string spec = readFile(corpusPath("hep/vectors/hep3_spec_example_113.hep"));
  CHECK(packets[0] == spec);
  CHECK(packets[1] == readFile(corpusPath("hep/vectors/heplify-server_hep3_200ok_options.hep")));
  CHECK(packets[2] == spec);
  std::string scratch;
  for (const auto& p : packets) decodeOk(p, scratch);
}

TEST_CASE("hep-wireshark capture decodes: 6 SIP, 1 log, 1 RTCP-JSON with auth key and correlation id",
          "[hep][corpus][pcap]") {
  const auto datagrams = udpTo9060("hep/hep-wireshark_hep.pcap");
  REQUIRE(datagrams.size() == 8);
  std::string scratch;
  std::vector<std::string> sip_first_lines;
  int logs = 0, rtcp = 0;
  uint64_t last_time = 0;
  for (const auto& d : datagrams) {
    const PacketView p = decodeOk(d.payload, scratch);
    CHECK(p.hep_version == 3);
    CHECK(p.has_auth_key);
    CHECK(p.auth_key == "myHep");
    CHECK(p.correlation_id == "qgf3dm9rudi@127.0.0.1");
    CHECK(p.capture_id == 2001u);
    CHECK(p.timeUs() >= 1481455196000100ull);
    CHECK(p.timeUs() >= last_time);
    last_time = p.timeUs();
    if (p.payload_type == kPayloadSip) {
      sip_first_lines.emplace_back(firstLine(p.payload));
      CHECK(p.src.family == 4);
      CHECK(std::set<std::string>{"192.168.1.1", "192.168.1.2"}.count(p.src.toString()) == 1);
      CHECK(std::set<std::string>{"192.168.1.1", "192.168.1.2"}.count(p.dst.toString()) == 1);
      CHECK(p.src_port == 5060);
      CHECK(p.dst_port == 5060);
      CHECK(p.ip_proto == kIpProtoUdp);
    } else if (p.payload_type == kPayloadLog) {
      ++logs;
      CHECK(p.payload.starts_with("SYSLOG: Processing OPTIONS"));
      CHECK(p.src_port == 0);
    } else if (p.payload_type == kPayloadRtcp) {
      ++rtcp;
      CHECK(p.payload.starts_with("{\"sender_information\":"));
    }
    // Chunk order 1..12,14,17,15 matches the encoder: identical bytes.
    std::string out;
    REQUIRE(encodeHep3(p, out).ok());
    CHECK(out == d.payload);
  }
  CHECK(logs == 1);
  CHECK(rtcp == 1);
  REQUIRE(sip_first_lines.size() == 6);
  const std::vector<std::string> starts = {"INVITE ",  "SIP/2.0 100 ",      "SIP/2.0 407 ",
                                           "OPTIONS ", "SIP/2.0 200 Alive", "PUBLISH "};
  for (const auto& start : starts) {
    CHECK(std::count_if(sip_first_lines.begin(), sip_first_lines.end(),
                        [&](const std::string& l) { return l.starts_with(start); }) == 1);
  }
}

TEST_CASE("hep-wireshark compressed capture inflates chunk 16 to SIP messages", "[hep][corpus][compressed]") {
  const auto datagrams = udpTo9060("hep/hep-wireshark_hep3_compressed.pcapng");
  REQUIRE(datagrams.size() == 21);
  std::map<std::string, int> seen;
  std::string scratch;
  for (const auto& d : datagrams) {
    REQUIRE(d.payload.find("\x78\x9c") != std::string::npos);
    const PacketView p = decodeOk(d.payload, scratch);
    CHECK(p.payload_compressed);
    CHECK(p.payload_type == kPayloadSip);
    CHECK(p.ip_proto == kIpProtoTcp);
    CHECK(p.capture_id == 228u);
    CHECK(p.auth_key == "myHep");
    const std::string_view line = firstLine(p.payload);
    CHECK((line.starts_with("REGISTER sip:") || line.starts_with("SIP/2.0 ")));
    CHECK(line.ends_with("SIP/2.0") == line.starts_with("REGISTER"));
    CHECK(p.payload.find("\r\n\r\n") != std::string_view::npos);
    CHECK_FALSE(callId(p.payload).empty());
    ++seen[std::string(p.payload)];

    // Re-encoded compressed, it decodes to the same message.
    std::string out, scratch2;
    REQUIRE(encodeHep3(p, out, {.compress_payload = true}).ok());
    auto again = decodeHep(out, scratch2);
    REQUIRE(again.ok());
    CHECK(again.packet->payload == p.payload);
  }
  CHECK(seen.size() == 7);
  for (const auto& [msg, count] : seen) CHECK(count == 3);
}

TEST_CASE("Kamailio HEPv3 capture matches the plain SIP capture of the same calls",
          "[hep][corpus][kamailio]") {
  const auto hep = udpTo9060("hep/kamailio/hep3-kamailio-udp.pcap");
  REQUIRE(hep.size() == 260);
  const auto sip = readSegments(corpusPath("hep/kamailio/sip-udp-sipp-kamailio.pcap"));
  REQUIRE(sip.size() == 260);

  // (Call-ID, src, sport, dst, dport, message): the two captures order a few messages
  // differently, so compare as multisets.
  using Key = std::tuple<std::string, std::string, uint16_t, std::string, uint16_t, std::string>;
  std::multiset<Key> from_hep, from_sip;
  std::set<std::string> call_ids;
  std::string scratch;
  for (const auto& d : hep) {
    const PacketView p = decodeOk(d.payload, scratch);
    CHECK(p.hep_version == 3);
    CHECK(p.capture_id == 2001u);
    CHECK(p.ip_proto == kIpProtoUdp);
    CHECK(p.payload_type == kPayloadSip);
    // Kamailio stamps the HEP time when it handles the message: within a second of capture.
    CHECK(p.timeUs() <= d.time_us);
    CHECK(d.time_us - p.timeUs() < 1000000u);
    std::string out;
    REQUIRE(encodeHep3(p, out).ok());
    CHECK(out == d.payload);  // same chunk order (1..12, 15) as Kamailio
    from_hep.emplace(callId(p.payload), p.src.toString(), p.src_port, p.dst.toString(), p.dst_port,
                     std::string(p.payload));
    call_ids.insert(callId(p.payload));
  }
  for (const auto& s : sip) {
    REQUIRE(s.ip_proto == kIpProtoUdp);
    from_sip.emplace(callId(s.payload), s.src.toString(), s.src_port, s.dst.toString(), s.dst_port,
                     s.payload);
  }
  CHECK(call_ids.size() == 20);
  CHECK(call_ids.count("") == 0);
  CHECK(from_hep == from_sip);
}

TEST_CASE("Kamailio HEPv2 capture decodes with little-endian time fields and re-encodes byte for byte",
          "[hep][corpus][kamailio]") {
  const auto hep = udpTo9060("hep/kamailio/hep2-kamailio-udp.pcap");
  REQUIRE(hep.size() == 260);
  std::set<std::string> call_ids;
  std::string scratch;
  for (const auto& d : hep) {
    REQUIRE(uint8_t(d.payload[0]) == 2);
    REQUIRE(uint8_t(d.payload[1]) == 16);  // header length excludes the time block
    const PacketView p = decodeOk(d.payload, scratch);
    CHECK(p.hep_version == 2);
    CHECK(p.capture_id == 2001u);
    CHECK(p.ip_proto == kIpProtoUdp);
    CHECK(p.src.toString() == "127.0.0.1");
    CHECK(p.dst.toString() == "127.0.0.1");
    CHECK(std::set<uint16_t>{5060, 5070, 5080}.count(p.src_port) == 1);
    CHECK(std::set<uint16_t>{5060, 5070, 5080}.count(p.dst_port) == 1);
    // Read big-endian these would be far from the pcap record time; LE they are within 1 s.
    CHECK(p.ts_usec < 1000000u);
    CHECK(p.timeUs() <= d.time_us);
    CHECK(d.time_us - p.timeUs() < 1000000u);
    CHECK((p.payload.starts_with("SIP/2.0 ") || p.payload.find(" SIP/2.0\r\n") != std::string_view::npos));
    call_ids.insert(callId(p.payload));
    std::string out;
    REQUIRE(encodeHep2(p, out).ok());
    CHECK(out == d.payload);
  }
  CHECK(call_ids.size() == 20);
}

TEST_CASE("sngrep 1.6 HEPv2 decodes despite its wrong header-length byte (issue 12)",
          "[hep][corpus][sngrep]") {
  // tests/proto/data/README.md: 12 packets of sngrep_aaa.pcap (IPv4), then 4 of sngrep_ipv6frag.pcap (IPv6).
  const auto hep =
      readSegments(std::string(SIPVAULT_SOURCE_DIR) + "/tests/proto/data/sngrep16-hep2-udp.pcap");
  REQUIRE(hep.size() == 16);
  std::string scratch;
  for (size_t i = 0; i < hep.size(); ++i) {
    INFO("packet " << i);
    const std::string& bytes = hep[i].payload;
    REQUIRE(uint8_t(bytes[0]) == 2);
    const bool v6 = i >= 12;
    REQUIRE(uint8_t(bytes[2]) == (v6 ? 10 : 2));
    CHECK(uint8_t(bytes[1]) != (v6 ? 40 : 16));  // the quirk: never the real header length
    auto r = decodeHep(bytes, scratch);
    REQUIRE(r.ok());
    CHECK(r.wrong_header_length);
    const PacketView& p = *r.packet;
    CHECK(p.hep_version == 2);
    CHECK(p.capture_id == 2002u);  // eep.send.id
    CHECK(p.ip_proto == kIpProtoUdp);
    CHECK(p.src.family == (v6 ? 6 : 4));
    CHECK(p.ts_usec < 1000000u);
    CHECK(p.ts_sec > 1000000000u);  // little-endian, as Kamailio: a plausible capture time
    CHECK((p.payload.starts_with("SIP/2.0 ") || p.payload.find(" SIP/2.0\r\n") != std::string_view::npos));
    CHECK_FALSE(callId(p.payload).empty());
  }
}

TEST_CASE("Kamailio HEPv1 capture decodes and re-encodes byte for byte", "[hep][corpus][kamailio]") {
  const auto hep = udpTo9060("hep/kamailio/hep1-kamailio-udp.pcap");
  REQUIRE(hep.size() == 260);
  std::set<std::string> call_ids;
  std::string scratch;
  for (const auto& d : hep) {
    const PacketView p = decodeOk(d.payload, scratch);
    CHECK(p.hep_version == 1);
    CHECK(p.src.toString() == "127.0.0.1");
    CHECK(p.dst.toString() == "127.0.0.1");
    CHECK(std::set<uint16_t>{5060, 5070, 5080}.count(p.dst_port) == 1);
    CHECK(p.payload.data() == d.payload.data() + 16);
    call_ids.insert(callId(p.payload));
    std::string out;
    REQUIRE(encodeHep1(p, out).ok());
    CHECK(out == d.payload);
  }
  CHECK(call_ids.size() == 20);
}

}  // namespace sipvault
