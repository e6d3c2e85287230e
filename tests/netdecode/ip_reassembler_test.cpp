// IpReassembler edge cases, driven by the real fragments of the derived longreq capture:
// frames 1-3 are datagram 0x1234 cut at MTU 1500 (in order), frames 4-10 datagram 0x1235 cut
// at MTU 576 and sent in reverse.
#include "netdecode/ip_reassembler.h"

#include <catch2/catch.hpp>

#include "netdecode/link_layer.h"
#include "pcap_frames.h"

namespace sipvault::netdecode {
namespace {

struct Fragments {
  test::Capture capture;
  std::vector<IpPacket> packets;  // views into capture.frames
};

Fragments longreqFragments() {
  Fragments f;
  f.capture = test::readCorpusCapture("pcap/derived/ipv4_frag_udp_rfc4475_longreq.pcap");
  for (const test::Frame& frame : f.capture.frames) {
    LinkFrame lf;
    REQUIRE(decodeLinkLayer(LinkType::Ethernet, frame.bytes, lf) == DecodeStatus::Ok);
    IpPacket ip;
    REQUIRE(parseIp(lf.payload, ip) == DecodeStatus::Ok);
    REQUIRE(ip.fragment);
    f.packets.push_back(ip);
  }
  REQUIRE(f.packets.size() == 10);
  return f;
}

std::string text(Bytes b) { return std::string(asText(b)); }

// The UDP datagram (8-byte header + longreq) the fragments carry.
std::string expectedDatagram() {
  const std::string longreq = test::readCorpusFile("rfc4475/valid/longreq.dat");
  return longreq;  // compared against payload.substr(8) below
}

IpPacket slice(const IpPacket& like, const std::string& datagram, size_t begin, size_t end, bool more) {
  IpPacket p = like;
  p.fragment = true;
  p.fragment_offset = uint32_t(begin);
  p.more_fragments = more;
  p.payload = asBytes(std::string_view(datagram).substr(begin, end - begin));
  return p;
}

constexpr CaptureTime kT0{1000, 0};

}  // namespace

TEST_CASE("IPv4 fragments in order and reversed complete their datagrams", "[netdecode][fragments]") {
  const Fragments f = longreqFragments();
  DecodeCounters counters;
  IpReassembler r({}, counters);
  IpPacket out;
  CHECK(r.add(f.packets[0], kT0, out) == DecodeStatus::Pending);
  CHECK(r.add(f.packets[1], kT0, out) == DecodeStatus::Pending);
  REQUIRE(r.add(f.packets[2], kT0, out) == DecodeStatus::Ok);
  CHECK(!out.fragment);
  CHECK(out.protocol == kIpProtoUdp);
  CHECK(text(out.payload).substr(8) == expectedDatagram());
  for (size_t i = 3; i < 9; ++i) CHECK(r.add(f.packets[i], kT0, out) == DecodeStatus::Pending);
  REQUIRE(r.add(f.packets[9], kT0, out) == DecodeStatus::Ok);
  CHECK(text(out.payload).substr(8) == expectedDatagram());
  CHECK(r.datagramsInFlight() == 0);
  CHECK(r.bytesInFlight() == 0);
  CHECK(counters.frag_reassembled == 2);
}

TEST_CASE("A duplicate IP fragment is ignored and counted", "[netdecode][fragments]") {
  const Fragments f = longreqFragments();
  DecodeCounters counters;
  IpReassembler r({}, counters);
  IpPacket out;
  CHECK(r.add(f.packets[0], kT0, out) == DecodeStatus::Pending);
  CHECK(r.add(f.packets[0], kT0, out) == DecodeStatus::Pending);
  CHECK(r.add(f.packets[1], kT0, out) == DecodeStatus::Pending);
  CHECK(r.add(f.packets[1], kT0, out) == DecodeStatus::Pending);
  REQUIRE(r.add(f.packets[2], kT0, out) == DecodeStatus::Ok);
  CHECK(text(out.payload).substr(8) == expectedDatagram());
  CHECK(counters.frag_duplicate == 2);
  // The datagram is gone: a late duplicate starts a new, incomplete one.
  CHECK(r.add(f.packets[2], kT0, out) == DecodeStatus::Pending);
  CHECK(r.datagramsInFlight() == 1);
}

TEST_CASE("Overlapping IP fragments that agree are merged", "[netdecode][fragments]") {
  const Fragments f = longreqFragments();
  DecodeCounters counters;
  IpReassembler r({}, counters);
  IpPacket whole;
  for (size_t i = 0; i < 2; ++i) (void)r.add(f.packets[i], kT0, whole);
  REQUIRE(r.add(f.packets[2], kT0, whole) == DecodeStatus::Ok);
  const std::string datagram = text(whole.payload);

  IpPacket out;
  IpPacket like = f.packets[0];
  like.fragment_id = 0x7777;
  CHECK(r.add(slice(like, datagram, 0, 1600, true), kT0, out) == DecodeStatus::Pending);
  CHECK(r.add(slice(like, datagram, 800, 2400, true), kT0, out) == DecodeStatus::Pending);
  REQUIRE(r.add(slice(like, datagram, 2000, datagram.size(), false), kT0, out) == DecodeStatus::Ok);
  CHECK(text(out.payload) == datagram);
  CHECK(counters.frag_overlap_conflict == 0);
}

TEST_CASE("Overlapping IP fragments that disagree drop the datagram", "[netdecode][fragments]") {
  const Fragments f = longreqFragments();
  DecodeCounters counters;
  IpReassembler r({}, counters);
  IpPacket out;
  CHECK(r.add(f.packets[0], kT0, out) == DecodeStatus::Pending);
  // The same fragment again with one byte changed (an evasion attempt).
  std::string changed(asText(f.packets[0].payload));
  changed[100] ^= 0x20;
  IpPacket evil = f.packets[0];
  evil.payload = asBytes(changed);
  CHECK(r.add(evil, kT0, out) == DecodeStatus::Dropped);
  CHECK(counters.frag_overlap_conflict == 1);
  CHECK(r.datagramsInFlight() == 0);
  // The remaining fragments cannot complete it any more.
  CHECK(r.add(f.packets[1], kT0, out) == DecodeStatus::Pending);
  CHECK(r.add(f.packets[2], kT0, out) == DecodeStatus::Pending);
  CHECK(counters.frag_reassembled == 0);
}

TEST_CASE("Incomplete IP datagrams time out on capture time", "[netdecode][fragments]") {
  const Fragments f = longreqFragments();
  IpReassemblerOptions options;
  options.timeout_ms = 30000;
  SECTION("within the timeout the datagram completes") {
    DecodeCounters counters;
    IpReassembler r(options, counters);
    IpPacket out;
    (void)r.add(f.packets[0], kT0, out);
    (void)r.add(f.packets[1], CaptureTime{1029, 0}, out);
    CHECK(r.add(f.packets[2], CaptureTime{1029, 999999}, out) == DecodeStatus::Ok);
    CHECK(counters.frag_timeout == 0);
  }
  SECTION("past the timeout the first fragment is dropped") {
    DecodeCounters counters;
    IpReassembler r(options, counters);
    IpPacket out;
    (void)r.add(f.packets[0], kT0, out);
    (void)r.add(f.packets[1], CaptureTime{1030, 1}, out);
    CHECK(counters.frag_timeout == 1);
    CHECK(r.add(f.packets[2], CaptureTime{1030, 2}, out) == DecodeStatus::Pending);
    r.expire(CaptureTime{1100, 0});
    CHECK(r.datagramsInFlight() == 0);
    CHECK(counters.frag_timeout == 2);
  }
  SECTION("a clock jumping backwards expires held datagrams too") {
    DecodeCounters counters;
    IpReassembler r(options, counters);
    IpPacket out;
    (void)r.add(f.packets[0], CaptureTime{2000000000, 0}, out);
    r.expire(CaptureTime{1000, 0});
    CHECK(counters.frag_timeout == 1);
  }
}

TEST_CASE("IP reassembly stays within max_datagrams and max_bytes", "[netdecode][fragments]") {
  const Fragments f = longreqFragments();
  SECTION("max_datagrams evicts the oldest datagram") {
    IpReassemblerOptions options;
    options.max_datagrams = 1;
    DecodeCounters counters;
    IpReassembler r(options, counters);
    IpPacket out;
    CHECK(r.add(f.packets[0], kT0, out) == DecodeStatus::Pending);                   // 0x1234
    CHECK(r.add(f.packets[3], CaptureTime{1001, 0}, out) == DecodeStatus::Pending);  // 0x1235
    CHECK(counters.frag_evicted == 1);
    CHECK(r.datagramsInFlight() == 1);
    for (size_t i = 4; i < 9; ++i)
      CHECK(r.add(f.packets[i], CaptureTime{1001, 0}, out) == DecodeStatus::Pending);
    CHECK(r.add(f.packets[9], CaptureTime{1001, 0}, out) == DecodeStatus::Ok);
  }
  SECTION("max_bytes drops a datagram that cannot fit and evicts older ones for one that can") {
    IpReassemblerOptions options;
    options.max_bytes = 3000;  // the datagram is 3523 bytes
    DecodeCounters counters;
    IpReassembler r(options, counters);
    IpPacket out;
    CHECK(r.add(f.packets[0], kT0, out) == DecodeStatus::Pending);  // 1480 bytes held
    CHECK(r.add(f.packets[1], kT0, out) == DecodeStatus::Pending);  // 2960
    CHECK(r.add(f.packets[2], kT0, out) == DecodeStatus::Dropped);  // would be 3523
    CHECK(counters.frag_evicted == 1);
    CHECK(r.bytesInFlight() == 0);
    // Datagram 0x1235's last fragment alone reaches 3523 too: dropped, never over budget.
    CHECK(r.add(f.packets[3], kT0, out) == DecodeStatus::Dropped);
    CHECK(r.bytesInFlight() <= options.max_bytes);
  }
}

TEST_CASE("Impossible IP fragments are rejected", "[netdecode][fragments]") {
  const Fragments f = longreqFragments();
  DecodeCounters counters;
  IpReassembler r({}, counters);
  IpPacket out;
  SECTION("reaching past 65535 bytes") {
    IpPacket p = f.packets[0];
    p.fragment_offset = 65528;
    CHECK(r.add(p, kT0, out) == DecodeStatus::Malformed);
    CHECK(counters.frag_too_large == 1);
  }
  SECTION("a middle fragment whose length is not a multiple of 8") {
    IpPacket p = f.packets[0];
    p.payload = p.payload.first(1001);
    CHECK(r.add(p, kT0, out) == DecodeStatus::Malformed);
    CHECK(counters.frag_malformed == 1);
  }
  SECTION("two last fragments that disagree on the size") {
    CHECK(r.add(f.packets[2], kT0, out) == DecodeStatus::Pending);
    IpPacket p = f.packets[2];
    p.payload = p.payload.first(p.payload.size() - 8);
    CHECK(r.add(p, kT0, out) == DecodeStatus::Malformed);
    CHECK(counters.frag_malformed == 1);
    CHECK(r.datagramsInFlight() == 0);
  }
  SECTION("a last fragment that ends before bytes already held") {
    CHECK(r.add(f.packets[1], kT0, out) == DecodeStatus::Pending);
    IpPacket p = f.packets[0];
    p.more_fragments = false;
    CHECK(r.add(p, kT0, out) == DecodeStatus::Malformed);
  }
}

}  // namespace sipvault::netdecode
