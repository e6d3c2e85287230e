// decodeRtcp / looksLikeRtcp on real RTCP from corpus/pcap (known answers read with tshark:
// rtcp.ssrc.fraction, rtcp.ssrc.cum_nr, rtcp.ssrc.ext_high, rtcp.ssrc.jitter, rtcp.sender.packetcount),
// on constructed SR/RR/XR packets (RTT from LSR/DLSR, XR VoIP metrics) and on truncated and
// garbage input.
#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "pcap_payload_reader.h"
#include "qos/emodel.h"
#include "qos/rtcp_decoder.h"
#include "rtcp_test_support.h"

using namespace sipvault::qos;
using namespace sipvault::qos::test;

namespace {

const std::string kRtcpPcap = std::string(SIPVAULT_CORPUS_DIR) + "/pcap/heplify_rtp_rtcp_sip_ipv4_udp.pcap";
constexpr uint32_t kA = 0xd2bd4e3e, kB = 0x58f33dea;

// The RTCP datagrams of the capture: the media's RTCP ports 8001 and 4801 (and their peers).
std::vector<sipvault::test::CapturedPayload> rtcpPayloads() {
  std::string error;
  std::vector<sipvault::test::CapturedPayload> out;
  for (uint16_t port : {8001, 4801}) {
    for (auto& p : sipvault::test::readUdpPayloads(kRtcpPcap, port, error)) out.push_back(std::move(p));
  }
  INFO(error);
  REQUIRE(error.empty());
  return out;
}

const sipvault::test::CapturedPayload& frame(const std::vector<sipvault::test::CapturedPayload>& all, uint32_t n) {
  for (const auto& p : all) {
    if (p.frame == n) return p;
  }
  FAIL("frame " << n << " not found");
  return all.front();
}

}  // namespace

TEST_CASE("every RTCP datagram of a real call decodes", "[qos][rtcp][corpus]") {
  const auto all = rtcpPayloads();
  // tshark dissects 26 of them as RTCP; frames 531 and 2646 are the same SR+RR+SDES compounds on
  // a port pair no SDP announced, so tshark shows them as data.
  REQUIRE(all.size() == 28);
  size_t reports = 0;
  for (const auto& p : all) {
    INFO("frame " << p.frame);
    CHECK(looksLikeRtcp(p.payload));
    std::vector<QosReport> out;
    CHECK(decodeRtcp(p.payload, 0, out) == QosDecodeStatus::Ok);
    CHECK(out.size() >= 2);
    for (const auto& r : out) {
      CHECK(r.source == ReportSource::Rtcp);
      CHECK((r.report_type == 200 || r.report_type == 201));
      CHECK_FALSE(r.rtt_ms);  // capture_us 0: no RTT
    }
    reports += out.size();
  }
  CHECK(reports > 60);
}

namespace {

struct TsharkBlock {
  uint32_t ssrc;
  uint32_t fraction;  // rtcp.ssrc.fraction (1/256)
  int32_t cum_nr;     // rtcp.ssrc.cum_nr
  uint32_t ext_high;  // rtcp.ssrc.ext_high
  uint32_t jitter;    // rtcp.ssrc.jitter (timestamp units)
};
struct TsharkFrame {
  uint32_t frame;
  uint32_t packet_count;  // rtcp.sender.packetcount of the SR
  std::vector<TsharkBlock> blocks;
};

// Every frame tshark dissects as RTCP, as printed by
//   tshark -r heplify_rtp_rtcp_sip_ipv4_udp.pcap -Y rtcp -T fields -e frame.number
//     -e rtcp.sender.packetcount -e rtcp.ssrc.identifier -e rtcp.ssrc.fraction -e rtcp.ssrc.cum_nr
//     -e rtcp.ssrc.ext_high -e rtcp.ssrc.jitter
// (each frame is one SR, possibly followed by an RR, then SDES).
const std::vector<TsharkFrame> kTshark = {
    {504, 2, {{0xd2bd4e3e, 0, 0, 131074, 0}, {0x00000000, 0, 0, 0, 0}}},
    {505, 2, {{0xd2bd4e3e, 0, 0, 131074, 0}, {0x00000000, 0, 0, 0, 0}}},
    {521, 1, {{0xd2bd4e3e, 0, 0, 3, 0}}},
    {523, 1, {{0xd2bd4e3e, 0, 0, 3, 0}}},
    {529, 4, {{0xd2bd4e3e, 0, 0, 262148, 0}, {0x58f33dea, 0, 0, 11332, 0}}},
    {879, 85, {{0xd2bd4e3e, 0, 0, 72, 0}}},
    {881, 85, {{0xd2bd4e3e, 0, 0, 72, 0}}},
    {1181, 105, {{0xd2bd4e3e, 0, 0, 6881385, 0}, {0x58f33dea, 0, 0, 11480, 1888}}},
    {1183, 105, {{0xd2bd4e3e, 0, 0, 6881385, 0}, {0x58f33dea, 0, 0, 11480, 1888}}},
    {1565, 278, {{0xd2bd4e3e, 0, 0, 158, 16}}},
    {1567, 278, {{0xd2bd4e3e, 0, 0, 158, 16}}},
    {1966, 158, {{0xd2bd4e3e, 0, 0, 10354846, 0}, {0x58f33dea, 0, 0, 11732, 1890}}},
    {1967, 158, {{0xd2bd4e3e, 0, 0, 10354846, 0}, {0x58f33dea, 0, 0, 11732, 1890}}},
    {2610, 586, {{0xd2bd4e3e, 0, 0, 261, 0}}},
    {2612, 586, {{0xd2bd4e3e, 0, 0, 261, 0}}},
    {2644, 269, {{0xd2bd4e3e, 0, 0, 17629453, 0}, {0x58f33dea, 0, 0, 11924, 2068}}},
    {2858, 320, {{0xd2bd4e3e, 0, 0, 20971840, 0}, {0x58f33dea, 0, 0, 11931, 2878}}},
    {2860, 320, {{0xd2bd4e3e, 0, 0, 20971840, 0}, {0x58f33dea, 0, 0, 11931, 2878}}},
    {3040, 628, {{0xd2bd4e3e, 0, 0, 340, 4}}},
    {3041, 628, {{0xd2bd4e3e, 0, 0, 340, 4}}},
    {3283, 396, {{0xd2bd4e3e, 0, 0, 25952652, 0}, {0x58f33dea, 0, 0, 11994, 7170}}},
    {3285, 396, {{0xd2bd4e3e, 0, 0, 25952652, 0}, {0x58f33dea, 0, 0, 11994, 7170}}},
    {3770, 749, {{0xd2bd4e3e, 0, 0, 513, 20}}},
    {3772, 749, {{0xd2bd4e3e, 0, 0, 513, 20}}},
    {4030, 548, {{0xd2bd4e3e, 0, 0, 35914276, 0}, {0x58f33dea, 0, 0, 12160, 9244}}},
    {4031, 548, {{0xd2bd4e3e, 0, 0, 35914276, 0}, {0x58f33dea, 0, 0, 12160, 9244}}},
};

}  // namespace

TEST_CASE("every report block of the capture matches tshark's fields", "[qos][rtcp][corpus]") {
  const auto all = rtcpPayloads();
  for (const auto& t : kTshark) {
    INFO("frame " << t.frame);
    std::vector<QosReport> out;
    REQUIRE(decodeRtcp(frame(all, t.frame).payload, 0, out) == QosDecodeStatus::Ok);
    REQUIRE(out.size() == 1 + t.blocks.size());
    CHECK(out[0].direction == Direction::Sent);
    CHECK(out[0].packets == uint64_t(t.packet_count));
    for (size_t i = 0; i < t.blocks.size(); ++i) {
      const QosReport& r = out[1 + i];
      const TsharkBlock& b = t.blocks[i];
      CHECK(r.direction == Direction::Received);
      CHECK(r.ssrc == b.ssrc);
      CHECK(*r.fraction_lost == b.fraction / 256.0);
      CHECK(*r.lost == b.cum_nr);
      CHECK(*r.highest_seq == b.ext_high);
      CHECK(*r.jitter_ms == Approx(b.jitter / 8.0));
    }
  }
}

TEST_CASE("an SR+RR compound matches tshark's fields (frame 1181)", "[qos][rtcp][corpus]") {
  const auto all = rtcpPayloads();
  std::vector<QosReport> out;
  REQUIRE(decodeRtcp(frame(all, 1181).payload, 0, out) == QosDecodeStatus::Ok);
  REQUIRE(out.size() == 3);
  // SR sender info: rtcp.sender.packetcount 105
  CHECK(out[0].direction == Direction::Sent);
  CHECK(out[0].report_type == 200);
  CHECK(out[0].ssrc == kA);
  CHECK(out[0].packets == 105u);
  CHECK_FALSE(out[0].fraction_lost);
  CHECK_FALSE(out[0].mos);
  // SR block: ssrc kA, ext_high 6881385, fraction 0, cum_nr 0, jitter 0
  CHECK(out[1].direction == Direction::Received);
  CHECK(out[1].report_type == 200);
  CHECK(out[1].ssrc == kA);
  CHECK(out[1].reporter_ssrc == kA);
  CHECK(out[1].highest_seq == 6881385u);
  CHECK(out[1].lost == 0);
  CHECK(*out[1].fraction_lost == 0.0);
  CHECK(*out[1].jitter_ms == 0.0);
  // RR block: ssrc kB, ext_high 11480, jitter 1888 (236 ms at 8 kHz)
  CHECK(out[2].report_type == 201);
  CHECK(out[2].ssrc == kB);
  CHECK(out[2].reporter_ssrc == kA);
  CHECK(out[2].highest_seq == 11480u);
  CHECK(*out[2].jitter_ms == Approx(236.0));
  REQUIRE(out[2].mos);
  CHECK(*out[2].mos == Approx(estimateMos({})));  // no loss, no RTT known: G.711's 4.41
}

TEST_CASE("an SR+SDES compound matches tshark's fields (frame 1565)", "[qos][rtcp][corpus]") {
  const auto all = rtcpPayloads();
  std::vector<QosReport> out;
  const auto& p = frame(all, 1565).payload;
  // capture time of frame 1565; the sender's NTP clock is 30 s off the capture's, so the
  // LSR/DLSR arithmetic gives a negative RTT that is not reported.
  REQUIRE(decodeRtcp(p, 1105725499094614ull, out) == QosDecodeStatus::Ok);
  REQUIRE(out.size() == 2);
  CHECK(out[0].ssrc == kB);
  CHECK(out[0].packets == 278u);
  CHECK(out[1].ssrc == kA);
  CHECK(out[1].reporter_ssrc == kB);
  CHECK(out[1].highest_seq == 158u);
  CHECK(*out[1].jitter_ms == Approx(2.0));  // 16 units at 8 kHz
  CHECK_FALSE(out[1].rtt_ms);
  // A 16 kHz clock halves the jitter in ms.
  out.clear();
  REQUIRE(decodeRtcp(p, 0, out, 16000) == QosDecodeStatus::Ok);
  CHECK(*out[1].jitter_ms == Approx(1.0));
}

TEST_CASE("RTT comes from LSR and DLSR when plausible", "[qos][rtcp]") {
  // The SR was sent at t0 (LSR = NTP middle 32 bits of t0); the receiver held it 1 s (DLSR) and
  // its RR is captured at t0 + 1.030 s: RTT 30 ms.
  const uint64_t t0 = 1'700'000'000'250'000ull;
  const uint64_t ntp_secs = t0 / 1'000'000 + 2208988800ull;
  const uint32_t lsr = uint32_t((ntp_secs & 0xffff) << 16 | (((t0 % 1'000'000) << 16) / 1'000'000));
  Block b{.ssrc = kB, .fraction = 26, .lost = 30, .ext_high = 70000, .jitter = 80, .lsr = lsr, .dlsr = 65536};
  std::vector<QosReport> out;
  REQUIRE(decodeRtcp(rr(kA, {b}), t0 + 1'030'000, out) == QosDecodeStatus::Ok);
  REQUIRE(out.size() == 1);
  const QosReport& r = out[0];
  REQUIRE(r.rtt_ms);
  CHECK(*r.rtt_ms == Approx(30.0).margin(0.05));
  CHECK(*r.fraction_lost == Approx(26 / 256.0));
  CHECK(r.lost == 30);  // the cumulative counter, as is
  CHECK(*r.jitter_ms == Approx(10.0));
  // MOS from the interval's fraction and RTT/2 as one-way delay, G.711.
  CHECK(*r.mos == Approx(estimateMos({.loss = 26 / 256.0, .one_way_delay_ms = *r.rtt_ms / 2})));
  CHECK(*r.mos < 3.5);

  // LSR 0: no SR received yet, no RTT.
  out.clear();
  b.lsr = 0;
  REQUIRE(decodeRtcp(rr(kA, {b}), t0 + 1'030'000, out) == QosDecodeStatus::Ok);
  CHECK_FALSE(out[0].rtt_ms);
  // Captured before the SR was sent plus the hold: negative, refused.
  out.clear();
  b.lsr = lsr;
  REQUIRE(decodeRtcp(rr(kA, {b}), t0 + 900'000, out) == QosDecodeStatus::Ok);
  CHECK_FALSE(out[0].rtt_ms);
  // More than 10 s: refused.
  out.clear();
  REQUIRE(decodeRtcp(rr(kA, {b}), t0 + 12'000'000, out) == QosDecodeStatus::Ok);
  CHECK_FALSE(out[0].rtt_ms);
}

TEST_CASE("a negative cumulative loss is sign-extended from 24 bits", "[qos][rtcp]") {
  std::vector<QosReport> out;
  REQUIRE(decodeRtcp(rr(kA, {{.ssrc = kB, .lost = -3}, {.ssrc = kA + 1, .lost = 0x7fffff}}), 0, out) ==
          QosDecodeStatus::Ok);
  REQUIRE(out.size() == 2);
  CHECK(out[0].lost == -3);
  CHECK(out[1].lost == 0x7fffff);
}

TEST_CASE("XR VoIP metrics give loss rate, round trip delay and MOS-CQ", "[qos][rtcp][xr]") {
  std::vector<QosReport> out;
  const std::string pkt = rr(kA, {{.ssrc = kB, .fraction = 0}}) + xr(kA, {.ssrc = kB, .loss_rate = 13, .rtd_ms = 84, .mos_cq = 41});
  REQUIRE(decodeRtcp(pkt, 0, out) == QosDecodeStatus::Ok);
  REQUIRE(out.size() == 2);
  const QosReport& x = out[1];
  CHECK(x.report_type == 207);
  CHECK(x.ssrc == kB);
  CHECK(x.reporter_ssrc == kA);
  CHECK(*x.fraction_lost == Approx(13 / 256.0));
  CHECK(*x.rtt_ms == 84.0);
  CHECK(*x.mos == Approx(4.1));
  CHECK_FALSE(x.lost);
  // MOS-CQ 127 and RTD 0 mean unavailable.
  out.clear();
  REQUIRE(decodeRtcp(xr(kA, {.ssrc = kB}), 0, out) == QosDecodeStatus::Ok);
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].mos);
  CHECK_FALSE(out[0].rtt_ms);
}

TEST_CASE("SDES, BYE and APP alone are well-formed but empty", "[qos][rtcp]") {
  std::vector<QosReport> out;
  CHECK(decodeRtcp(sdes(kA, "alice@192.0.2.1"), 0, out) == QosDecodeStatus::Empty);
  CHECK(decodeRtcp(sdes(kA, "alice@192.0.2.1") + bye(kA), 0, out) == QosDecodeStatus::Empty);
  std::string app;
  header(app, 0, 204);
  putBe32(app, kA);
  app += "NAME";
  finishPacket(app, 0);
  CHECK(decodeRtcp(app + bye(kA), 0, out) == QosDecodeStatus::Empty);
  CHECK(decodeRtcp(rr(kA, {}), 0, out) == QosDecodeStatus::Empty);  // RR with no block
  CHECK(out.empty());
  // A report after them is found.
  CHECK(decodeRtcp(sdes(kA, "x") + app + rr(kA, {{.ssrc = kB}}), 0, out) == QosDecodeStatus::Ok);
  CHECK(out.size() == 1);
}

TEST_CASE("truncated, wrong-version and non-RTCP input is refused with its reason", "[qos][rtcp][robust]") {
  std::vector<QosReport> out;
  CHECK(decodeRtcp("", 0, out) == QosDecodeStatus::Truncated);
  CHECK(decodeRtcp("\x80\xc9", 0, out) == QosDecodeStatus::Truncated);
  std::string v1 = rr(kA, {{.ssrc = kB}});
  v1[0] = 0x41;
  CHECK(decodeRtcp(v1, 0, out) == QosDecodeStatus::BadVersion);
  CHECK_FALSE(looksLikeRtcp(v1));
  std::string rtp(172, '\0');
  rtp[0] = char(0x80);
  rtp[1] = 8;  // RTP PCMA
  CHECK(decodeRtcp(rtp, 0, out) == QosDecodeStatus::NotRtcp);
  CHECK_FALSE(looksLikeRtcp(rtp));
  rtp[1] = char(0x80 | 0);  // marker + PCMU: 128, still not 200..207
  CHECK_FALSE(looksLikeRtcp(rtp));
  // RR announcing two blocks with room for one.
  std::string bad = rr(kA, {{.ssrc = kB}, {.ssrc = kB}});
  bad[0] = char(0x80 | 3);
  CHECK(decodeRtcp(bad, 0, out) == QosDecodeStatus::BadLength);
  // RR whose length field says 4 bytes (no SSRC).
  CHECK(decodeRtcp(std::string("\x81\xc9\x00\x00", 4), 0, out) == QosDecodeStatus::BadLength);
  // Length past the end.
  const std::string good = rr(kA, {{.ssrc = kB}});
  CHECK(decodeRtcp(good.substr(0, good.size() - 4), 0, out) == QosDecodeStatus::Truncated);
  CHECK(out.empty());
  // A good RR, then a broken packet: the RR is reported.
  CHECK(decodeRtcp(good + std::string("\x81\xc9\x00\x40", 4), 0, out) == QosDecodeStatus::Ok);
  CHECK(out.size() == 1);
  // XR whose block length overruns the packet.
  out.clear();
  std::string x = xr(kA, {.ssrc = kB});
  x[8 + 12 + 3] = 9;  // VoIP block length 9 words: past the end
  CHECK(decodeRtcp(x, 0, out) == QosDecodeStatus::BadLength);
  CHECK(out.empty());
}

TEST_CASE("every prefix and random bytes decode without a crash", "[qos][rtcp][robust]") {
  const auto all = rtcpPayloads();
  std::vector<QosReport> out;
  for (const auto& p : all) {
    for (size_t n = 0; n <= p.payload.size(); ++n) {
      out.clear();
      const auto s = decodeRtcp(std::string_view(p.payload).substr(0, n), 0, out);
      if (s != QosDecodeStatus::Ok) CHECK(out.empty());
    }
  }
  std::mt19937 rng(15);
  std::set<QosDecodeStatus> seen;
  for (int i = 0; i < 20000; ++i) {
    const bool rtcp_like = i % 2;  // half of them start like RTCP to get past the first checks
    std::string junk(rtcp_like ? 4 * (2 + rng() % 20) : rng() % 80, '\0');
    for (auto& c : junk) c = char(rng());
    if (rtcp_like) {
      junk[0] = char(0x80 | (junk[0] & 0x03));  // few report blocks
      junk[1] = char(200 + rng() % 8);
      const size_t words = junk.size() / 4 - 1 - (rng() % 3 == 0 ? rng() % 3 : 0);  // sometimes a compound
      junk[2] = char(words >> 8);
      junk[3] = char(words);
    }
    out.clear();
    seen.insert(decodeRtcp(junk, rng(), out));
    for (const auto& r : out) {
      if (r.fraction_lost) CHECK((*r.fraction_lost >= 0 && *r.fraction_lost < 1));
      if (r.rtt_ms) CHECK((*r.rtt_ms >= 0 && *r.rtt_ms <= 10000));
      if (r.mos) CHECK((*r.mos >= 1 && *r.mos <= 5));
    }
  }
  CHECK(seen.count(QosDecodeStatus::Ok));
  CHECK(seen.count(QosDecodeStatus::Truncated));
  CHECK(seen.count(QosDecodeStatus::NotRtcp));
}
