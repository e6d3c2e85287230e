// Unit tests of the MediaTable: which media addresses the SDP of a call names, and when the
// call is forgotten (BYE + linger, idle timeout, eviction when full).
#include <catch2/catch.hpp>
#include <deque>
#include <string>
#include <vector>

#include "agent/media_table.h"
#include "sip/sdp_parser.h"

using namespace sipvault;
using namespace sipvault::agent;

namespace {

constexpr uint64_t kSec = 1'000'000;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

sip::SdpSummary sdp(const std::string& body) {
  static std::deque<std::string> keep;  // the summary views the body (deque: stable)
  keep.push_back(body);
  sip::SdpSummary s;
  sip::parseSdp(keep.back(), s);
  return s;
}

std::string audio(const std::string& addr, int port, const std::string& extra = "") {
  return "v=0\r\no=- 1 1 IN IP4 " + addr + "\r\ns=-\r\nc=IN IP4 " + addr + "\r\nt=0 0\r\nm=audio " +
         std::to_string(port) + " RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n" + extra;
}

struct Forgotten {
  std::vector<std::pair<std::string, ForgetReason>> calls;
  MediaTable::ForgetFn fn() {
    return [this](std::string_view id, ForgetReason why) { calls.emplace_back(std::string(id), why); };
  }
};

}  // namespace

TEST_CASE("An offer and an answer name RTP and RTCP (port + 1) of both sides", "[agent][media]") {
  MediaCounters c;
  MediaTable t(MediaTableOptions{}, c);
  CHECK(t.learn("call-1", sdp(audio("192.0.2.1", 40376)), 1 * kSec) == 2);
  CHECK(t.learn("call-1", sdp(audio("192.0.2.2", 8000)), 2 * kSec) == 2);
  CHECK(t.calls() == 1);
  CHECK(t.endpoints() == 4);
  CHECK(c.calls_learned == 1);
  CHECK(c.endpoints_learned == 4);

  const MediaMatch* rtp = t.find(ip("192.0.2.1"), 40376, 3 * kSec);
  REQUIRE(rtp != nullptr);
  CHECK(rtp->call_id == "call-1");
  CHECK(rtp->role == MediaRole::Rtp);
  CHECK(rtp->codec == "PCMA");
  CHECK(rtp->clock_rate == 8000);
  const MediaMatch* rtcp = t.find(ip("192.0.2.2"), 8001, 3 * kSec);
  REQUIRE(rtcp != nullptr);
  CHECK(rtcp->role == MediaRole::Rtcp);
  CHECK(t.find(ip("192.0.2.2"), 8002, 3 * kSec) == nullptr);
  CHECK(t.find(ip("192.0.2.3"), 8000, 3 * kSec) == nullptr);  // same port, other host
}

TEST_CASE("a=rtcp moves the RTCP port and address - a=rtcp-mux keeps RTCP on the RTP port", "[agent][media]") {
  MediaCounters c;
  MediaTable t(MediaTableOptions{}, c);
  t.learn("a", sdp(audio("192.0.2.1", 5000, "a=rtcp:6000 IN IP4 192.0.2.9\r\n")), kSec);
  CHECK(t.find(ip("192.0.2.9"), 6000, kSec) != nullptr);
  CHECK(t.find(ip("192.0.2.1"), 5001, kSec) == nullptr);
  t.learn("b", sdp(audio("2001:db8::7", 7000, "a=rtcp-mux\r\n")), kSec);
  CHECK(t.find(ip("2001:db8::7"), 7000, kSec) != nullptr);
  CHECK(t.find(ip("2001:db8::7"), 7001, kSec) == nullptr);  // maybe another call's RTP port
}

TEST_CASE("Held, disabled and non-RTP media learn nothing", "[agent][media]") {
  MediaCounters c;
  MediaTable t(MediaTableOptions{}, c);
  CHECK(t.learn("hold", sdp(audio("0.0.0.0", 40000)), kSec) == 0);
  CHECK(t.learn("off", sdp(audio("192.0.2.1", 0)), kSec) == 0);
  CHECK(t.learn("fax", sdp("v=0\r\nc=IN IP4 192.0.2.1\r\nm=image 5000 udptl t38\r\n"), kSec) == 0);
  CHECK(t.learn("junk", sdp("v=0\r\nc=IN IP4 not-an-address\r\nm=audio 5000 RTP/AVP 0\r\n"), kSec) == 0);
  CHECK(t.learn("", sdp(audio("192.0.2.1", 40000)), kSec) == 0);
  CHECK(t.calls() == 0);
  CHECK(c.calls_learned == 0);
}

TEST_CASE("A BYE forgets the call after the linger time, not before", "[agent][media]") {
  MediaCounters c;
  Forgotten f;
  MediaTableOptions o;
  o.bye_linger_us = 5 * kSec;
  MediaTable t(o, c, f.fn());
  t.learn("call-1", sdp(audio("192.0.2.1", 40000)), 10 * kSec);
  t.learn("call-2", sdp(audio("192.0.2.2", 40000)), 10 * kSec);
  t.ending("call-1", 20 * kSec);
  t.ending("no-such-call", 20 * kSec);
  t.expire(24 * kSec);
  CHECK(t.find(ip("192.0.2.1"), 40001, 24 * kSec) != nullptr);  // the last RTCP still counts
  t.expire(25 * kSec);
  CHECK(t.find(ip("192.0.2.1"), 40001, 25 * kSec) == nullptr);
  CHECK(t.find(ip("192.0.2.2"), 40000, 25 * kSec) != nullptr);
  REQUIRE(f.calls.size() == 1);
  CHECK(f.calls[0].first == "call-1");
  CHECK(f.calls[0].second == ForgetReason::Bye);
  CHECK(c.calls_forgotten_bye == 1);
  CHECK(t.calls() == 1);
  CHECK(t.endpoints() == 2);
}

TEST_CASE("Media keeps a call alive - silence past the idle timeout forgets it", "[agent][media]") {
  MediaCounters c;
  Forgotten f;
  MediaTableOptions o;
  o.idle_timeout_us = 60 * kSec;
  MediaTable t(o, c, f.fn());
  t.learn("talking", sdp(audio("192.0.2.1", 40000)), 0);
  t.learn("silent", sdp(audio("192.0.2.2", 40000)), 0);
  for (uint64_t s = 10; s <= 100; s += 10) {
    CHECK(t.find(ip("192.0.2.1"), 40000, s * kSec) != nullptr);
    t.expire(s * kSec);
  }
  CHECK(t.calls() == 1);
  REQUIRE(f.calls.size() == 1);
  CHECK(f.calls[0].first == "silent");
  CHECK(f.calls[0].second == ForgetReason::Timeout);
  CHECK(c.calls_forgotten_timeout == 1);
}

TEST_CASE("A full table evicts the least recently active call, counted", "[agent][media]") {
  MediaCounters c;
  Forgotten f;
  MediaTableOptions o;
  o.max_calls = 3;
  MediaTable t(o, c, f.fn());
  t.learn("c1", sdp(audio("192.0.2.1", 40000)), 1 * kSec);
  t.learn("c2", sdp(audio("192.0.2.2", 40000)), 2 * kSec);
  t.learn("c3", sdp(audio("192.0.2.3", 40000)), 3 * kSec);
  CHECK(t.find(ip("192.0.2.1"), 40000, 4 * kSec) != nullptr);  // c1 active again: c2 is oldest
  t.learn("c4", sdp(audio("192.0.2.4", 40000)), 5 * kSec);
  CHECK(t.calls() == 3);
  CHECK(c.calls_evicted == 1);
  REQUIRE(f.calls.size() == 1);
  CHECK(f.calls[0].first == "c2");
  CHECK(f.calls[0].second == ForgetReason::Evicted);
  CHECK(t.find(ip("192.0.2.2"), 40000, 5 * kSec) == nullptr);
  CHECK(t.find(ip("192.0.2.4"), 40001, 5 * kSec) != nullptr);
  CHECK(t.endpoints() == 6);
}

TEST_CASE("A port reused by a new call belongs to it - the old call's end leaves it alone", "[agent][media]") {
  MediaCounters c;
  MediaTable t(MediaTableOptions{}, c);
  t.learn("old", sdp(audio("192.0.2.1", 40000)), kSec);
  t.learn("new", sdp(audio("192.0.2.1", 40000)), 2 * kSec);
  CHECK(t.find(ip("192.0.2.1"), 40000, 2 * kSec)->call_id == "new");
  t.ending("old", 3 * kSec);
  t.expire(100 * kSec);  // old: BYE + linger; new: idle for less than 300 s
  CHECK(t.calls() == 1);
  const MediaMatch* m = t.find(ip("192.0.2.1"), 40000, 100 * kSec);
  REQUIRE(m != nullptr);
  CHECK(m->call_id == "new");
}

TEST_CASE("Re-INVITEs that keep moving media stay within the per-call bound", "[agent][media]") {
  MediaCounters c;
  MediaTable t(MediaTableOptions{}, c);
  for (int i = 0; i < 100; ++i) t.learn("mover", sdp(audio("192.0.2.1", 20000 + 2 * i)), uint64_t(i) * kSec);
  CHECK(t.endpoints() == kMaxEndpointsPerCall);
  CHECK(c.endpoints_dropped == 200 - kMaxEndpointsPerCall);
  CHECK(t.find(ip("192.0.2.1"), 20000 + 2 * 99, 101 * kSec) != nullptr);  // the newest is kept
  CHECK(t.find(ip("192.0.2.1"), 20000, 101 * kSec) == nullptr);
}

TEST_CASE("A Call-ID longer than the bound is cut, consistently", "[agent][media]") {
  MediaCounters c;
  MediaTable t(MediaTableOptions{}, c);
  const std::string long_id(1000, 'x');
  t.learn(long_id, sdp(audio("192.0.2.1", 40000)), kSec);
  const MediaMatch* m = t.find(ip("192.0.2.1"), 40000, kSec);
  REQUIRE(m != nullptr);
  CHECK(m->call_id.size() == kMaxCallIdBytes);
  t.ending(long_id, kSec);
  t.expire(10 * kSec);
  CHECK(t.calls() == 0);
}

TEST_CASE("An SDP after a CANCEL (the 200 OK crossed it) keeps the call", "[agent][media]") {
  MediaCounters c;
  MediaTableOptions o;
  o.bye_linger_us = 5 * kSec;
  MediaTable t(o, c);
  t.learn("raced", sdp(audio("192.0.2.1", 40000)), kSec);
  t.ending("raced", 2 * kSec);
  t.learn("raced", sdp(audio("192.0.2.2", 30000)), 3 * kSec);
  t.expire(20 * kSec);
  CHECK(t.calls() == 1);
  t.ending("raced", 30 * kSec);  // its BYE
  t.expire(35 * kSec);
  CHECK(t.calls() == 0);
  CHECK(c.calls_forgotten_bye == 1);
}
