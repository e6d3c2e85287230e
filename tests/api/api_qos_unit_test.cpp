// Issue 15, the api's pure QoS parts: media addresses from SDP (c=/m=, a=rtcp, rtcp-mux), the
// interval loss between consecutive reports, empty reasons, the answer's grouping, mos_below
// parsing and its SQL.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "api/qos_media.h"
#include "api/qos_report_view.h"
#include "api/search_sql.h"
#include "proto/packet.h"

using namespace sipvault;
using namespace sipvault::api;

namespace {

std::string raw(const char* text) { return std::string(IpAddress::parse(text)->raw()); }

std::vector<std::pair<std::string, uint16_t>> addresses(std::string_view sdp) {
  std::vector<MediaAddress> out;
  appendMediaAddresses(sdp, out);
  std::vector<std::pair<std::string, uint16_t>> text;
  for (const MediaAddress& a : out) text.emplace_back(hostText(a.ip, 0), a.port);
  return text;
}

QosRecord report(uint64_t t, std::optional<int64_t> lost, std::optional<uint32_t> seq,
                 std::optional<uint64_t> packets = std::nullopt) {
  QosRecord r;
  r.id = t;
  r.capture_us = t;
  r.lost = lost;
  r.highest_seq = seq;
  r.packets = packets;
  return r;
}

}  // namespace

TEST_CASE("SDP media addresses: RTP port, RTCP at port+1, a=rtcp, rtcp-mux, media-level c=", "[api][qos]") {
  const std::string sdp =
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
      "m=audio 40000 RTP/AVP 8 0\r\n"                                  // session c=, RTCP 40001
      "m=audio 40010 RTP/AVP 0\r\na=rtcp:40051\r\n"                    // a=rtcp port only
      "m=audio 40020 RTP/AVP 0\r\nc=IN IP4 198.51.100.7\r\na=rtcp:40099 IN IP4 198.51.100.8\r\n"
      "m=audio 40030 RTP/AVP 0\r\na=rtcp-mux\r\n"                      // RTCP on the RTP port
      "m=video 0 RTP/AVP 96\r\n"                                       // disabled
      "m=audio 40040 RTP/AVP 0\nc=IN IP6 2001:db8::5\n";               // LF only, IPv6
  const auto got = addresses(sdp);
  const std::vector<std::pair<std::string, uint16_t>> want{
      {"192.0.2.1:0", 40000},  {"192.0.2.1:0", 40001},       {"192.0.2.1:0", 40010},
      {"192.0.2.1:0", 40051},  {"198.51.100.7:0", 40020},    {"198.51.100.8:0", 40099},
      {"192.0.2.1:0", 40030},  {"[2001:db8::5]:0", 40040},   {"[2001:db8::5]:0", 40041}};
  CHECK(got == want);

  std::vector<MediaAddress> out;
  appendMediaAddresses(sdp, out);
  CHECK_FALSE(out[0].rtcp);
  CHECK(out[1].rtcp);
  CHECK(out[0].ip == raw("192.0.2.1"));
}

TEST_CASE("SDP media addresses: hold, FQDNs, garbage and limits yield nothing wrong", "[api][qos]") {
  CHECK(addresses("c=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\n").empty());
  CHECK(addresses("c=IN IP4 media.example.com\r\nm=audio 4000 RTP/AVP 0\r\n").empty());
  CHECK(addresses("m=audio 99999 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n").empty());
  CHECK(addresses("m=audio\r\nc=IN IP4 192.0.2.1\r\na=rtcp:\r\n").empty());
  CHECK(addresses(std::string(5000, '\n') + std::string("\0\xff=x\nm=", 7)).empty());
  // a=rtcp with a bad port falls back to port + 1.
  CHECK(addresses("c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:abc\r\n").back().second == 4001);
  std::string many = "c=IN IP4 192.0.2.1\r\n";
  for (int i = 0; i < 100; ++i) many += "m=audio " + std::to_string(10000 + 2 * i) + " RTP/AVP 0\r\n";
  std::vector<MediaAddress> out;
  appendMediaAddresses(many, out);
  CHECK(out.size() == kMaxMediaAddresses);
}

TEST_CASE("The SDP of a SIP message: application/sdp body or its multipart part", "[api][qos]") {
  const std::string sdp = "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n";
  CHECK(sdpOfMessage("INVITE sip:b@x SIP/2.0\r\nContent-Type: application/sdp\r\n\r\n" + sdp) == sdp);
  CHECK(sdpOfMessage("INVITE sip:b@x SIP/2.0\r\nc: application/SDP\r\n\r\n" + sdp) == sdp);
  CHECK(sdpOfMessage("INVITE sip:b@x SIP/2.0\r\nContent-Type: text/plain\r\n\r\n" + sdp).empty());
  const std::string multi = "INVITE sip:b@x SIP/2.0\r\nContent-Type: multipart/mixed;boundary=b1\r\n\r\n"
                            "--b1\r\nContent-Type: application/sdp\r\n\r\n" + sdp + "--b1--\r\n";
  CHECK(sdpOfMessage(multi).find("m=audio 4000") != std::string::npos);
}

TEST_CASE("Interval loss comes from consecutive reports' counters, never cumulative ratios", "[api][qos]") {
  // First report: lost 10 of 100 expected (90 received) -> 10 %; then lost 30 over seq +100 -> 20 %.
  const QosRecord a = report(1, 10, 1100, 90);
  const QosRecord b = report(2, 30, 1200);
  REQUIRE(intervalLoss(nullptr, a));
  CHECK(*intervalLoss(nullptr, a) == Approx(0.10));
  REQUIRE(intervalLoss(&a, b));
  CHECK(*intervalLoss(&a, b) == Approx(0.20));
  // A clean interval after a lossy start is 0 %, not the cumulative 30 / 300.
  const QosRecord c = report(3, 30, 1300);
  CHECK(*intervalLoss(&b, c) == Approx(0.0));
  // Duplicates (lost going down) clamp to 0; more lost than expected clamps to 1.
  CHECK(*intervalLoss(&b, report(4, 20, 1300)) == Approx(0.0));
  CHECK(*intervalLoss(&b, report(4, 500, 1210)) == Approx(1.0));
  // Unknown counters, a sequence going backwards or standing still: unknown.
  CHECK_FALSE(intervalLoss(&b, report(4, std::nullopt, 1300)));
  CHECK_FALSE(intervalLoss(&b, report(4, 40, std::nullopt)));
  CHECK_FALSE(intervalLoss(&b, report(4, 40, 1200)));
  CHECK_FALSE(intervalLoss(&b, report(4, 40, 5)));
  CHECK_FALSE(intervalLoss(nullptr, report(1, 10, 1100)));  // first, no packet count
  QosRecord sent = report(1, 10, 1100, 90);
  sent.direction = 1;
  CHECK_FALSE(intervalLoss(nullptr, sent));
}

TEST_CASE("The QoS answer groups streams per leg, summarizes, and says why it is empty", "[api][qos]") {
  QosCallView v;
  v.call_id = "qos-call<b>";
  FlowLeg leg{"qos-call<b>", "self", CallRef::of("qos-call<b>"), "", ""};
  v.legs.push_back({leg, {}});
  CHECK(emptyReason(v) == QosEmptyReason::NoMediaLearned);
  v.legs[0].media.push_back({raw("192.0.2.1"), 4000, false});
  CHECK(emptyReason(v) == QosEmptyReason::NoReportsForMedia);
  v.uncorrelated_count = 3;
  CHECK(emptyReason(v) == QosEmptyReason::UncorrelatedReports);
  {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(qosCallJson(v), out);
    auto o = Poco::JSON::Parser().parse(out.str()).extract<Poco::JSON::Object::Ptr>();
    CHECK(o->getObject("reason")->getValue<std::string>("code") == "uncorrelated_reports");
    CHECK(o->getObject("reason")->getValue<std::string>("message").rfind("3 reports", 0) == 0);
  }

  for (uint64_t t : {1, 2}) {
    QosRecord r = report(t, t == 1 ? 10 : 30, t == 1 ? 1100 : 1200, 90);
    r.src_ip = raw("192.0.2.1");
    r.src_port = 4001;
    r.ssrc = 77;
    r.mos = t == 1 ? 4.1 : 3.2;
    r.jitter_ms = 5.0 * static_cast<double>(t);
    r.codec = "PCMA<script>";
    v.reports.push_back(r);
    v.report_leg.push_back(0);
  }
  QosRecord other = report(3, std::nullopt, std::nullopt);
  other.ssrc = 78;
  other.fraction_lost = 0.5;
  v.reports.push_back(other);
  v.report_leg.push_back(0);
  CHECK(emptyReason(v) == QosEmptyReason::None);
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(qosCallJson(v), out);
  auto o = Poco::JSON::Parser().parse(out.str()).extract<Poco::JSON::Object::Ptr>();
  CHECK(o->get("reason").isEmpty());
  auto streams = o->getArray("legs")->getObject(0)->getArray("streams");
  REQUIRE(streams->size() == 2);
  auto s = streams->getObject(0);
  CHECK(s->getValue<std::string>("reporter") == "192.0.2.1:4001");
  CHECK(s->getValue<std::string>("codec") == "PCMA<script>");  // escaped by the UI, kept as data here
  auto points = s->getArray("points");
  REQUIRE(points->size() == 2);
  CHECK(points->getObject(0)->getValue<double>("interval_loss") == Approx(0.10));
  CHECK(points->getObject(1)->getValue<double>("interval_loss") == Approx(0.20));
  auto summary = o->getObject("summary");
  CHECK(summary->getValue<double>("worst_mos") == Approx(3.2));
  CHECK(summary->getValue<double>("worst_interval_loss") == Approx(0.5));  // the other stream's fraction_lost
  CHECK(summary->getValue<double>("max_jitter_ms") == Approx(10.0));
  CHECK(summary->getValue<uint64_t>("report_count") == 3);
}

TEST_CASE("mos_below: 1..5 with at most 2 decimals, bound as a parameter", "[api][qos]") {
  CHECK(*parseMosBelow("3") == Approx(3.0));
  CHECK(*parseMosBelow("3.5") == Approx(3.5));
  CHECK(*parseMosBelow("2.75") == Approx(2.75));
  CHECK(*parseMosBelow("5") == Approx(5.0));
  for (const char* bad : {"", "0", "0.5", "5.01", "6", "-1", "3.", ".5", "3.555", "3,5", "1e1", "nan", "3 ", "4'"})
    CHECK_FALSE(parseMosBelow(bad));
  const SqlQuery q = mosBelowCondition(10, 20, 3.5, SqlQuery());
  CHECK(q.sql.find("mos < CAST(? AS DECIMAL(4,2))") != std::string::npos);
  CHECK(q.sql.find("3.5") == std::string::npos);
  REQUIRE(q.params.size() == 3);
  CHECK(std::get<std::string>(q.params[2]) == "3.50");
}
