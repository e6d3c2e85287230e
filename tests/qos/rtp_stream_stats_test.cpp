// RFC 3550 receiver statistics on constructed RTP streams: A.1 sequence tracking (probation,
// reorder, wrap-around, sender restart), A.3 interval loss, A.8 jitter.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "qos/emodel.h"
#include "qos/rtp_stream_stats.h"

using namespace sipvault::qos;

namespace {

std::string rtpPacket(uint16_t seq, uint32_t ts, uint32_t ssrc, uint8_t pt = 8, size_t payload = 160) {
  std::string p(12 + payload, '\xd5');
  p[0] = char(0x80);
  p[1] = char(pt);
  p[2] = char(seq >> 8);
  p[3] = char(seq);
  for (int i = 0; i < 4; ++i) {
    p[4 + i] = char(ts >> (24 - 8 * i));
    p[8 + i] = char(ssrc >> (24 - 8 * i));
  }
  return p;
}

constexpr uint32_t kSsrc = 0x12345678;
constexpr uint64_t kT0 = 1'700'000'000'000'000;  // µs

// A 20 ms G.711 stream: packet i has seq first+i, timestamp 160 i, arrives at 20 i ms (+ extra).
struct StreamFeeder {
  RtpStreamStats& stats;
  uint16_t first_seq = 1000;
  bool feed(uint32_t i, int64_t extra_us = 0, uint32_t ssrc = kSsrc) {
    return stats.add(rtpPacket(uint16_t(first_seq + i), 5000 + 160 * i, ssrc),
                     kT0 + uint64_t(i) * 20'000 + uint64_t(extra_us));
  }
};

}  // namespace

TEST_CASE("a clean stream with constant transit has no loss and zero jitter", "[qos][rtp]") {
  RtpStreamStats stats;
  StreamFeeder f{stats};
  for (uint32_t i = 0; i < 250; ++i) REQUIRE(f.feed(i));
  CHECK(stats.packets() == 250);
  CHECK(stats.expected() == 250);
  CHECK(stats.lost() == 0);
  CHECK(stats.seqGaps() == 0);
  CHECK(stats.highestSeq() == 1000 + 249);
  const QosReport r = stats.interval("PCMA");
  CHECK(r.source == ReportSource::AgentRtp);
  CHECK(r.direction == Direction::Received);
  CHECK(r.ssrc == kSsrc);
  CHECK(r.codec == "PCMA");
  CHECK(r.packets == 250u);
  CHECK(r.lost == 0);
  CHECK(r.highest_seq == 1249u);
  REQUIRE(r.fraction_lost);
  CHECK(*r.fraction_lost == 0.0);
  REQUIRE(r.jitter_ms);
  CHECK(*r.jitter_ms == 0.0);
  REQUIRE(r.mos);
  CHECK(*r.mos == Approx(4.41).margin(0.005));
}

TEST_CASE("jitter follows A.8: alternating 10/30 ms arrivals converge to 10 ms", "[qos][rtp]") {
  RtpStreamStats stats;
  StreamFeeder f{stats};
  // Odd packets arrive 10 ms late: every |D| is 80 timestamp units (10 ms at 8 kHz).
  for (uint32_t i = 0; i < 400; ++i) f.feed(i, (i % 2) ? 10'000 : 0);
  CHECK(stats.jitterMs() == Approx(10.0).margin(1e-6));
  // At 16 kHz the same 10 ms is 160 units, still 10 ms.
  RtpStreamStats wide(16000);
  for (uint32_t i = 0; i < 400; ++i)
    wide.add(rtpPacket(uint16_t(i), 320 * i, kSsrc), kT0 + i * 20'000ull + ((i % 2) ? 10'000 : 0));
  CHECK(wide.jitterMs() == Approx(10.0).margin(1e-6));
  // One 16th of the first difference after two packets.
  RtpStreamStats two;
  StreamFeeder g{two};
  g.feed(0);
  CHECK_FALSE(two.interval("").jitter_ms);
  g.feed(1, 16'000);  // D = 128 units -> J = 8 units = 1 ms
  CHECK(two.jitterMs() == Approx(1.0));
}

TEST_CASE("reordered and duplicated packets are not loss", "[qos][rtp]") {
  RtpStreamStats stats;
  StreamFeeder f{stats};
  for (uint32_t i : {0u, 1u, 2u, 4u, 3u, 5u, 6u}) f.feed(i);
  CHECK(stats.packets() == 7);
  CHECK(stats.expected() == 7);
  CHECK(stats.lost() == 0);
  CHECK(stats.seqGaps() == 1);  // 2 -> 4
  CHECK(stats.highestSeq() == 1006);
  f.feed(6);  // a duplicate is counted as received (A.1): lost may go below zero
  CHECK(stats.lost() == -1);
  const QosReport r = stats.interval("PCMU");
  CHECK(*r.fraction_lost == 0.0);
  CHECK(*r.lost == -1);
}

TEST_CASE("the sequence number wraps into the extended highest sequence", "[qos][rtp]") {
  RtpStreamStats stats;
  StreamFeeder f{stats, 65530};
  for (uint32_t i = 0; i < 17; ++i) f.feed(i);  // 65530 .. 65535, 0 .. 10
  CHECK(stats.packets() == 17);
  CHECK(stats.highestSeq() == 65536 + 10);
  CHECK(stats.lost() == 0);
  // A late packet from before the wrap does not count a cycle.
  f.feed(5);
  CHECK(stats.highestSeq() == 65536 + 10);
  // Probation that starts at 65535: the run crosses 0 and is counted whole.
  RtpStreamStats edge;
  StreamFeeder e{edge, 65535};
  for (uint32_t i = 0; i < 3; ++i) e.feed(i);
  CHECK(edge.expected() == 3);
  CHECK(edge.lost() == 0);
}

TEST_CASE("a 10 % loss interval, then a clean one: interval loss is not cumulative", "[qos][rtp]") {
  RtpStreamStats stats;
  StreamFeeder f{stats};
  for (uint32_t i = 0; i < 100; ++i) {
    if (i % 10 != 5) f.feed(i);  // 10 lost, none at the ends
  }
  CHECK(stats.seqGaps() == 10);
  QosReport r = stats.interval("PCMA");
  CHECK(r.packets == 90u);
  CHECK(r.lost == 10);
  REQUIRE(r.fraction_lost);
  CHECK(*r.fraction_lost == Approx(0.10));
  CHECK(*r.mos == Approx(estimateMos({.loss = 0.10, .codec = "PCMA"})));
  CHECK(*r.mos < 3.5);
  for (uint32_t i = 100; i < 200; ++i) f.feed(i);
  r = stats.interval("PCMA");
  CHECK(r.packets == 190u);
  CHECK(r.lost == 10);  // cumulative, unchanged
  CHECK(*r.fraction_lost == 0.0);
  CHECK(*r.mos == Approx(4.41).margin(0.005));
  // Nothing since: no interval loss or MOS to speak of.
  r = stats.interval("PCMA");
  CHECK_FALSE(r.fraction_lost);
  CHECK_FALSE(r.mos);
  CHECK(r.packets == 190u);
}

TEST_CASE("what is not RTP is refused and not counted", "[qos][rtp]") {
  RtpStreamStats stats;
  StreamFeeder f{stats};
  f.feed(0);
  f.feed(1);
  CHECK_FALSE(stats.add("", kT0));
  CHECK_FALSE(stats.add(std::string(11, '\x80'), kT0));
  std::string v1 = rtpPacket(2, 320, kSsrc);
  v1[0] = 0x40;
  CHECK_FALSE(stats.add(v1, kT0));
  CHECK_FALSE(stats.add(rtpPacket(2, 320, kSsrc, 200), kT0));  // an RTCP SR on an rtcp-mux port
  std::string csrc = rtpPacket(2, 320, kSsrc, 8, 0);
  csrc[0] = char(0x8f);  // 15 CSRCs announced, none there
  CHECK_FALSE(stats.add(csrc, kT0));
  CHECK(stats.packets() == 2);
  CHECK(stats.lost() == 0);
}

TEST_CASE("a new SSRC restarts the statistics and a sender big jump resynchronises", "[qos][rtp]") {
  RtpStreamStats stats;
  StreamFeeder f{stats};
  for (uint32_t i = 0; i < 10; ++i) f.feed(i);
  CHECK(stats.packets() == 10);
  f.feed(10, 0, 0xabcdef01);
  CHECK(stats.ssrcChanges() == 1);
  CHECK(stats.ssrc() == 0xabcdef01);
  CHECK_FALSE(stats.valid());  // in probation again
  CHECK_FALSE(stats.interval("").lost);
  f.feed(11, 0, 0xabcdef01);
  CHECK(stats.valid());
  CHECK(stats.packets() == 2);

  RtpStreamStats jump;
  StreamFeeder j{jump};
  for (uint32_t i = 0; i < 10; ++i) j.feed(i);
  j.feed(20000);  // one stray far packet: not counted
  CHECK(jump.packets() == 10);
  CHECK(jump.highestSeq() == 1009);
  j.feed(20001);  // followed in sequence: the sender restarted there
  CHECK(jump.packets() == 2);
  CHECK(jump.expected() == 2);
  CHECK(jump.highestSeq() == 21001);
}
