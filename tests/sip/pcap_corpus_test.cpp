// Real captures from corpus/pcap and corpus/hep: every SIP datagram parses with a Call-ID.
// Counts are the tshark counts in corpus/SOURCES.md (UDP/5060 payloads that are not SIP are the
// keep-alives these captures hold).
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "pcap_payload_reader.h"
#include "sip_test_support.h"

using namespace sipvault;
using namespace sipvault::sip;
using sipvault::test::flagList;

namespace {

struct CaptureResult {
  size_t datagrams = 0;
  size_t parsed = 0;
  size_t keep_alives = 0;
  std::set<std::string> call_ids;
  std::map<std::string, size_t> methods;  // transaction method -> count
};

// Parses every payload; each must be SIP with the fields a search needs, or a keep-alive.
// `allowed_flags`: findings the capture is known to cause (TrailingBytes is always allowed).
CaptureResult parseAll(const std::vector<test::CapturedPayload>& payloads, const std::string& file,
                       uint32_t allowed_flags = 0) {
  CaptureResult res;
  SipMessage msg;  // reused, as the parser daemon does
  for (const auto& d : payloads) {
    ++res.datagrams;
    const ParseOutcome r = parseSipMessage(d.payload, msg);
    INFO(file << " frame " << d.frame << ": " << parseErrorName(r.error) << " '" << r.reason << "' flags "
              << flagList(r.flags));
    if (r.error == ParseError::Empty) {
      ++res.keep_alives;
      continue;
    }
    REQUIRE(r.ok());
    CHECK(!msg.call_id.empty());
    CHECK(msg.cseq_number > 0);
    CHECK(!msg.cseq_method.empty());
    CHECK(msg.from.present);
    CHECK(msg.to.present);
    CHECK(!msg.from.tag.empty());
    CHECK(msg.via_count >= 1);
    CHECK((r.flags & ~(uint32_t(SipFlag::TrailingBytes) | allowed_flags)) == 0);
    if (msg.is_request) {
      CHECK(msg.request_uri.scheme.size() >= 3);
    } else {
      CHECK(msg.status_code >= 100);
    }
    ++res.parsed;
    res.call_ids.emplace(msg.call_id);
    ++res.methods[std::string(msg.transactionMethod())];
  }
  return res;
}

CaptureResult parseCapture(const std::string& rel, uint16_t port) {
  std::string error;
  const auto payloads = test::readUdpPayloads(test::corpusPath(rel), port, error);
  INFO(rel << ": " << error);
  REQUIRE(error.empty());
  return parseAll(payloads, rel);
}

uint16_t be16(const std::string& s, size_t at) { return uint16_t(uint8_t(s[at]) << 8 | uint8_t(s[at + 1])); }

// Test-only HEP3 walk: the SIP payload (chunk 15, payload type 1), or empty.
std::string hep3SipPayload(const std::string& hep) {
  if (hep.size() < 6 || hep.compare(0, 4, "HEP3") != 0) return {};
  std::string payload;
  bool sip = false;
  for (size_t at = 6; at + 6 <= hep.size();) {
    const uint16_t vendor = be16(hep, at), type = be16(hep, at + 2), len = be16(hep, at + 4);
    if (len < 6 || at + len > hep.size()) return {};
    if (vendor == 0 && type == 11 && len == 7) sip = hep[at + 6] == 1;
    if (vendor == 0 && type == 15) payload = hep.substr(at + 6, len - 6);
    at += len;
  }
  return sip ? payload : std::string{};
}

}  // namespace

TEST_CASE("sngrep aaa.pcap: 81 SIP messages parse - the other UDP/5060 datagrams are keep-alives",
          "[sip][pcap]") {
  const auto res = parseCapture("pcap/sngrep_aaa.pcap", 5060);
  CHECK(res.parsed == 81);
  CHECK(res.keep_alives == res.datagrams - 81);
  CHECK(res.methods.count("REGISTER") == 1);
  CHECK(res.methods.count("INVITE") == 1);
  CHECK(res.methods.count("CANCEL") == 1);
}

TEST_CASE("heplify rtp_rtcp_sip_ipv4_udp.pcap: 14 SIP messages parse", "[sip][pcap]") {
  const auto res = parseCapture("pcap/heplify_rtp_rtcp_sip_ipv4_udp.pcap", 5060);
  CHECK(res.parsed == 14);
  CHECK(res.methods.count("REGISTER") == 1);
  CHECK(res.methods.count("INVITE") == 1);
}

TEST_CASE("heplify FAX T.38 capture: 92 SIP messages parse and the T.38 re-INVITE is seen",
          "[sip][pcap][sdp]") {
  std::string error;
  const auto payloads =
      test::readUdpPayloads(test::corpusPath("pcap/heplify_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap"), 5060, error);
  REQUIRE(error.empty());
  const auto res = parseAll(payloads, "FAX");
  CHECK(res.parsed == 92);
  CHECK(res.methods.count("OPTIONS") == 1);
  // Some SDP announces T.38 over UDPTL.
  bool t38 = false;
  SipMessage msg;
  for (const auto& d : payloads) {
    if (!parseSipMessage(d.payload, msg).ok()) continue;
    for (size_t i = 0; i < msg.sdp.codec_count; ++i) t38 = t38 || msg.sdp.codecs[i] == "t38";
  }
  CHECK(t38);
}

TEST_CASE("Kamailio + sipp capture: 260 SIP messages of 20 calls parse", "[sip][pcap]") {
  const auto res = parseCapture("hep/kamailio/sip-udp-sipp-kamailio.pcap", 5060);
  CHECK(res.parsed == 260);
  CHECK(res.keep_alives == 0);
  CHECK(res.call_ids.size() == 20);
}

TEST_CASE("heplify sip_ipv6_udp.pcap: 6 SIP messages over IPv6 parse", "[sip][pcap]") {
  std::string error;
  const auto payloads =
      test::readUdpPayloads(test::corpusPath("pcap/heplify_sip_ipv6_udp.pcap"), 5060, error);
  REQUIRE(error.empty());
  REQUIRE(payloads.size() == 6);
  for (const auto& d : payloads) CHECK(d.ip_version == 6);
  // This capture writes IPv6 addresses without brackets (the RFC 5118 4.2 mistake): stored,
  // flagged, and the address is still extracted whole.
  const auto res =
      parseAll(payloads, "ipv6", uint32_t(SipFlag::BadRequestUri) | uint32_t(SipFlag::MalformedHeader));
  SipMessage msg;
  REQUIRE(parseSipMessage(payloads[0].payload, msg).ok());
  CHECK(msg.request_uri.host == "fec0:0:0:0:216:d3ff:fe0d:22c");
  CHECK(msg.request_uri.port == 5060);
  CHECK(msg.vias[0].host == "fe80:0:0:0:21a:a0ff:fe07:32e0");
  CHECK(msg.vias[0].port == 5060);
  CHECK(msg.from.uri.host == "fe80:0:0:0:21a:a0ff:fe07:32e0");
  CHECK(msg.from.uri.port == 0);
  CHECK(res.parsed == 6);
  CHECK(res.methods.count("INVITE") == 1);
  CHECK(res.methods.count("BYE") == 1);
}

TEST_CASE("heplify ipip0.pcap (raw IP link type): 8 SIP messages parse", "[sip][pcap]") {
  const auto res = parseCapture("pcap/heplify_ipip0.pcap", 5060);
  CHECK(res.parsed == 8);
  CHECK(res.methods.count("REGISTER") == 1);
  CHECK(res.methods.count("INVITE") == 1);
}

TEST_CASE("HEP3 payloads from hep-js end lines in bare LF and still parse", "[sip][pcap][hep]") {
  std::string error;
  const auto datagrams = test::readUdpPayloads(test::corpusPath("hep/hep-wireshark_hep.pcap"), 9060, error);
  REQUIRE(error.empty());
  REQUIRE(datagrams.size() == 8);
  std::vector<std::string> starts;
  SipMessage msg;
  for (const auto& d : datagrams) {
    const std::string sip = hep3SipPayload(d.payload);
    if (sip.empty()) continue;                        // the log and RTCP-JSON packets
    CHECK(sip.find("\r\n") == sip.find("\r\n\r\n"));  // only the header end has a CR
    const ParseOutcome r = parseSipMessage(sip, msg);
    INFO(msg.start_line << ": " << r.reason << " flags " << flagList(r.flags));
    REQUIRE(r.ok());
    CHECK(msg.call_id == "qgf3dm9rudi@127.0.0.1");  // also the HEP correlation id
    CHECK(msg.cseq_number > 0);
    starts.push_back(msg.is_request ? std::string(msg.method) : std::to_string(msg.status_code));
  }
  CHECK(starts == std::vector<std::string>{"INVITE", "100", "407", "OPTIONS", "200", "PUBLISH"});
}

TEST_CASE("Kamailio siptrace HEP3 carries the same 260 SIP messages as the plain capture",
          "[sip][pcap][hep]") {
  std::string error;
  const auto datagrams =
      test::readUdpPayloads(test::corpusPath("hep/kamailio/hep3-kamailio-udp.pcap"), 9060, error);
  REQUIRE(error.empty());
  std::vector<test::CapturedPayload> sip;
  for (const auto& d : datagrams) {
    test::CapturedPayload p = d;
    p.payload = hep3SipPayload(d.payload);
    if (!p.payload.empty()) sip.push_back(std::move(p));
  }
  const auto hep = parseAll(sip, "hep3-kamailio");
  const auto plain = parseCapture("hep/kamailio/sip-udp-sipp-kamailio.pcap", 5060);
  CHECK(hep.parsed == 260);
  CHECK(hep.call_ids == plain.call_ids);
  CHECK(hep.methods == plain.methods);
}

TEST_CASE("The heplify-server HEP3 vector's 200 OK carries an SDP without a final CRLF", "[sip][hep][sdp]") {
  const std::string hep =
      test::readFile(test::corpusPath("hep/vectors/heplify-server_hep3_200ok_options.hep"));
  REQUIRE(hep.size() == 778);
  auto p = test::parseBytes(hep3SipPayload(hep));
  REQUIRE(p->bytes.size() == 673);
  REQUIRE(p->outcome.ok());
  CHECK(p->outcome.flags == 0);
  CHECK(p->msg.status_code == 200);
  CHECK(p->msg.call_id == "BC099884@6dfcffe8");
  CHECK(p->msg.cseq_number == 215834489);
  CHECK(p->msg.cseq_method == "OPTIONS");
  CHECK(p->msg.content_length == 78);
  CHECK(p->msg.body.size() == 78);
  REQUIRE(p->msg.sdp.media_count == 1);
  CHECK(p->msg.sdp.media[0].type == "audio");
  CHECK(p->msg.sdp.media[0].port == 0);
  REQUIRE(p->msg.sdp.codec_count == 1);
  CHECK(p->msg.sdp.codecs[0] == "PCMA");  // static payload type 8
}
