// decodeRtcpJson on the real HEP 5 payload of corpus/hep/hep-wireshark_hep.pcap, on rtpengine's
// and heplify's forms, and on hostile JSON; decodeAgentRtpJson on the agent's documented form.
#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "pcap_payload_reader.h"
#include "proto/hep_codec.h"
#include "qos/emodel.h"
#include "qos/rtcp_json.h"

using namespace sipvault::qos;

TEST_CASE("the RTCP-JSON HEP 5 payload of a real capture decodes", "[qos][json][corpus]") {
  std::string error;
  const auto datagrams =
      sipvault::test::readUdpPayloads(std::string(SIPVAULT_CORPUS_DIR) + "/hep/hep-wireshark_hep.pcap", 9060, error);
  REQUIRE(error.empty());
  std::string scratch;
  int found = 0;
  for (const auto& d : datagrams) {
    const auto hep = sipvault::decodeHep(d.payload, scratch);
    if (!hep || hep.packet->payload_type != sipvault::kPayloadRtcp) continue;
    ++found;
    const auto& p = *hep.packet;
    CHECK(p.correlation_id == "qgf3dm9rudi@127.0.0.1");
    std::vector<QosReport> out;
    REQUIRE(decodeRtcpJson(p.payload, p.timeUs(), out) == QosDecodeStatus::Ok);
    // {"sender_information":{..."packets":106...},"ssrc":451916597,"type":200,
    //  "report_blocks":[{"source_ssrc":898343773,"highest_seq_no":20881,"fraction_lost":0,
    //  "ia_jitter":1,"packets_lost":0,"lsr":-1097006646,"dlsr":7733}],"report_count":0}
    REQUIRE(out.size() == 2);
    CHECK(out[0].source == ReportSource::RtcpJson);
    CHECK(out[0].direction == Direction::Sent);
    CHECK(out[0].report_type == 200);
    CHECK(out[0].ssrc == 451916597u);
    CHECK(out[0].packets == 106u);
    const QosReport& b = out[1];
    CHECK(b.direction == Direction::Received);
    CHECK(b.report_type == 200);
    CHECK(b.ssrc == 898343773u);
    CHECK(b.reporter_ssrc == 451916597u);
    CHECK(b.highest_seq == 20881u);
    CHECK(b.lost == 0);
    CHECK(*b.fraction_lost == 0.0);
    CHECK(*b.jitter_ms == Approx(0.125));  // 1 unit at 8 kHz
    CHECK_FALSE(b.rtt_ms);                 // the LSR is from another clock: not plausible
    CHECK(*b.mos == Approx(estimateMos({})));
  }
  CHECK(found == 1);
}

TEST_CASE("rtpengine's form: SDES list, raw 24-bit loss, RTT from LSR", "[qos][json]") {
  // As rtpengine's homer_* handlers print it (daemon/rtcp.c), an RR with one block.
  const uint64_t t0 = 1'700'000'000'000'000ull;
  const uint64_t ntp_secs = t0 / 1'000'000 + 2208988800ull;
  const uint32_t lsr = uint32_t((ntp_secs & 0xffff) << 16);
  const std::string json = "{ \"ssrc\":1234,\"type\":201,\"report_count\":1,\"report_blocks\":[{\"source_ssrc\":5678,"
                           "\"highest_seq_no\":70001,\"fraction_lost\":64,\"ia_jitter\":160,\"packets_lost\":16777215,"
                           "\"lsr\":" + std::to_string(lsr) + ",\"dlsr\":32768}],\"sdes_report_count\":1,"
                           "\"sdes_information\": [ {\"sdes_chunk_ssrc\":1234,\"type\":1,\"text\":\"x@y\"}] }";
  std::vector<QosReport> out;
  // Captured 0.5 s (the DLSR) + 40 ms after the SR: RTT 40 ms.
  REQUIRE(decodeRtcpJson(json, t0 + 540'000, out) == QosDecodeStatus::Ok);
  REQUIRE(out.size() == 1);
  const QosReport& r = out[0];
  CHECK(r.report_type == 201);
  CHECK(r.ssrc == 5678u);
  CHECK(r.reporter_ssrc == 1234u);
  CHECK(r.lost == -1);  // 0xffffff printed with %u
  CHECK(*r.fraction_lost == 0.25);
  CHECK(*r.jitter_ms == Approx(20.0));
  REQUIRE(r.rtt_ms);
  CHECK(*r.rtt_ms == Approx(40.0).margin(0.05));
  CHECK(*r.mos < 3.0);  // 25 % loss
}

TEST_CASE("numbers as strings (event-bridge senders) and heplify's XR summary", "[qos][json]") {
  std::vector<QosReport> out;
  CHECK(decodeRtcpJson(R"({"type":200,"ssrc":"451916597","report_count":"1","report_blocks":[{"source_ssrc":"898343773",
      "fraction_lost":"0","packets_lost":"3","highest_seq_no":"100","lsr":"0","ia_jitter":"2.5","dlsr":"0"}],
      "sender_information":{"packets":"90","ntp_timestamp_sec":"1"}})",
                       0, out) == QosDecodeStatus::Ok);
  REQUIRE(out.size() == 2);
  CHECK(out[0].packets == 90u);
  CHECK(out[1].lost == 3);
  CHECK(*out[1].jitter_ms == Approx(2.5 / 8));

  out.clear();
  CHECK(decodeRtcpJson(R"({"ssrc":1,"type":207,"report_blocks":[],"report_blocks_xr":{"type":7,"id":2,
      "fraction_lost":26,"fraction_discard":0,"round_trip_delay":120}})",
                       0, out) == QosDecodeStatus::Ok);
  REQUIRE(out.size() == 1);
  CHECK(out[0].report_type == 207);
  CHECK(out[0].ssrc == 2u);
  CHECK(*out[0].fraction_lost == Approx(26 / 256.0));
  CHECK(*out[0].rtt_ms == 120.0);
  // heplify's empty XR (type 0) and an SDES-only report carry nothing: well-formed, empty.
  out.clear();
  CHECK(decodeRtcpJson(R"({"ssrc":1,"type":202,"report_blocks_xr":{"type":0,"id":0},"sdes_ssrc":1})", 0, out) ==
        QosDecodeStatus::Empty);
  CHECK(decodeRtcpJson(R"({"sender_information":null,"report_blocks":null,"ssrc":1,"type":203})", 0, out) ==
        QosDecodeStatus::Empty);
  CHECK(out.empty());
}

TEST_CASE("hostile JSON is BadJson, never a throw", "[qos][json][robust]") {
  std::vector<QosReport> out;
  for (const std::string bad : {
           "", "null", "[]", "42", "\"x\"", "{", "{\"ssrc\":1,", "INVITE sip:a@b SIP/2.0", "{}", "{\"foo\":1}",
           R"({"ssrc":{},"report_blocks":[]})",                                   // wrong type
           R"({"ssrc":true,"report_blocks":[]})",                                 // bool
           R"({"ssrc":1,"report_blocks":{"source_ssrc":2}})",                     // object for array
           R"({"ssrc":1,"report_blocks":[1,2,3]})",                               // numbers for blocks
           R"({"ssrc":1,"report_blocks":[{"source_ssrc":2,"fraction_lost":300}]})",  // out of range
           R"({"ssrc":1,"report_blocks":[{"source_ssrc":-2}]})",                  // negative ssrc
           R"({"ssrc":1,"report_blocks":[{"source_ssrc":2.5}]})",                 // fraction
           R"({"ssrc":1e999,"report_blocks":[]})",                                // huge
           R"({"ssrc":123456789012345678901234567890,"report_blocks":[]})",       // huge integer
           R"({"ssrc":"12ab","report_blocks":[]})",                               // not a number
           R"({"ssrc":1,"report_blocks":[{"source_ssrc":2,"ia_jitter":-1}]})",    // negative jitter
           R"({"ssrc":1,"sender_information":[1]})",                              // array for object
       }) {
    INFO(bad);
    out.clear();
    CHECK(decodeRtcpJson(bad, 0, out) == QosDecodeStatus::BadJson);
    CHECK(out.empty());
  }
  // Deep nesting is refused by depth, not by the stack.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK(decodeRtcpJson(deep, 0, out) == QosDecodeStatus::BadJson);
  const std::string deep_obj = "{\"a\":" + std::string(20, '[') + std::string(20, ']') + "}";
  CHECK(decodeRtcpJson(deep_obj, 0, out) == QosDecodeStatus::BadJson);
  // Too many blocks for RTCP's 5-bit count.
  std::string many = R"({"ssrc":1,"report_blocks":[)";
  for (int i = 0; i < 40; ++i) many += std::string(i ? "," : "") + R"({"source_ssrc":2})";
  many += "]}";
  CHECK(decodeRtcpJson(many, 0, out) == QosDecodeStatus::BadJson);
  // A bad block after a good one refuses the whole report: nothing half-appended.
  CHECK(decodeRtcpJson(R"({"ssrc":1,"report_blocks":[{"source_ssrc":2},{"source_ssrc":"x"}]})", 0, out) ==
        QosDecodeStatus::BadJson);
  CHECK(out.empty());
}

TEST_CASE("random mutations of real RTCP JSON never throw and stay in range", "[qos][json][robust]") {
  const std::string base =
      R"({"sender_information":{"ntp_timestamp_sec":3650797214,"packets":106,"ntp_timestamp_usec":13217348104192,)"
      R"("octets":16960,"rtp_timestamp":16960},"ssrc":451916597,"type":200,"report_blocks":[{"source_ssrc":898343773,)"
      R"("highest_seq_no":20881,"fraction_lost":0,"ia_jitter":1,"packets_lost":0,"lsr":-1097006646,"dlsr":7733}],)"
      R"("report_count":0,"report_blocks_xr":{"type":7,"id":2,"fraction_lost":26,"round_trip_delay":120}})";
  const std::string alphabet = "{}[]\",:-+.eE0123456789 nultrfa\\";
  std::mt19937 rng(3550);
  std::vector<QosReport> out;
  size_t ok = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string j = base;
    for (int m = 0; m < 1 + i % 4; ++m) j[rng() % j.size()] = alphabet[rng() % alphabet.size()];
    out.clear();
    const QosDecodeStatus s = decodeRtcpJson(j, 1'700'000'000'000'000ull, out);
    CHECK((s == QosDecodeStatus::Ok) == !out.empty());
    ok += s == QosDecodeStatus::Ok;
    for (const auto& r : out) {
      if (r.fraction_lost) CHECK((*r.fraction_lost >= 0 && *r.fraction_lost < 1));
      if (r.mos) CHECK((*r.mos >= 1 && *r.mos <= 5));
      if (r.rtt_ms) CHECK((*r.rtt_ms >= 0 && *r.rtt_ms <= 10000));
      if (r.lost) CHECK((*r.lost >= -0x800000 && *r.lost <= 0x7fffff));
    }
  }
  CHECK(ok > 100);  // many single-byte mutations leave a valid report
}

namespace {
const char* const kAgentJson =
    R"({"type":"sipvault_rtp","version":1,"ssrc":305419896,"src_ip":"192.0.2.1","src_port":40000,)"
    R"("dst_ip":"192.0.2.2","dst_port":30000,"codec":"PCMA","clock_rate":8000,"packets":250,)"
    R"("expected":252,"lost":2,"highest_seq":66000,"fraction_lost":0.0079,"jitter_ms":1.9,)"
    R"("seq_gaps":1,"mos":4.38,"interval_s":5.0,"final":false})";
}

TEST_CASE("the agent's RTP statistics JSON decodes field by field", "[qos][json][agent]") {
  std::vector<QosReport> out;
  REQUIRE(decodeAgentRtpJson(kAgentJson, out) == QosDecodeStatus::Ok);
  REQUIRE(out.size() == 1);
  const QosReport& r = out[0];
  CHECK(r.source == ReportSource::AgentRtp);
  CHECK(r.direction == Direction::Received);
  CHECK(r.report_type == 0);
  CHECK(r.ssrc == 305419896u);
  CHECK(r.media_src_ip == "192.0.2.1");
  CHECK(r.media_src_port == 40000);
  CHECK(r.media_dst_ip == "192.0.2.2");
  CHECK(r.media_dst_port == 30000);
  CHECK(r.codec == "PCMA");
  CHECK(r.packets == 250u);
  CHECK(r.lost == 2);
  CHECK(r.highest_seq == 66000u);
  CHECK(*r.fraction_lost == Approx(0.0079));
  CHECK(*r.jitter_ms == Approx(1.9));
  CHECK(*r.mos == Approx(4.38));
  // An interval without packets has no loss or MOS: null is accepted for them.
  std::string quiet = kAgentJson;
  quiet.replace(quiet.find("0.0079"), 6, "null");
  quiet.replace(quiet.find("4.38"), 4, "null");
  out.clear();
  REQUIRE(decodeAgentRtpJson(quiet, out) == QosDecodeStatus::Ok);
  CHECK_FALSE(out[0].fraction_lost);
  CHECK_FALSE(out[0].mos);
}

TEST_CASE("agent JSON that is not the documented form is BadJson", "[qos][json][agent][robust]") {
  auto with = [](std::string from, std::string to) {
    std::string s = kAgentJson;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  std::vector<QosReport> out;
  for (const std::string& bad : {
           with("sipvault_rtp", "other"), with("\"version\":1", "\"version\":2"), with("192.0.2.1", "not-an-ip"),
           with("40000", "70000"), with("\"ssrc\":305419896,", ""), with("0.0079", "1.5"), with("4.38", "7"),
           with("\"PCMA\"", "42"), with("250", "-1"), with("1.9", "\"fast\""),
           with("192.0.2.1", "192.0.2.1\\u0000junk"),
           std::string(R"({"type":"sipvault_rtp"})"), std::string("[]"),
       }) {
    INFO(bad);
    CHECK(decodeAgentRtpJson(bad, out) == QosDecodeStatus::BadJson);
  }
  CHECK(out.empty());
}
