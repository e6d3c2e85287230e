#include "proto/hep_stream_framer.h"

#include <catch2/catch.hpp>
#include <random>

#include "test_pcap_reader.h"

namespace sipvault {
namespace {

using test::corpusPath;
using test::readFile;
using Status = HepStreamFramer::Status;

std::span<const uint8_t> bytesOf(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Drains every complete packet; returns false when the framer reported an error.
bool drain(HepStreamFramer& framer, std::vector<std::string>& out) {
  for (;;) {
    const auto f = framer.next();
    if (f.status == Status::NeedMore) return true;
    if (f.status == Status::Error) return false;
    out.emplace_back(reinterpret_cast<const char*>(f.packet.data()), f.packet.size());
  }
}

// Real packets plus encoded ones of assorted sizes (an empty payload, a 64 KiB one).
std::vector<std::string> samplePackets() {
  std::vector<std::string> packets = {
      readFile(corpusPath("hep/vectors/hep3_spec_example_113.hep")),
      readFile(corpusPath("hep/vectors/heplify-server_hep3_200ok_options.hep"))};
  PacketView p;
  p.src = IpAddress::parse("2001:db8::1").value();
  p.dst = IpAddress::parse("2001:db8::2").value();
  std::string out;
  REQUIRE(encodeHep3(p, out).ok());
  packets.push_back(out);
  return packets;
}

std::string joined(const std::vector<std::string>& packets) {
  std::string s;
  for (const auto& p : packets) s += p;
  return s;
}

}  // namespace

TEST_CASE("HEP framer splits a stream cut at every byte offset into the same packets", "[hep][tcp][framer]") {
  const auto packets = samplePackets();
  const std::string stream = joined(packets);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    HepStreamFramer framer;
    std::vector<std::string> got;
    REQUIRE(framer.feed(bytesOf(stream).first(cut)));
    REQUIRE(drain(framer, got));
    REQUIRE(framer.feed(bytesOf(stream).subspan(cut)));
    REQUIRE(drain(framer, got));
    INFO("cut at " << cut);
    REQUIRE(got == packets);
    CHECK(framer.buffered() == 0);
  }
}

TEST_CASE("HEP framer handles one byte per read and many packets per read", "[hep][tcp][framer]") {
  const auto packets = samplePackets();
  const std::string stream = joined(packets) + joined(packets);

  HepStreamFramer byte_by_byte;
  std::vector<std::string> got;
  for (char c : stream) {
    REQUIRE(byte_by_byte.feed(bytesOf(std::string_view(&c, 1))));
    REQUIRE(drain(byte_by_byte, got));
  }
  CHECK(got.size() == 2 * packets.size());
  CHECK(joined(got) == stream);

  HepStreamFramer all_at_once;
  got.clear();
  REQUIRE(all_at_once.feed(bytesOf(stream)));
  REQUIRE(drain(all_at_once, got));
  CHECK(joined(got) == stream);
}

TEST_CASE("HEP framer keeps a long stream intact with random read sizes and a full-size packet",
          "[hep][tcp][framer]") {
  auto packets = samplePackets();
  PacketView big;
  const std::string payload(65535 - 6 - 7 - 8 - 8 - 10 - 10 - 7 - 10 - 6, 'z');
  big.payload = payload;
  std::string big_bytes;
  REQUIRE(encodeHep3(big, big_bytes).ok());
  REQUIRE(big_bytes.size() == 65535);
  packets.push_back(big_bytes);

  std::mt19937 rng(7);
  std::vector<std::string> expected;
  for (int i = 0; i < 600; ++i) expected.push_back(packets[rng() % packets.size()]);
  const std::string stream = joined(expected);

  HepStreamFramer framer;
  std::vector<std::string> got;
  size_t pos = 0;
  while (pos < stream.size()) {
    const size_t n = std::min<size_t>(stream.size() - pos, 1 + rng() % 70000);
    REQUIRE(framer.feed(bytesOf(stream).subspan(pos, n)));
    REQUIRE(drain(framer, got));
    pos += n;
  }
  CHECK(got == expected);
}

TEST_CASE("HEP framer packet views stay valid across next() until the next feed", "[hep][tcp][framer]") {
  const auto packets = samplePackets();
  HepStreamFramer framer;
  REQUIRE(framer.feed(bytesOf(joined(packets))));
  std::vector<std::span<const uint8_t>> views;
  for (auto f = framer.next(); f.status == Status::Packet; f = framer.next()) views.push_back(f.packet);
  REQUIRE(views.size() == packets.size());
  for (size_t i = 0; i < views.size(); ++i) {
    CHECK(std::string_view(reinterpret_cast<const char*>(views[i].data()), views[i].size()) == packets[i]);
  }
}

TEST_CASE("HEP framer rejects streams that are not HEP3, and stays failed", "[hep][tcp][framer]") {
  const auto fails_with = [](std::string_view stream) {
    HepStreamFramer framer;
    REQUIRE(framer.feed(bytesOf(stream)));
    auto f = framer.next();
    REQUIRE(f.status == Status::Error);
    CHECK(framer.failed());
    CHECK(framer.next().status == Status::Error);  // sticky
    CHECK_FALSE(framer.feed(bytesOf("HEP3")));
    return f.error;
  };
  CHECK(fails_with("G") == HepError::BadMagic);  // judged on the first byte already
  CHECK(fails_with("GET / HTTP/1.1\r\n") == HepError::BadMagic);
  CHECK(fails_with("HEX") == HepError::BadMagic);
  CHECK(fails_with("HEP2") == HepError::UnsupportedVersion);
  CHECK(fails_with(readFile(corpusPath("hep/vectors/heplify-server_hep1_200ok.hep"))) ==
        HepError::UnsupportedVersion);
  CHECK(fails_with(std::string("HEP3\x00\x05", 6)) == HepError::BadLength);

  // A good packet followed by garbage: the packet comes out, then the error.
  const std::string good = readFile(corpusPath("hep/vectors/hep3_spec_example_113.hep"));
  HepStreamFramer framer;
  REQUIRE(framer.feed(bytesOf(good + "junk")));
  CHECK(framer.next().status == Status::Packet);
  CHECK(framer.next().error == HepError::BadMagic);

  framer.reset();
  REQUIRE(framer.feed(bytesOf(good)));
  CHECK(framer.next().status == Status::Packet);
}

TEST_CASE("HEP framer waits on a partial header without judging it early", "[hep][tcp][framer]") {
  for (std::string_view prefix : {"H", "HE", "HEP", "HEP3", "HEP3\x01"}) {
    HepStreamFramer framer;
    REQUIRE(framer.feed(bytesOf(prefix)));
    CHECK(framer.next().status == Status::NeedMore);
  }
}

TEST_CASE("HEP framer refuses to buffer past its limit", "[hep][tcp][framer]") {
  HepStreamFramer framer(1000);
  const std::string spec = readFile(corpusPath("hep/vectors/hep3_spec_example_113.hep"));
  std::string many;
  for (int i = 0; i < 8; ++i) many += spec;  // 904 bytes
  REQUIRE(framer.feed(bytesOf(many)));
  CHECK_FALSE(framer.feed(bytesOf(spec)));  // 1017 > 1000: nothing buffered
  CHECK(framer.buffered() == many.size());
  std::vector<std::string> got;
  REQUIRE(drain(framer, got));
  CHECK(got.size() == 8);
  CHECK(framer.feed(bytesOf(spec)));  // room again once drained
}

}  // namespace sipvault
