// Call-quality reports in the parser: HEP 5 (raw RTCP built here byte by byte, RTCP JSON), HEP 34
// (the agent's JSON), X-RTP-Stat / P-RTP-Stat headers and vq-rtcpxr PUBLISH bodies become
// SipRecord.qos; what does not decode is kept as before and counted by reason.
#include <catch2/catch.hpp>

#include <cstring>

#include "parser/qos_extractor.h"
#include "parser/record_builder.h"
#include "proto/packet.h"
#include "sip/sip_parser.h"

using namespace sipvault::parser;
using namespace sipvault;
using namespace std::string_literals;

namespace {

constexpr uint64_t kCaptureUs = 1795000000123456ull;

void be16(std::string& out, uint32_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v);
}
void be32(std::string& out, uint32_t v) {
  be16(out, v >> 16);
  be16(out, v & 0xffff);
}

// RTCP's 32-bit "middle of NTP" time (1/65536 s) of a Unix time in µs (RFC 3550 4, 6.4.1).
uint32_t ntpMiddle(uint64_t unix_us) {
  const uint64_t sec = unix_us / 1000000 + 2208988800ull;
  const uint64_t frac16 = (unix_us % 1000000) * 65536 / 1000000;
  return static_cast<uint32_t>((sec << 16) | frac16);
}

struct Block {
  uint32_t ssrc;
  uint8_t fraction;
  int32_t lost;  // 24-bit signed on the wire
  uint32_t highest_seq;
  uint32_t jitter;  // RTP timestamp units
  uint32_t lsr, dlsr;
};

void block(std::string& out, const Block& b) {
  be32(out, b.ssrc);
  out += static_cast<char>(b.fraction);
  const uint32_t lost24 = static_cast<uint32_t>(b.lost) & 0xffffff;
  out += static_cast<char>(lost24 >> 16);
  be16(out, lost24 & 0xffff);
  be32(out, b.highest_seq);
  be32(out, b.jitter);
  be32(out, b.lsr);
  be32(out, b.dlsr);
}

// SR from 0x11111111 (sent 1500 packets) with a block about 0x22222222, then an RR from
// 0x22222222 about 0x11111111 whose LSR/DLSR give an RTT of 30 ms at kCaptureUs.
std::string srRrCompound() {
  std::string p;
  p += '\x81';
  p += static_cast<char>(200);
  be16(p, (4 + 24 + 24) / 4 - 1);
  be32(p, 0x11111111u);
  be32(p, 0xe0000000u);  // NTP seconds (any)
  be32(p, 0);            // NTP fraction
  be32(p, 160000);       // RTP timestamp
  be32(p, 1500);         // sender's packet count
  be32(p, 240000);       // sender's octet count
  block(p, {0x22222222u, 64, 17, 0x00010F00u, 80, 0, 0});  // 25 % over the interval, 17 lost, 10 ms jitter
  p += '\x81';
  p += static_cast<char>(201);
  be16(p, (4 + 4 + 24) / 4 - 1);
  be32(p, 0x22222222u);
  const uint32_t lsr = ntpMiddle(kCaptureUs - 50000);  // the SR it answers left 50 ms ago
  const uint32_t dlsr = 20 * 65536 / 1000;              // ~20 ms held at the receiver
  block(p, {0x11111111u, 0, -2, 70000, 16, lsr, dlsr});  // duplicates: lost below zero
  return p;
}

void addPacket(wire::PacketBatch& b, uint32_t type, std::string payload, std::string correlation = {}) {
  wire::CapturedPacket* p = b.add_packets();
  p->set_payload_type(type);
  p->set_payload(std::move(payload));
  p->set_capture_time_us(kCaptureUs);
  p->set_src_ip(std::string("\x0a\x00\x00\x05", 4));
  p->set_dst_ip(std::string("\x0a\x00\x00\x06", 4));
  p->set_src_port(40001);
  p->set_dst_port(30001);
  p->set_correlation_id(std::move(correlation));
}

const wire::QosFields* find(const wire::SipRecord& r, uint32_t direction, uint32_t ssrc) {
  for (const wire::QosFields& q : r.qos())
    if (q.direction() == direction && q.ssrc() == ssrc) return &q;
  return nullptr;
}

uint64_t counter(MetricsRegistry& registry, const std::string& series) {
  const std::string text = registry.render();
  const size_t at = text.find(series + " ");
  return at == std::string::npos ? ~0ull : std::stoull(text.substr(at + series.size() + 1));
}

const std::string kBye =
    "BYE sip:bob@192.0.2.20 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK9\r\n"
    "From: <sip:alice@192.0.2.10>;tag=a1\r\n"
    "To: <sip:bob@192.0.2.20>;tag=b1\r\n"
    "Call-ID: qos-bye-1@test\r\nCSeq: 2 BYE\r\n"
    "X-RTP-Stat: PS=812;OS=129920;PR=810;OR=129600;PL=3;JI=18;LA=0;DU=16;EN=PCMA;DE=PCMA\r\n"
    "Content-Length: 0\r\n\r\n";

const std::string kVqBody =
    "VQSessionReport: CallTerm\r\n"
    "CallID: 6dg37f1890463\r\n"
    "LocalID: Alice <sip:alice@atlanta.example.org>\r\n"
    "RemoteID: Bill <sip:bill@biloxi.example.org>\r\n"
    "OrigID: Alice <sip:alice@atlanta.example.org>\r\n"
    "LocalAddr: IP=10.0.0.1 PORT=5000 SSRC=0x2468abcd\r\n"
    "RemoteAddr: IP=11.1.1.150 PORT=6000 SSRC=0x1357efff\r\n"
    "LocalMetrics:\r\n"
    "Timestamps: START=2004-10-10T18:23:43Z STOP=2004-10-10T18:24:43Z\r\n"
    "SessionDesc: PT=0 PD=PCMU SR=8000 FD=20 FO=20 FPP=1 PPS=50 PLC=3 SSUP=on\r\n"
    "JitterBuffer: JBA=3 JBR=2 JBN=40 JBM=80 JBX=120\r\n"
    "PacketLoss: NLR=5.0 JDR=2.0\r\n"
    "BurstGapLoss: BLD=0 BD=0 GLD=2.0 GD=500 GMIN=16\r\n"
    "Delay: RTD=200 ESD=140 SOWD=200 IAJ=2 MAJ=10\r\n"
    "Signal: SL=-21 NL=-50 RERL=55\r\n"
    "QualityEst: RLQ=88 RCQ=85 EXTRI=90 MOSLQ=4.2 MOSCQ=4.3\r\n";

// A record builder with default options and its own metrics.
struct Builder {
  MetricsRegistry registry;
  ParserMetrics metrics{registry};
  ParserOptions options;
  RecordBuilder builder{options, metrics};

  wire::SipBatch build(wire::PacketBatch& in) {
    wire::SipBatch out;
    builder.build(in, out);
    return out;
  }
  uint64_t count(const std::string& series) { return counter(registry, series); }
};

std::string publish(const std::string& content_type, const std::string& body) {
  return "PUBLISH sip:collector@192.0.2.30 SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKp\r\n"
         "From: <sip:alice@192.0.2.10>;tag=p1\r\nTo: <sip:collector@192.0.2.30>\r\n"
         "Call-ID: publish-1@test\r\nCSeq: 1 PUBLISH\r\nEvent: vq-rtcpxr\r\n"
         "Content-Type: " +
         content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("The X-RTP-Stat line filter finds the header at any line, in any case, and nothing else",
          "[parser][qos]") {
  CHECK(hasRtpStatHeader("X-RTP-Stat: PS=1\r\n"));
  CHECK(hasRtpStatHeader("Via: x\r\nCall-ID: 1\r\nx-rtp-stat : PS=1\r\n"));
  CHECK(hasRtpStatHeader("Via: x\nP-RTP-Stat:PS=1\n"));
  CHECK_FALSE(hasRtpStatHeader("Via: x\r\nX-RTP-Stats: PS=1\r\n"));
  CHECK_FALSE(hasRtpStatHeader("Subject: X-RTP-Stat: PS=1\r\n"));  // in a value, not a name
  CHECK_FALSE(hasRtpStatHeader("X-RTP-Stat"));                     // no colon
  CHECK_FALSE(hasRtpStatHeader(""));
  CHECK(isVqRtcpXr("application/vq-rtcpxr"));
  CHECK(isVqRtcpXr(" Application/VQ-RTCPXR; charset=utf-8"));
  CHECK_FALSE(isVqRtcpXr("application/vq-rtcpxr2"));
  CHECK_FALSE(isVqRtcpXr("application/sdp"));
}

TEST_CASE("A raw RTCP SR+RR compound (HEP 5) becomes reports on the correlation id, without payload",
          "[parser][qos][rtcp]") {
  Builder b;
  wire::PacketBatch in;
  addPacket(in, kPayloadRtcp, srRrCompound(), "call-rtcp@test");
  const wire::SipBatch out = b.build(in);
  REQUIRE(out.records_size() == 1);
  const wire::SipRecord& r = out.records(0);
  CHECK_FALSE(r.has_sip());
  CHECK(r.packet().payload().empty());
  CHECK(r.packet().capture_time_us() == kCaptureUs);
  CHECK(r.packet().src_port() == 40001);
  REQUIRE(r.qos_size() == 3);  // the SR's sender info, its block, the RR's block
  for (const wire::QosFields& q : r.qos()) {
    CHECK(q.source() == 1);
    CHECK(q.call_id() == "call-rtcp@test");
    CHECK(q.media_src_ip().empty());  // the packet's addresses are the report's
  }
  const wire::QosFields* sent = find(r, 1, 0x11111111u);
  REQUIRE(sent);
  CHECK(sent->report_type() == 200);
  CHECK(sent->has_packets());
  CHECK(sent->packets() == 1500);
  const wire::QosFields* sr_block = find(r, 0, 0x22222222u);
  REQUIRE(sr_block);
  CHECK(sr_block->report_type() == 200);
  CHECK(sr_block->reporter_ssrc() == 0x11111111u);
  CHECK(sr_block->fraction_lost() == Approx(64 / 256.0));
  CHECK(sr_block->lost() == 17);
  CHECK(sr_block->highest_seq() == 0x00010F00u);
  CHECK(sr_block->jitter_ms() == Approx(80 * 1000.0 / 8000));  // 8000 Hz when the clock is unknown
  CHECK(sr_block->rtt_ms() < 0);                                 // LSR 0: no RTT
  const wire::QosFields* rr_block = find(r, 0, 0x11111111u);
  REQUIRE(rr_block);
  CHECK(rr_block->report_type() == 201);
  CHECK(rr_block->reporter_ssrc() == 0x22222222u);
  CHECK(rr_block->has_lost());
  CHECK(rr_block->lost() == -2);
  CHECK(rr_block->highest_seq() == 70000u);
  CHECK(rr_block->fraction_lost() == 0);
  CHECK(rr_block->jitter_ms() == Approx(2.0));
  CHECK(rr_block->rtt_ms() == Approx(30.0).margin(0.2));
  CHECK(b.count("sipvault_parser_qos_reports_total{source=\"rtcp\"}") == 3);
  CHECK(b.metrics.non_sip_kept.value() == 0);
}

TEST_CASE("Garbage HEP 5 payloads are kept raw as before and counted by reason", "[parser][qos][rtcp]") {
  Builder b;
  wire::PacketBatch in;
  std::string truncated = srRrCompound();
  truncated.resize(20);  // the SR's length says 52 bytes
  const std::string rtp = "\x80\x08\x00\x01garbage RTP not RTCP"s;
  addPacket(in, kPayloadRtcp, rtp, "c1");
  addPacket(in, kPayloadRtcp, truncated, "c2");
  addPacket(in, kPayloadRtcp, "{\"not\": \"a report\"", "c3");  // unterminated JSON
  addPacket(in, kPayloadRtcp, "", "c4");
  const wire::SipBatch out = b.build(in);
  REQUIRE(out.records_size() == 4);
  CHECK(out.records(0).packet().payload() == rtp);
  CHECK(out.records(1).packet().payload() == truncated);
  for (const wire::SipRecord& r : out.records()) CHECK(r.qos_size() == 0);
  CHECK(b.metrics.non_sip_kept.value() == 4);
  CHECK(b.count("sipvault_parser_qos_undecodable_total{reason=\"not_rtcp\"}") == 1);   // RTP
  CHECK(b.count("sipvault_parser_qos_undecodable_total{reason=\"truncated\"}") == 2);  // the cut SR, nothing at all
  CHECK(b.count("sipvault_parser_qos_undecodable_total{reason=\"bad_json\"}") == 1);

  // parser.qos = false: HEP 5 passes raw, as before this feature.
  ParserOptions off;
  off.qos = false;
  RecordBuilder raw_builder(off, b.metrics);
  wire::PacketBatch in2;
  addPacket(in2, kPayloadRtcp, srRrCompound(), "c5");
  wire::SipBatch out2;
  raw_builder.build(in2, out2);
  REQUIRE(out2.records_size() == 1);
  CHECK(out2.records(0).qos_size() == 0);
  CHECK(out2.records(0).packet().payload() == srRrCompound());
}

TEST_CASE("The agent's RTP statistics (HEP 34) become one report with the stream's own addresses",
          "[parser][qos][agent]") {
  Builder b;
  wire::PacketBatch in;
  addPacket(in, kPayloadAgentRtp,
            R"({"type":"sipvault_rtp","version":1,"ssrc":305419896,"src_ip":"192.0.2.1","src_port":40000,)"
            R"("dst_ip":"2001:db8::2","dst_port":30000,"codec":"PCMA","clock_rate":8000,"packets":250,)"
            R"("expected":252,"lost":2,"highest_seq":66000,"fraction_lost":0.0079,"jitter_ms":1.9,)"
            R"("seq_gaps":1,"mos":4.38,"interval_s":5.0,"final":false})",
            "agent-call@test");
  const wire::SipBatch out = b.build(in);
  REQUIRE(out.records_size() == 1);
  const wire::SipRecord& r = out.records(0);
  REQUIRE(r.qos_size() == 1);
  const wire::QosFields& q = r.qos(0);
  CHECK(q.source() == 5);
  CHECK(q.call_id() == "agent-call@test");
  CHECK(q.ssrc() == 305419896u);
  CHECK(q.packets() == 250);
  CHECK(q.lost() == 2);
  CHECK(q.highest_seq() == 66000u);
  CHECK(q.fraction_lost() == Approx(0.0079));
  CHECK(q.jitter_ms() == Approx(1.9));
  CHECK(q.mos() == Approx(4.38));
  CHECK(q.codec() == "PCMA");
  CHECK(q.media_src_ip() == std::string("\xc0\x00\x02\x01", 4));
  CHECK(q.media_src_port() == 40000);
  CHECK(q.media_dst_ip() == std::string("\x20\x01\x0d\xb8", 4) + std::string(11, '\0') + "\x02");
  CHECK(q.media_dst_port() == 30000);
  CHECK(b.count("sipvault_parser_qos_reports_total{source=\"agent_rtp\"}") == 1);
}

TEST_CASE("X-RTP-Stat on a BYE and a vq-rtcpxr PUBLISH add reports to the message's record",
          "[parser][qos][sip]") {
  Builder b;
  wire::PacketBatch in;
  addPacket(in, kPayloadSip, kBye);
  addPacket(in, kPayloadSip, publish("application/vq-rtcpxr", kVqBody));
  addPacket(in, kPayloadSip, publish("text/plain", kVqBody));  // not a report: stored, nothing decoded
  const wire::SipBatch out = b.build(in);
  REQUIRE(out.records_size() == 3);
  const wire::SipRecord& bye = out.records(0);
  REQUIRE(bye.has_sip());
  CHECK(bye.packet().payload() == kBye);  // the message is stored as before
  REQUIRE(bye.qos_size() >= 1);
  bool sent_812 = false;
  for (const wire::QosFields& q : bye.qos()) {
    CHECK(q.source() == 3);
    CHECK(q.call_id() == "qos-bye-1@test");
    if (q.direction() == 1 && q.has_packets() && q.packets() == 812) sent_812 = true;
  }
  CHECK(sent_812);  // PS: the sender's own count
  const wire::SipRecord& pub = out.records(1);
  REQUIRE(pub.has_sip());
  REQUIRE(pub.qos_size() >= 1);
  const wire::QosFields& vq = pub.qos(0);
  CHECK(vq.source() == 4);
  CHECK(vq.call_id() == "6dg37f1890463");  // the report's own CallID, not the PUBLISH's
  CHECK(vq.fraction_lost() == Approx(0.05));
  CHECK(vq.mos() == Approx(4.3));
  CHECK(vq.media_src_ip() == std::string("\x0a\x00\x00\x01", 4));
  CHECK(vq.media_src_port() == 5000);
  CHECK(vq.media_dst_ip() == std::string("\x0b\x01\x01\x96", 4));
  CHECK(vq.media_dst_port() == 6000);
  CHECK(out.records(2).qos_size() == 0);
  CHECK(b.count("sipvault_parser_qos_reports_total{source=\"vq_rtcpxr\"}") == 1);
}

TEST_CASE("X-RTP-Stat is read on a BYE's response too, and not on other transactions", "[parser][qos][sip]") {
  Builder b;
  const std::string stat = "X-RTP-Stat: PS=812;OS=129920;PR=810;OR=129600;PL=3;JI=18;LA=0;DU=16;EN=PCMA;DE=PCMA\r\n";
  const std::string ok_bye = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK9\r\n"
                             "From: <sip:alice@192.0.2.10>;tag=a1\r\nTo: <sip:bob@192.0.2.20>;tag=b1\r\n"
                             "Call-ID: qos-ok-1@test\r\nCSeq: 2 BYE\r\n" + stat + "Content-Length: 0\r\n\r\n";
  std::string info = ok_bye;  // the same header on a response to INFO: where no sender puts it
  info.replace(info.find("2 BYE"), 5, "2 INFO");
  wire::PacketBatch in;
  addPacket(in, kPayloadSip, ok_bye);
  addPacket(in, kPayloadSip, info);
  const wire::SipBatch out = b.build(in);
  REQUIRE(out.records_size() == 2);
  REQUIRE(out.records(0).qos_size() == 2);  // PR/PL/JI received, PS sent
  CHECK(out.records(0).qos(0).call_id() == "qos-ok-1@test");
  CHECK(out.records(1).qos_size() == 0);
}

TEST_CASE("A malformed X-RTP-Stat header is counted, the message stored without a report", "[parser][qos][sip]") {
  Builder b;
  std::string bye = kBye;
  const std::string good = "PS=812;OS=129920;PR=810;OR=129600;PL=3;JI=18;LA=0;DU=16;EN=PCMA;DE=PCMA";
  bye.replace(bye.find(good), good.size(), "\x01\x02 nothing = here ;;;=");
  wire::PacketBatch in;
  addPacket(in, kPayloadSip, bye);
  const wire::SipBatch out = b.build(in);
  REQUIRE(out.records_size() == 1);
  CHECK(out.records(0).has_sip());
  CHECK(out.records(0).qos_size() == 0);
  CHECK(b.count("sipvault_parser_qos_undecodable_total{reason=\"bad_format\"}") == 1);
}

TEST_CASE("Reports outlive the ingest policy: a dropped BYE leaves a record of reports alone", "[parser][qos][policy]") {
  std::string error;
  auto rule = parsePolicyRule("drop-bye", {{"action", "drop"}, {"match.method", "BYE"}}, error);
  REQUIRE(rule);
  auto summarize = parsePolicyRule("sum-publish", {{"action", "summarize"}, {"match.method", "PUBLISH"}}, error);
  REQUIRE(summarize);
  MetricsRegistry registry;
  ParserOptions options;
  options.policy_rules = {*rule, *summarize};
  ParserMetrics metrics(registry, options.policy_rules);
  RecordBuilder builder(options, metrics);
  std::string plain_bye = kBye;
  plain_bye.erase(plain_bye.find("X-RTP-Stat"), plain_bye.find("Content-Length") - plain_bye.find("X-RTP-Stat"));
  wire::PacketBatch in;
  addPacket(in, kPayloadSip, kBye);
  addPacket(in, kPayloadSip, plain_bye);  // dropped entirely: nothing to keep
  addPacket(in, kPayloadSip, publish("application/vq-rtcpxr", kVqBody));
  wire::SipBatch out;
  builder.build(in, out);
  REQUIRE(out.records_size() == 2);
  const wire::SipRecord& bye = out.records(0);
  CHECK_FALSE(bye.has_sip());
  CHECK(bye.packet().payload().empty());
  CHECK(bye.packet().payload_type() == kPayloadSip);
  REQUIRE(bye.qos_size() >= 1);
  CHECK(bye.qos(0).call_id() == "qos-bye-1@test");
  const wire::SipRecord& pub = out.records(1);
  CHECK(pub.summarize());
  CHECK(pub.packet().payload().empty());
  REQUIRE(pub.qos_size() >= 1);
  CHECK(pub.qos(0).call_id() == "6dg37f1890463");
}

TEST_CASE("The reports of one record are bounded", "[parser][qos]") {
  Builder b;
  std::string bye = kBye;
  std::string many;
  for (size_t i = 0; i < kMaxQosReportsPerRecord + 10; ++i) many += "X-RTP-Stat: PS=" + std::to_string(i + 1) + "\r\n";
  bye.insert(bye.find("Content-Length"), many);
  wire::PacketBatch in;
  addPacket(in, kPayloadSip, bye);
  const wire::SipBatch out = b.build(in);
  REQUIRE(out.records_size() == 1);
  CHECK(static_cast<size_t>(out.records(0).qos_size()) == kMaxQosReportsPerRecord);
  CHECK(b.metrics.qos_dropped.value() > 0);
}
