// Unit tests of the MediaTap: SIP with SDP teaches it a call's media; RTCP of that call leaves
// as HEP 5 with the Call-ID as correlation id; RTP of it, with agent.rtp_stats, as HEP 34 reports
// at the interval and at the stream's end. Packets are built here, HEP read back with decodeHep.
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "agent/hep_framer.h"
#include "agent/media_tap.h"
#include "proto/hep_codec.h"
#include "qos/rtcp_json.h"

using namespace sipvault;
using namespace sipvault::agent;

namespace {

constexpr uint64_t kSec = 1'000'000;

struct Out {
  uint8_t payload_type = 0;
  std::string correlation_id, payload, src, dst;
  uint16_t src_port = 0, dst_port = 0;
  uint64_t time_us = 0;
};

struct Rig {
  explicit Rig(MediaTapOptions o, int hep_version = 3) : framer(HepIdentity{hep_version, 1, "", "", false}), tap(o, framer) {}
  HepFramer framer;
  MediaTap tap;
  std::vector<std::string> keep;  // payloads outlive the views only for the call

  void send(const char* src, uint16_t sport, const char* dst, uint16_t dport, const std::string& payload,
            uint64_t t_us) {
    PacketView v;
    v.src = *IpAddress::parse(src);
    v.dst = *IpAddress::parse(dst);
    v.src_port = sport;
    v.dst_port = dport;
    v.ip_proto = kIpProtoUdp;
    v.ts_sec = uint32_t(t_us / kSec);
    v.ts_usec = uint32_t(t_us % kSec);
    v.payload = payload;
    tap.onPacket(v);
  }
  std::vector<Out> take() {
    std::vector<Out> out;
    HepBatch b = framer.take();
    for (size_t i = 0; i < b.size(); ++i) {
      std::string scratch;
      auto r = decodeHep(b.packet(i), scratch);
      REQUIRE(r.ok());
      const PacketView& p = *r.packet;
      out.push_back({p.payload_type, std::string(p.correlation_id), std::string(p.payload), p.src.toString(),
                     p.dst.toString(), p.src_port, p.dst_port, p.timeUs()});
    }
    return out;
  }
};

std::string sdp(const std::string& addr, int port) {
  return "v=0\r\no=- 1 1 IN IP4 " + addr + "\r\ns=-\r\nc=IN IP4 " + addr + "\r\nt=0 0\r\nm=audio " +
         std::to_string(port) + " RTP/AVP 8 0\r\n";
}

std::string sipText(const std::string& start, const std::string& call_id, const std::string& cseq,
                const std::string& body = "") {
  return start + "\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK" + call_id + cseq.substr(0, 1) +
         "\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\nCall-ID: " + call_id +
         "\r\nCSeq: " + cseq + "\r\n" + (body.empty() ? "" : "Content-Type: application/sdp\r\n") +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// RTCP receiver report with one report block (RFC 3550 6.4.2): 32 bytes.
std::string rtcpRr(uint32_t ssrc) {
  std::string p(32, '\0');
  p[0] = char(0x81);
  p[1] = char(201);
  p[3] = 7;
  for (int i = 0; i < 4; ++i) p[4 + i] = char(ssrc >> (24 - 8 * i));
  p[8] = 0x12;  // the source reported on
  return p;
}

std::string rtp(uint16_t seq, uint32_t ts, uint32_t ssrc) {
  std::string p(12 + 160, char(0xd5));
  p[0] = char(0x80);
  p[1] = 8;  // PCMA
  p[2] = char(seq >> 8);
  p[3] = char(seq);
  for (int i = 0; i < 4; ++i) p[4 + i] = char(ts >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) p[8 + i] = char(ssrc >> (24 - 8 * i));
  return p;
}

// A number field of the report JSON ("key":N), -1 when absent or null.
double field(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos || json.compare(at + key.size() + 3, 4, "null") == 0) return -1;
  return std::stod(json.substr(at + key.size() + 3));
}

void startCall(Rig& r, const std::string& call_id, uint64_t t) {
  r.send("192.0.2.1", 5060, "192.0.2.2", 5060, sipText("INVITE sip:b@example.com SIP/2.0", call_id, "1 INVITE", sdp("192.0.2.1", 40000)), t);
  r.send("192.0.2.2", 5060, "192.0.2.1", 5060, sipText("SIP/2.0 200 OK", call_id, "1 INVITE", sdp("192.0.2.2", 30000)), t + 1000);
}

}  // namespace

TEST_CASE("RTCP of a learned call leaves as HEP 5 with its Call-ID - other RTCP is not sent", "[agent][media][rtcp]") {
  Rig r(MediaTapOptions{});
  startCall(r, "call-a@example.com", 10 * kSec);
  const std::string rr = rtcpRr(0xabcdef01);
  r.send("192.0.2.1", 40001, "192.0.2.2", 30001, rr, 11 * kSec);  // RTCP port to RTCP port
  r.send("192.0.2.2", 30000, "192.0.2.1", 40000, rr, 12 * kSec);  // RTCP on the RTP port (mux demux)
  r.send("198.51.100.1", 4001, "198.51.100.2", 4801, rr, 12 * kSec);  // nobody's
  r.send("192.0.2.1", 40000, "192.0.2.2", 30000, rtp(1, 160, 7), 12 * kSec);  // RTP: stats are off
  r.send("192.0.2.2", 30001, "192.0.2.1", 40001, rtp(1, 160, 7), 12 * kSec);  // RTP on an RTCP port
  const auto out = r.take();
  REQUIRE(out.size() == 4);
  CHECK(out[0].payload_type == 1);
  CHECK(out[1].payload_type == 1);
  for (size_t i : {2, 3}) {
    CHECK(out[i].payload_type == 5);
    CHECK(out[i].correlation_id == "call-a@example.com");
    CHECK(out[i].payload == rr);
  }
  CHECK(out[2].src_port == 40001);
  CHECK(out[3].time_us == 12 * kSec);
  const MediaCounters& c = r.tap.counters();
  CHECK(c.rtcp_sent == 2);
  CHECK(c.rtcp_unmatched == 1);
  CHECK(c.rtcp_port_not_rtcp == 1);
  CHECK(c.calls_learned == 1);
  CHECK(r.framer.sip == 2);
  CHECK(r.framer.non_sip == 1);  // the unmatched RTCP
}

TEST_CASE("agent.rtcp off sends no RTCP, HEP v2 sends it without correlation id", "[agent][media][rtcp]") {
  MediaTapOptions off;
  off.rtcp = false;
  off.rtp_stats = true;
  Rig a(off);
  startCall(a, "c", kSec);
  a.send("192.0.2.1", 40001, "192.0.2.2", 30001, rtcpRr(1), 2 * kSec);
  CHECK(a.take().size() == 2);
  CHECK(a.tap.counters().rtcp_sent == 0);

  Rig b(MediaTapOptions{}, 2);
  startCall(b, "c", kSec);
  b.send("192.0.2.1", 40001, "192.0.2.2", 30001, rtcpRr(1), 2 * kSec);
  const auto out = b.take();
  REQUIRE(out.size() == 3);
  CHECK(out[2].payload == rtcpRr(1));
  CHECK(out[2].correlation_id.empty());
}

TEST_CASE("RTP statistics: a report per interval and a final one after the BYE", "[agent][media][rtp]") {
  MediaTapOptions o;
  o.rtp_stats = true;
  o.report_interval_us = 5 * kSec;
  o.table.bye_linger_us = 2 * kSec;
  Rig r(o);
  startCall(r, "call-b", 100 * kSec);
  // 12 s of PCMA at 50 pps from 192.0.2.1:40000, sequence 1000.., one packet (seq 1100) lost.
  size_t sent = 0;
  for (int i = 0; i < 600; ++i) {
    if (i == 100) continue;
    r.send("192.0.2.1", 40000, "192.0.2.2", 30000, rtp(uint16_t(1000 + i), 160u * uint32_t(i), 0x1234),
           101 * kSec + uint64_t(i) * 20000);
    ++sent;
  }
  r.send("192.0.2.2", 5060, "192.0.2.1", 5060, sipText("BYE sip:a@example.com SIP/2.0", "call-b", "2 BYE"), 114 * kSec);
  r.tap.tick(115 * kSec);
  CHECK(r.tap.streams() == 1);  // the linger is not over
  r.tap.tick(117 * kSec);
  CHECK(r.tap.streams() == 0);
  CHECK(r.tap.calls() == 0);

  std::vector<Out> reports;
  for (const Out& h : r.take())
    if (h.payload_type == 34) reports.push_back(h);
  REQUIRE(reports.size() >= 3);  // two intervals and the final one
  for (const Out& h : reports) {
    INFO(h.payload);
    CHECK(h.correlation_id == "call-b");
    CHECK(h.src == "192.0.2.1");
    CHECK(h.src_port == 40000);
    CHECK(h.dst_port == 30000);
    CHECK(h.payload.rfind(R"({"type":"sipvault_rtp","version":1,"ssrc":4660,)", 0) == 0);
    CHECK(h.payload.find(R"("codec":"PCMA","clock_rate":8000,)") != std::string::npos);
  }
  const std::string& last = reports.back().payload;
  INFO(last);
  CHECK(last.find(R"("final":true})") != std::string::npos);
  CHECK(field(last, "packets") == double(sent));
  CHECK(field(last, "lost") == 1);
  CHECK(field(last, "expected") == double(sent + 1));
  CHECK(field(last, "seq_gaps") == 1);
  CHECK(field(last, "highest_seq") == 1599);
  CHECK(reports.front().payload.find(R"("final":false})") != std::string::npos);
  // The contract's own parser reads the reports (qos/rtcp_json.h).
  std::vector<qos::QosReport> parsed;
  REQUIRE(qos::decodeAgentRtpJson(last, parsed) == qos::QosDecodeStatus::Ok);
  REQUIRE(parsed.size() == 1);
  CHECK(parsed[0].source == qos::ReportSource::AgentRtp);
  CHECK(parsed[0].ssrc == 0x1234);
  CHECK(parsed[0].packets == sent);
  CHECK(parsed[0].lost == 1);
  CHECK(parsed[0].codec == "PCMA");
  CHECK(parsed[0].media_src_port == 40000);
  CHECK_FALSE(parsed[0].mos.has_value());  // nothing expected after the BYE: null, not a MOS of 0
  CHECK(last.find(R"("mos":null)") != std::string::npos);
  for (const Out& h : reports) CHECK(qos::decodeAgentRtpJson(h.payload, parsed) == qos::QosDecodeStatus::Ok);
  // The interval with the loss says so; the cumulative counters never stand in for it.
  bool lossy_interval = false;
  for (const Out& h : reports) lossy_interval = lossy_interval || field(h.payload, "fraction_lost") > 0;
  CHECK(lossy_interval);
  CHECK(field(reports.front().payload, "mos") > 1);
  CHECK(r.tap.counters().rtp_packets == sent);
  CHECK(r.tap.counters().rtp_streams_started == 1);
  CHECK(r.tap.counters().rtp_streams_ended == 1);
  CHECK(r.tap.counters().calls_forgotten_bye == 1);
}

TEST_CASE("RTP streams beyond agent.rtp_max_streams end the least recent one, counted", "[agent][media][rtp]") {
  MediaTapOptions o;
  o.rtp_stats = true;
  o.max_streams = 2;
  Rig r(o);
  startCall(r, "c", kSec);
  for (uint32_t ssrc : {1u, 2u, 3u})  // three SSRCs on one address pair: three streams
    for (uint16_t s = 0; s < 5; ++s) r.send("192.0.2.1", 40000, "192.0.2.2", 30000, rtp(s, s * 160u, ssrc), 2 * kSec + s);
  CHECK(r.tap.streams() == 2);
  CHECK(r.tap.counters().rtp_streams_evicted == 1);
  const auto out = r.take();
  REQUIRE(out.size() == 3);  // INVITE, 200 and the evicted stream's final report
  CHECK(out[2].payload_type == 34);
  CHECK(field(out[2].payload, "ssrc") == 1);
  r.tap.finish(3 * kSec);
  CHECK(r.tap.streams() == 0);
  CHECK(r.take().size() == 2);
}

TEST_CASE("Short and hostile datagrams on learned ports are counted, never a crash", "[agent][media]") {
  MediaTapOptions o;
  o.rtp_stats = true;
  Rig r(o);
  startCall(r, "c", kSec);
  for (const std::string& p : {std::string(), std::string(1, '\x80'), std::string(11, '\x80'),
                              std::string("\x80\xc8", 2), std::string(40, '\xff')})
    r.send("192.0.2.1", 40000, "192.0.2.2", 30000, p, 2 * kSec);
  // An SDP codec name with quotes and control bytes is escaped in the JSON.
  r.send("192.0.2.1", 5060, "192.0.2.2", 5060,
         sipText("INVITE sip:b@example.com SIP/2.0", "q", "1 INVITE",
             "v=0\r\nc=IN IP4 192.0.2.5\r\nm=audio 6000 RTP/AVP 96\r\na=rtpmap:96 a\"b\\c\x01/8000\r\n"),
         3 * kSec);
  r.send("192.0.2.5", 6000, "192.0.2.6", 7000, rtp(1, 0, 9), 3 * kSec);
  r.tap.finish(4 * kSec);
  const auto out = r.take();
  REQUIRE(!out.empty());
  CHECK(out.back().payload_type == 34);
  CHECK(out.back().payload.find(R"("codec":"a\"b\\c\u0001")") != std::string::npos);
  CHECK(r.tap.counters().rtp_not_rtp >= 3);
}

TEST_CASE("Random bytes on learned ports and random SDP keep every bound", "[agent][media][robust]") {
  MediaTapOptions o;
  o.rtp_stats = true;
  o.max_streams = 16;
  o.table.max_calls = 8;
  Rig r(o);
  std::mt19937 rng(15);
  auto byte = [&] { return char(rng() & 0xff); };
  const char* const lines[] = {"c=IN IP4 192.0.2.", "m=audio ", "a=rtcp:", "a=rtcp-mux", "a=rtpmap:", "c=IN IP6 ::"};
  uint64_t t = kSec;
  for (int i = 0; i < 20000; ++i, t += 1000) {
    if (i % 50 == 0) {  // an SDP of random lines, some of them valid
      std::string body = "v=0\r\n";
      for (int l = 0; l < 6; ++l) {
        const size_t k = rng() % 6;
        body += std::string(lines[k]) + std::to_string(rng() % (k == 2 ? 70000 : 8)) + (k == 1 ? " RTP/AVP 0" : "") + "\r\n";
      }
      r.send("192.0.2.1", 5060, "192.0.2.2", 5060,
             sipText("INVITE sip:b@example.com SIP/2.0", "r" + std::to_string(i), "1 INVITE", body), t);
      continue;
    }
    std::string p(rng() % 64, '\0');
    for (char& c : p) c = byte();
    if (!p.empty() && rng() % 2) p[0] = char(0x80 | (p[0] & 0x3f));  // version 2 half the time
    if (p.size() > 1 && rng() % 4 == 0) p[1] = char(200 + rng() % 8);  // RTCP-like
    r.send(("192.0.2." + std::to_string(rng() % 4)).c_str(), uint16_t(rng() % 8), "198.51.100.1",
           uint16_t(rng() % 8), p, t);
    if (i % 1000 == 0) (void)r.take();
  }
  CHECK(r.tap.counters().calls_learned > 8);  // the SDP did name media, and the bound held
  CHECK(r.tap.counters().rtp_streams_started > 16);
  CHECK(r.tap.calls() <= 8);
  CHECK(r.tap.streams() <= 16);
  r.tap.finish(t);
  CHECK(r.tap.streams() == 0);
  (void)r.take();
}
