// GET /api/v1/calls/{call_id}/qos and the calls list's worst_mos / max_loss / mos_below (issue 15)
// against the real sipvault-api. The calls (INVITE/200 with SDP, BYE) go through a pipeline of
// this test's own (real collector -> parser -> writer) into the api tests' database, and with them
// raw RTCP in HEP 5 for one call (rtcpPackets: the parser decodes it, the writer fills sip_qos).
// The other calls' reports are sip_qos rows written as store/sql/012_sip_qos.sql documents them
// (storeReports), for what HEP cannot carry exactly (chosen MOS values, markup in codec and node,
// rows outside the window). Every call has its own 10-minute slot, so one call's reports never
// fall in another's window; the addresses (203.0.113.0/24) and Call-IDs (suffix: the process id)
// are this test's own.
#include <Poco/JSON/Array.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "api/search_filter.h"
#include "api_test_env.h"
#include "child_process.h"
#include "proto/hep_codec.h"
#include "store/db_connection.h"
#include "store/search_key.h"
#include "tests/support/test_database.h"

using namespace sipvault::apitest;
using namespace std::chrono_literals;
namespace test = sipvault::test;

namespace {

constexpr uint64_t kSecondUs = 1000000;
constexpr uint64_t kSlotUs = 600 * kSecondUs;

std::string suffix() { return "-" + std::to_string(getpid()); }
// The calls: with correlated reports, with uncorrelated ones matched by media address, without
// SDP, with SDP and no report at all, with only unmatched uncorrelated reports nearby.
std::string callCorr() { return "qos-corr" + suffix(); }
std::string callMedia() { return "qos-media" + suffix(); }
std::string callNoSdp() { return "qos-nosdp" + suffix(); }
std::string callSilent() { return "qos-silent" + suffix(); }
std::string callUncorr() { return "qos-uncorr" + suffix(); }
// Reports as raw RTCP in HEP 5 through the pipeline (the parser and writer fill sip_qos).
std::string callHep5() { return "qos-hep5" + suffix(); }

// 50 minutes ago, whole seconds; fixed per process. Slot i starts at base + i * 10 min.
uint64_t baseUs() {
  static const uint64_t base = [] {
    const uint64_t now =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    return (now - 50 * 60 * kSecondUs) / kSecondUs * kSecondUs;
  }();
  return base;
}
uint64_t slot(int i) { return baseUs() + static_cast<uint64_t>(i) * kSlotUs; }

std::string range() {
  return "from=" + std::to_string(baseUs() - kSlotUs) + "us&to=" + std::to_string(slot(6)) + "us";
}

std::string hep(const std::string& src, const std::string& dst, uint64_t t_us, const std::string& payload,
                uint16_t src_port = 5060, uint16_t dst_port = 5060, uint8_t payload_type = sipvault::kPayloadSip,
                std::string_view correlation_id = {}) {
  sipvault::PacketView p;
  p.src = *sipvault::IpAddress::parse(src);
  p.dst = *sipvault::IpAddress::parse(dst);
  p.src_port = src_port;
  p.dst_port = dst_port;
  p.payload_type = payload_type;
  p.correlation_id = correlation_id;
  p.ip_proto = sipvault::kIpProtoUdp;
  p.ts_sec = static_cast<uint32_t>(t_us / kSecondUs);
  p.ts_usec = static_cast<uint32_t>(t_us % kSecondUs);
  p.capture_id = 3015;
  p.payload = payload;
  std::string out;
  if (!sipvault::encodeHep3(p, out)) throw std::runtime_error("encodeHep3 failed");
  return out;
}

const std::string kCaller = "203.0.113.1";
const std::string kCallee = "203.0.113.2";

std::string sdp(const std::string& ip, int port, const std::string& extra = "") {
  return "v=0\r\no=- 1 1 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\nm=audio " +
         std::to_string(port) + " RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n" + extra;
}

std::string request(const std::string& method, const std::string& call_id, int cseq, const std::string& body) {
  const std::string from_user = "4930" + std::to_string(getpid());
  return method + " sip:" + call_id.substr(0, call_id.rfind('-')) + "@" + kCallee + " SIP/2.0\r\nVia: SIP/2.0/UDP " +
         kCaller + ":5060;branch=z9hG4bK" + call_id + std::to_string(cseq) + method + "\r\nFrom: <sip:" + from_user +
         "@" + kCaller + ">;tag=a1\r\nTo: <sip:" + call_id.substr(0, call_id.rfind('-')) + "@" + kCallee +
         ">\r\nCall-ID: " + call_id + "\r\nCSeq: " + std::to_string(cseq) + " " + method +
         "\r\nMax-Forwards: 70\r\n" + (body.empty() ? "" : "Content-Type: application/sdp\r\n") +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string response(int status, const std::string& method, const std::string& call_id, int cseq,
                     const std::string& body) {
  const std::string from_user = "4930" + std::to_string(getpid());
  return "SIP/2.0 " + std::to_string(status) + (status == 200 ? " OK" : " Busy Here") +
         "\r\nVia: SIP/2.0/UDP " + kCaller + ":5060;branch=z9hG4bK" + call_id + std::to_string(cseq) + method +
         "\r\nFrom: <sip:" + from_user + "@" + kCaller + ">;tag=a1\r\nTo: <sip:" +
         call_id.substr(0, call_id.rfind('-')) + "@" + kCallee + ">;tag=b1\r\nCall-ID: " + call_id +
         "\r\nCSeq: " + std::to_string(cseq) + " " + method + "\r\n" +
         (body.empty() ? "" : "Content-Type: application/sdp\r\n") + "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// INVITE (offer) at t, 200 (answer) at t+1 s, ACK, BYE at t+30 s, its 200.
std::vector<std::string> answeredCall(const std::string& call_id, uint64_t t, const std::string& offer,
                                      const std::string& answer) {
  return {hep(kCaller, kCallee, t, request("INVITE", call_id, 1, offer)),
          hep(kCallee, kCaller, t + kSecondUs, response(200, "INVITE", call_id, 1, answer)),
          hep(kCaller, kCallee, t + kSecondUs + 1000, request("ACK", call_id, 1, "")),
          hep(kCaller, kCallee, t + 30 * kSecondUs, request("BYE", call_id, 2, "")),
          hep(kCallee, kCaller, t + 30 * kSecondUs + 1000, response(200, "BYE", call_id, 2, ""))};
}

std::vector<std::string> sipPackets() {
  std::vector<std::string> out;
  auto add = [&](std::vector<std::string> more) { out.insert(out.end(), more.begin(), more.end()); };
  add(answeredCall(callCorr(), slot(0), sdp("203.0.113.10", 30000), sdp("203.0.113.20", 31000)));
  add(answeredCall(callMedia(), slot(1), sdp("203.0.113.30", 32000, "a=rtcp:32055\r\n"),
                   sdp("203.0.113.40", 33000, "a=rtcp-mux\r\n")));
  out.push_back(hep(kCaller, kCallee, slot(2), request("INVITE", callNoSdp(), 1, "")));
  out.push_back(hep(kCallee, kCaller, slot(2) + kSecondUs, response(486, "INVITE", callNoSdp(), 1, "")));
  add(answeredCall(callSilent(), slot(3), sdp("203.0.113.50", 34000), sdp("203.0.113.51", 34100)));
  add(answeredCall(callUncorr(), slot(4), sdp("203.0.113.60", 35000), sdp("203.0.113.61", 35100)));
  add(answeredCall(callHep5(), slot(5), sdp("203.0.113.80", 36000), sdp("203.0.113.81", 36100)));
  return out;
}

// An RTCP receiver report (RFC 3550 6.4.2) with one report block, as bytes.
std::string receiverReport(uint32_t reporter, uint32_t ssrc, uint8_t fraction, uint32_t lost, uint32_t highest_seq,
                           uint32_t jitter) {
  std::string b;
  auto u32 = [&](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) b += static_cast<char>((v >> shift) & 0xff);
  };
  b += static_cast<char>(0x81);  // V=2, RC=1
  b += static_cast<char>(201);   // RR
  b += '\0';
  b += static_cast<char>(7);  // 8 words - 1
  u32(reporter);
  u32(ssrc);
  u32((static_cast<uint32_t>(fraction) << 24) | (lost & 0xffffff));
  u32(highest_seq);
  u32(jitter);
  u32(0);  // LSR
  u32(0);  // DLSR
  return b;
}

// HEP 5 raw RTCP for callHep5(): two RRs from the callee's RTCP port carrying the Call-ID as HEP
// correlation id (lost 10 then 30 of highest_seq 1100 then 1200: 20 % in the second interval), and
// one RR without a correlation id from the caller's RTCP port (matched by media address).
std::vector<std::string> rtcpPackets() {
  static const std::string call_id = callHep5();
  const uint64_t t = slot(5);
  return {hep("203.0.113.81", "203.0.113.80", t + 6 * kSecondUs, receiverReport(0xAAAA, 0xBBBB, 25, 10, 1100, 80),
              36101, 36001, 5, call_id),
          hep("203.0.113.81", "203.0.113.80", t + 11 * kSecondUs, receiverReport(0xAAAA, 0xBBBB, 51, 30, 1200, 160),
              36101, 36001, 5, call_id),
          hep("203.0.113.80", "203.0.113.81", t + 12 * kSecondUs, receiverReport(0xBBBB, 0xAAAA, 0, 0, 5000, 40),
              36001, 36101, 5)};
}

// One report as the 012 columns hold it.
struct Report {
  uint64_t t_us = 0;
  std::string call_id;  // "" = uncorrelated
  std::string src_ip, dst_ip;
  uint16_t src_port = 0, dst_port = 0;
  uint32_t ssrc = 0, reporter_ssrc = 0;
  uint8_t source = 1, report_type = 201, direction = 0;
  std::optional<uint64_t> packets;
  std::optional<int64_t> lost;
  std::optional<uint32_t> highest_seq;
  std::optional<double> fraction_lost, jitter_ms, rtt_ms, mos;
  std::string codec = "PCMA";
  std::string node = "qos-test";
};

Report at(uint64_t t_us, const std::string& call_id, const std::string& src_ip, const std::string& dst_ip,
          uint16_t src_port, uint16_t dst_port, uint32_t ssrc, uint32_t reporter_ssrc) {
  Report r;
  r.t_us = t_us, r.call_id = call_id, r.src_ip = src_ip, r.dst_ip = dst_ip;
  r.src_port = src_port, r.dst_port = dst_port, r.ssrc = ssrc, r.reporter_ssrc = reporter_ssrc;
  return r;
}

const std::string kHostileCodec = "PCMA<img src=x onerror=alert(1)>";
const std::string kHostileNode = "<b>node</b>\"'&";

std::vector<Report> reports() {
  std::vector<Report> out;
  const uint64_t c = slot(0), m = slot(1), u = slot(4);
  // Correlated: the callee's RR about the caller's stream; lost 10 of the first 100, then 20 of the next 100.
  Report r = at(c + 6 * kSecondUs, callCorr(), "203.0.113.20", "203.0.113.10", 31001, 30001, 0x1111, 0x2222);
  r.packets = 90, r.lost = 10, r.highest_seq = 1100, r.fraction_lost = 0.1, r.jitter_ms = 3, r.mos = 4.2;
  r.codec = kHostileCodec, r.node = kHostileNode;
  out.push_back(r);
  r.t_us = c + 11 * kSecondUs, r.packets = 170, r.lost = 30, r.highest_seq = 1200, r.fraction_lost = 0.2,
  r.jitter_ms = 12, r.rtt_ms = 48, r.mos = 3.1;
  out.push_back(r);
  // The other direction, sent counters (an SR's sender info): no loss figures.
  Report s = at(c + 7 * kSecondUs, callCorr(), "203.0.113.10", "203.0.113.20", 30001, 31001, 0x1111, 0x1111);
  s.report_type = 200, s.direction = 1, s.packets = 350;
  out.push_back(s);
  // Uncorrelated, from the media addresses the SDP named: the a=rtcp port and the rtcp-mux RTP port.
  Report a = at(m + 5 * kSecondUs, "", "203.0.113.30", "203.0.113.40", 32055, 33000, 0x3333, 0x4444);
  a.fraction_lost = 0.05, a.jitter_ms = 2.5, a.mos = 4.0;
  out.push_back(a);
  Report b = at(m + 8 * kSecondUs, "", "203.0.113.40", "203.0.113.30", 33000, 32055, 0x4444, 0x3333);
  b.source = 2, b.fraction_lost = 0.0, b.jitter_ms = 1.5, b.mos = 4.3;
  out.push_back(b);
  // Uncorrelated but from no address of the call (port 32000 + 1 is not its RTCP port: a=rtcp moved it).
  out.push_back(at(m + 9 * kSecondUs, "", "203.0.113.30", "203.0.113.40", 32001, 33000, 0x5555, 0));
  out.push_back(at(m + 9 * kSecondUs, "", "203.0.113.99", "203.0.113.40", 5000, 33000, 0x6666, 0));
  // From the call's address but two hours later: outside the window.
  out.push_back(at(m + 7200 * kSecondUs, "", "203.0.113.30", "203.0.113.40", 32055, 33000, 0x3333, 0));
  // Near qos-uncorr, from addresses no SDP named.
  out.push_back(at(u + 10 * kSecondUs, "", "203.0.113.98", "203.0.113.97", 6000, 6002, 0x7777, 0));
  out.push_back(at(u + 20 * kSecondUs, "", "203.0.113.98", "203.0.113.97", 6000, 6002, 0x7777, 0));
  return out;
}

std::string num(const std::optional<double>& v) { return v ? std::to_string(*v) : "NULL"; }
template <typename T>
std::string num(const std::optional<T>& v) {
  return v ? std::to_string(*v) : "NULL";
}
std::string hexBytes(const std::string& s) {
  static const char* d = "0123456789ABCDEF";
  std::string out = "X'";
  for (unsigned char ch : s) out += d[ch >> 4], out += d[ch & 15];
  return out + "'";
}
std::string ipBytes(const std::string& text) {
  return text.empty() ? "X''" : hexBytes(std::string(sipvault::IpAddress::parse(text)->raw()));
}

std::unique_ptr<sipvault::store::DbConnection> database() {
  sipvault::store::DbOptions o = test::testServerOptions();
  o.name = kDatabase;
  sipvault::store::DbError error;
  auto db = sipvault::store::DbConnection::open(o, error);
  if (!db) throw std::runtime_error("database: " + error.describe());
  return db;
}

// The reports into sip_qos: rows as the writer stores them (012). The switch point for HEP 5.
void storeReports(const std::vector<Report>& list) {
  auto db = database();
  sipvault::store::DbError error;
  uint64_t id = (static_cast<uint64_t>(getpid()) << 24) + 1;
  for (const Report& r : list) {
    const uint64_t hash = r.call_id.empty() ? 0 : sipvault::store::searchKey(r.call_id);
    const std::string sql =
        "INSERT INTO sip_qos (id, capture_us, call_id_hash, call_id, source, report_type, direction, src_ip, dst_ip, "
        "src_port, dst_port, ssrc, reporter_ssrc, packets, lost, highest_seq, fraction_lost, jitter_ms, rtt_ms, mos, "
        "codec, capture_id, node) VALUES (" +
        std::to_string(id++) + ", " + std::to_string(r.t_us) + ", " + std::to_string(hash) + ", " +
        hexBytes(r.call_id) + ", " + std::to_string(r.source) + ", " + std::to_string(r.report_type) + ", " +
        std::to_string(r.direction) + ", " + ipBytes(r.src_ip) + ", " + ipBytes(r.dst_ip) + ", " +
        std::to_string(r.src_port) + ", " + std::to_string(r.dst_port) + ", " + std::to_string(r.ssrc) + ", " +
        std::to_string(r.reporter_ssrc) + ", " + num(r.packets) + ", " + num(r.lost) + ", " + num(r.highest_seq) +
        ", " + num(r.fraction_lost) + ", " + num(r.jitter_ms) + ", " + num(r.rtt_ms) + ", " + num(r.mos) + ", " +
        hexBytes(r.codec) + ", 3015, " + hexBytes(r.node) + ")";
    REQUIRE(db->execute(sql, error));
  }
}

// The SIP through a pipeline of this test's own, once per process; then the reports.
void loadCalls() {
  static std::once_flag once;
  std::call_once(once, [] {
    (void)api();
    {  // a test binary run again: its earlier reports go first (203.0.113.0/24 is this test's own)
      auto db = database();
      sipvault::store::DbError error;
      REQUIRE(db->execute("DELETE FROM sip_qos WHERE LEFT(src_ip, 3) = X'CB0071'", error));
    }
    const std::string logs = std::string(SIPVAULT_BINARY_DIR) + "/tests/api/qos-logs";
    std::filesystem::create_directories(logs);
    CapturePipeline pipeline(logs);
    const int hep_port = pipeline.hepPort();
    const std::vector<std::string> packets = sipPackets();
    for (const std::string& packet : packets) sendUdp(hep_port, packet);
    for (const std::string& packet : rtcpPackets()) sendUdp(hep_port, packet);
    const std::string target = "/api/v1/messages?" + range() + "&call_id=" + enc("qos-*" + suffix()) + "&limit=100";
    const auto until = std::chrono::steady_clock::now() + 60s;
    size_t seen = 0;
    while (std::chrono::steady_clock::now() < until) {
      HttpResult r = admin().get(target);
      if (r.status == 200) seen = r.json()->getArray("items")->size();
      if (seen >= packets.size()) break;
      std::this_thread::sleep_for(200ms);
    }
    REQUIRE(seen == packets.size());
    // The HEP 5 reports: until the api shows all three on their call.
    const std::string qos_target = "/api/v1/calls/" + enc(callHep5()) + "/qos?" + range();
    uint64_t rtcp_seen = 0;
    while (std::chrono::steady_clock::now() < until + 30s) {
      HttpResult r = admin().get(qos_target);
      if (r.status == 200) rtcp_seen = r.json()->getObject("summary")->getValue<uint64_t>("report_count");
      if (rtcp_seen >= 3) break;
      std::this_thread::sleep_for(200ms);
    }
    REQUIRE(rtcp_seen == 3);
    pipeline.stop();
    storeReports(reports());
  });
}

Poco::JSON::Object::Ptr qos(const std::string& call_id) {
  HttpResult r = admin().get("/api/v1/calls/" + enc(call_id) + "/qos?" + range());
  INFO(r.body);
  REQUIRE(r.status == 200);
  return r.json();
}

std::string reasonCode(const Poco::JSON::Object::Ptr& o) {
  return o->get("reason").isEmpty() ? "" : o->getObject("reason")->getValue<std::string>("code");
}

std::vector<Poco::JSON::Object::Ptr> streamsOf(const Poco::JSON::Object::Ptr& o) {
  std::vector<Poco::JSON::Object::Ptr> out;
  auto legs = o->getArray("legs");
  for (size_t i = 0; i < legs->size(); ++i) {
    auto streams = legs->getObject(i)->getArray("streams");
    for (size_t j = 0; j < streams->size(); ++j) out.push_back(streams->getObject(j));
  }
  return out;
}

std::string badParameter(const std::string& target) {
  HttpResult r = admin().get(target);
  return r.status == 400 ? r.json()->getObject("error")->getValue<std::string>("parameter") : std::string();
}

Poco::JSON::Object::Ptr callItem(const Poco::JSON::Array::Ptr& items, const std::string& call_id) {
  for (size_t i = 0; i < items->size(); ++i)
    if (items->getObject(i)->getValue<std::string>("call_id") == call_id) return items->getObject(i);
  return nullptr;
}

}  // namespace

TEST_CASE("Call quality: reports of a call's legs, by Call-ID and by media address, with interval loss",
          "[api][qos][integration]") {
  loadCalls();

  SECTION("correlated reports: interval loss from cumulative counters, summaries, raw text kept as data") {
    auto o = qos(callCorr());
    CHECK(reasonCode(o).empty());
    CHECK(o->getValue<std::string>("call_id") == callCorr());
    CHECK_FALSE(o->getValue<bool>("truncated"));
    auto legs = o->getArray("legs");
    REQUIRE(legs->size() == 1);
    auto media = legs->getObject(0)->getArray("media");
    CHECK(media->size() == 4);  // 203.0.113.10:30000/30001, 203.0.113.20:31000/31001
    auto streams = streamsOf(o);
    REQUIRE(streams.size() == 2);
    auto rr = streams[0];
    CHECK(rr->getValue<std::string>("reporter") == "203.0.113.20:31001");
    CHECK(rr->getValue<std::string>("direction") == "received");
    CHECK(rr->getValue<std::string>("source") == "rtcp");
    CHECK(rr->getValue<uint32_t>("ssrc") == 0x1111);
    CHECK(rr->getValue<std::string>("codec") == kHostileCodec);
    CHECK(rr->getValue<std::string>("node") == kHostileNode);
    CHECK(rr->getValue<bool>("correlated"));
    auto points = rr->getArray("points");
    REQUIRE(points->size() == 2);
    CHECK(points->getObject(0)->getValue<double>("interval_loss") == Approx(0.10));
    CHECK(points->getObject(1)->getValue<double>("interval_loss") == Approx(0.20));
    CHECK(points->getObject(1)->getValue<double>("rtt_ms") == Approx(48));
    CHECK(points->getObject(0)->get("rtt_ms").isEmpty());
    CHECK(points->getObject(0)->getValue<uint64_t>("time_us") == slot(0) + 6 * kSecondUs);
    auto sr = streams[1];
    CHECK(sr->getValue<std::string>("direction") == "sent");
    CHECK(sr->getArray("points")->getObject(0)->get("interval_loss").isEmpty());
    auto summary = o->getObject("summary");
    CHECK(summary->getValue<double>("worst_mos") == Approx(3.1));
    CHECK(summary->getValue<double>("worst_interval_loss") == Approx(0.20));
    CHECK(summary->getValue<double>("max_jitter_ms") == Approx(12));
    CHECK(summary->getValue<uint64_t>("report_count") == 3);
  }

  SECTION("uncorrelated reports match by the SDP's a=rtcp port and rtcp-mux RTP port, in the window only") {
    auto o = qos(callMedia());
    CHECK(reasonCode(o).empty());
    auto streams = streamsOf(o);
    REQUIRE(streams.size() == 2);
    CHECK(streams[0]->getValue<std::string>("reporter") == "203.0.113.30:32055");
    CHECK(streams[0]->getArray("points")->size() == 1);  // not the one two hours later
    CHECK_FALSE(streams[0]->getValue<bool>("correlated"));
    CHECK(streams[1]->getValue<std::string>("reporter") == "203.0.113.40:33000");
    CHECK(streams[1]->getValue<std::string>("source") == "rtcp_json");
    CHECK(o->getObject("summary")->getValue<double>("worst_mos") == Approx(4.0));
  }

  SECTION("raw RTCP in HEP 5 through the pipeline: by correlation id and by media address") {
    auto o = qos(callHep5());
    CHECK(reasonCode(o).empty());
    auto streams = streamsOf(o);
    REQUIRE(streams.size() == 2);
    auto rr = streams[0];
    CHECK(rr->getValue<std::string>("reporter") == "203.0.113.81:36101");
    CHECK(rr->getValue<std::string>("source") == "rtcp");
    CHECK(rr->getValue<bool>("correlated"));
    CHECK(rr->getValue<uint32_t>("ssrc") == 0xBBBB);
    CHECK(rr->getValue<uint32_t>("reporter_ssrc") == 0xAAAA);
    auto points = rr->getArray("points");
    REQUIRE(points->size() == 2);
    CHECK(points->getObject(0)->get("interval_loss").isEmpty());  // an RR counts no packets
    CHECK(points->getObject(1)->getValue<double>("interval_loss") == Approx(0.20));
    CHECK(points->getObject(1)->getValue<double>("fraction_lost") == Approx(51.0 / 256));
    CHECK(points->getObject(1)->getValue<double>("jitter_ms") == Approx(20.0));  // 160 units at 8 kHz
    CHECK(points->getObject(1)->getValue<uint64_t>("lost") == 30);
    CHECK_FALSE(points->getObject(1)->get("mos").isEmpty());  // the E-model estimate
    CHECK(streams[1]->getValue<std::string>("reporter") == "203.0.113.80:36001");
    CHECK_FALSE(streams[1]->getValue<bool>("correlated"));
  }

  SECTION("empty answers say why") {
    auto nosdp = qos(callNoSdp());
    CHECK(reasonCode(nosdp) == "no_media_learned");
    CHECK(!nosdp->getObject("reason")->getValue<std::string>("message").empty());
    CHECK(streamsOf(nosdp).empty());
    CHECK(nosdp->getObject("summary")->get("worst_mos").isEmpty());
    auto silent = qos(callSilent());
    CHECK(reasonCode(silent) == "no_reports_for_media");
    auto uncorr = qos(callUncorr());
    CHECK(reasonCode(uncorr) == "uncorrelated_reports");
    CHECK(uncorr->getObject("reason")->getValue<uint64_t>("uncorrelated_count") == 2);
    CHECK(uncorr->getObject("reason")->getValue<std::string>("message").rfind("2 reports", 0) == 0);
  }

  SECTION("the calls list: worst_mos and max_loss per call, null without reports; mos_below filters") {
    // Slots 0..4 (the calls whose reports this test wrote; the HEP 5 call's MOS is an estimate).
    const std::string list = "/api/v1/calls?from=" + std::to_string(baseUs() - kSlotUs) + "us&to=" +
                             std::to_string(slot(5) - kSecondUs) + "us&call_id=" + enc("qos-*" + suffix());
    HttpResult all = admin().get(list);
    REQUIRE(all.status == 200);
    auto items = all.json()->getArray("items");
    CHECK(items->size() == 5);
    auto corr = callItem(items, callCorr());
    REQUIRE(corr);
    CHECK(corr->getValue<double>("worst_mos") == Approx(3.1));
    CHECK(corr->getValue<double>("max_loss") == Approx(0.2));
    auto silent = callItem(items, callSilent());
    REQUIRE(silent);
    CHECK(silent->get("worst_mos").isEmpty());
    CHECK(silent->get("max_loss").isEmpty());

    HttpResult below = admin().get(list + "&mos_below=3.5");
    REQUIRE(below.status == 200);
    auto b = below.json()->getArray("items");
    REQUIRE(b->size() == 1);
    CHECK(b->getObject(0)->getValue<std::string>("call_id") == callCorr());
    CHECK(b->getObject(0)->getValue<uint64_t>("message_count") == 5);  // the whole call, not the matching part
    HttpResult none = admin().get(list + "&mos_below=3");
    REQUIRE(none.status == 200);
    CHECK(none.json()->getArray("items")->size() == 0);
    // With final_status (a second path through the candidates).
    HttpResult answered = admin().get(list + "&mos_below=5&final_status=200");
    REQUIRE(answered.status == 200);
    CHECK(answered.json()->getArray("items")->size() == 1);
  }

  SECTION("hostile or unknown parameters: 400 naming them; no login: 401; unknown call: 404") {
    const std::string list = "/api/v1/calls?" + range();
    for (const char* bad : {"abc", "0", "6", "5.5", "3.555", "-1", "3.5' OR '1'='1", "1e1", "nan", " 3"})
      CHECK(badParameter(list + "&mos_below=" + enc(bad)) == "mos_below");
    CHECK(badParameter(list + "&mos_below=3&mos_below=4") == "mos_below");
    CHECK(badParameter(list + "&call_id=" + enc(callCorr()) + "&legs=linked&mos_below=3") == "mos_below");
    const std::string q = "/api/v1/calls/" + enc(callCorr()) + "/qos?";
    CHECK(badParameter(q + "from=" + enc("now'")) == "from");
    CHECK(badParameter(q + "mos_below=3") == "mos_below");
    CHECK(badParameter(q + "call_ref=" + enc("' OR 1=1 --")) == "call_ref");
    CHECK(badParameter(q + range() + "&call_ref=" + enc(sipvault::api::encodeCallRef(sipvault::api::CallRef::of("other")))) ==
          "call_ref");
    CHECK(ApiClient(api().port).get(q + range()).status == 401);
    CHECK(admin().get("/api/v1/calls/" + enc("no-such-call" + suffix()) + "/qos?" + range()).status == 404);
    CHECK(admin().get("/api/v1/calls/" + enc("x' OR '1'='1") + "/qos?" + range()).status == 404);
    // Still there.
    CHECK(streamsOf(qos(callCorr())).size() == 2);
  }

  SECTION("a share link reads its call's quality, and nothing else") {
    HttpResult made = admin().post("/api/v1/shares", json({{"call_id", callCorr()},
                                                           {"from", std::to_string(baseUs() - kSlotUs) + "us"},
                                                           {"to", std::to_string(slot(6)) + "us"},
                                                           {"expires_s", 600}}));
    INFO(made.body);
    REQUIRE(made.status == 201);
    const std::string token = made.json()->getValue<std::string>("token");
    const ApiClient anonymous(api().port);
    HttpResult shared = anonymous.get("/api/v1/shared/" + token + "/qos");
    REQUIRE(shared.status == 200);
    CHECK(streamsOf(shared.json()).size() == 2);
    CHECK(shared.json()->getObject("summary")->getValue<double>("worst_mos") == Approx(3.1));
    CHECK(anonymous.get("/api/v1/shared/" + token + "/qos?call_id=" + enc(callMedia())).status == 400);
    // The token is no bearer token for another call's qos.
    CHECK(ApiClient(api().port, token).get("/api/v1/calls/" + enc(callMedia()) + "/qos?" + range()).status == 401);
    std::string tampered = token;  // a signature byte changed (not the last character's padding bits)
    char& c = tampered[tampered.size() - 5];
    c = c == 'A' ? 'B' : 'A';
    CHECK(anonymous.get("/api/v1/shared/" + tampered + "/qos").status == 404);
    CHECK(admin().del("/api/v1/shares/" + made.json()->getValue<std::string>("id")).status == 200);
    CHECK(anonymous.get("/api/v1/shared/" + token + "/qos").status == 410);
  }
}
