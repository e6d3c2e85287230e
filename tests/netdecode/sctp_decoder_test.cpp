// SCTP DATA chunk reassembly on the real SIP-over-SCTP capture (Linux SLL): its INVITE is split
// over two DATA chunks (TSN 0 with B, TSN 1 with E) in two packets.
#include "netdecode/sctp_decoder.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>

#include "netdecode/packet_decoder.h"
#include "pcap_frames.h"

namespace sipvault::netdecode {
namespace {

struct Run {
  std::vector<test::Emitted> sip;
  DecodeCounters counters;
};

// Decodes the given frame indexes in that order, each at the given time.
Run decodeFrames(const std::vector<size_t>& order, const std::vector<CaptureTime>& times = {},
                 const PacketDecoderOptions& options = {}) {
  const test::Capture capture = test::readCorpusCapture("pcap/heplify_sip_sctp.pcap");
  test::CollectingSink sink;
  PacketDecoder decoder(options, sink);
  for (size_t i = 0; i < order.size(); ++i) {
    const test::Frame& f = capture.frames.at(order[i]);
    (void)decoder.decode(LinkType::LinuxSll, f.bytes, times.empty() ? f.ts : times[i]);
  }
  return Run{test::sipOnly(sink.packets), decoder.counters()};
}

bool hasInvite(const Run& run) {
  return std::any_of(run.sip.begin(), run.sip.end(), [](const test::Emitted& e) {
    return e.payload.rfind("INVITE ", 0) == 0 && e.payload.size() == 1452 + 312;
  });
}

}  // namespace

TEST_CASE("An SCTP message whose last chunk arrives first is still reassembled", "[netdecode][sctp]") {
  const Run forward = decodeFrames({0, 1, 2, 3, 4});
  const Run reversed = decodeFrames({4, 3, 2, 1, 0});
  CHECK(forward.sip.size() == 4);
  CHECK(reversed.sip.size() == 4);
  CHECK(hasInvite(reversed));
  const auto invite = [](const Run& r) {
    return std::find_if(r.sip.begin(), r.sip.end(),
                        [](const test::Emitted& e) { return e.payload.rfind("INVITE ", 0) == 0; })
        ->payload;
  };
  CHECK(invite(forward) == invite(reversed));
}

TEST_CASE("A repeated SCTP fragment is ignored", "[netdecode][sctp]") {
  const Run run = decodeFrames({0, 0, 1, 2, 3, 4});
  CHECK(run.sip.size() == 4);
  CHECK(run.counters.sctp_fragment_duplicate == 1);
  CHECK(hasInvite(run));
}

TEST_CASE("SCTP fragments time out and are bounded", "[netdecode][sctp]") {
  SECTION("timeout on capture time") {
    const Run run = decodeFrames({0, 1}, {{1000, 0}, {1031, 0}});
    CHECK_FALSE(hasInvite(run));
    CHECK(run.counters.sctp_fragment_timeout == 1);
  }
  SECTION("max_fragments") {
    PacketDecoderOptions options;
    options.sctp.max_fragments = 1;
    const Run run = decodeFrames({0, 1}, {}, options);
    CHECK_FALSE(hasInvite(run));
    CHECK(run.counters.sctp_fragment_evicted == 1);
  }
  SECTION("max_message_bytes") {
    PacketDecoderOptions options;
    options.sctp.max_message_bytes = 1500;
    const Run run = decodeFrames({0, 1}, {}, options);
    CHECK_FALSE(hasInvite(run));
    CHECK(run.counters.sctp_message_too_large == 1);
  }
}

}  // namespace sipvault::netdecode

namespace sipvault::netdecode {
namespace {

// One SCTP packet (common header, vtag 7) holding the given DATA chunks.
struct DataChunk {
  uint16_t stream;
  uint32_t tsn;
  uint8_t flags;
  std::string data;
};
std::string sctpPacket(const std::vector<DataChunk>& chunks) {
  std::string p = std::string("\x13\xc4\x13\xc4", 4) + std::string("\0\0\0\x07", 4) + std::string(4, '\0');
  const auto be = [&p](uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) p += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  for (const DataChunk& c : chunks) {
    p += '\0';  // DATA
    p += static_cast<char>(c.flags);
    be(16 + c.data.size(), 2);
    be(c.tsn, 4);
    be(c.stream, 2);
    be(0, 2);   // stream sequence
    be(46, 4);  // PPID
    p += c.data;
    while (p.size() % 4) p += '\0';
  }
  return p;
}

// A decoder fed packets of one association direction.
struct SctpHarness {
  test::CollectingSink sink;
  DecodeCounters counters;
  SctpDecoder decoder{SctpDecoderOptions{}, sink, counters};
  PacketView meta = [] {
    PacketView m;
    m.src = *IpAddress::parse("192.0.2.1");
    m.dst = *IpAddress::parse("192.0.2.2");
    m.ts_sec = 1000;
    return m;
  }();
  DecodeStatus send(const std::vector<DataChunk>& chunks) {
    const std::string packet = sctpPacket(chunks);
    return decoder.decode(meta, asBytes(packet));
  }
};

}  // namespace

TEST_CASE("One SCTP packet of thousands of unmatched fragments costs a bounded amount of work",
          "[netdecode][sctp][limits]") {
  SctpHarness h;
  // Middle fragments (neither B nor E) with consecutive TSNs: every one walks back over all the
  // fragments held before it, and once 256 are held each one also evicts the oldest.
  std::vector<DataChunk> hostile;
  for (uint32_t i = 0; i < 3500; ++i) hostile.push_back({1, 1000 + i, 0, "x"});
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(h.send(hostile) == DecodeStatus::Ok);
  const auto took = std::chrono::steady_clock::now() - t0;
  INFO("decode took " << std::chrono::duration_cast<std::chrono::microseconds>(took).count() << " us");
  CHECK(h.counters.sctp_work_capped > 0);
  CHECK(h.counters.sctp_fragments == 3500);
  CHECK(h.decoder.fragmentsHeld() <= 256);
  CHECK(h.sink.packets.empty());
  // The next packet has its own budget: a message in two fragments (B, then E) still comes out.
  CHECK(h.send({{2, 50, 0x02, "OPTIONS sip:a SIP/2.0\r\n"}}) == DecodeStatus::Ok);
  CHECK(h.send({{2, 51, 0x01, "Content-Length: 0\r\n\r\n"}}) == DecodeStatus::Ok);
  REQUIRE(h.sink.packets.size() == 1);
  CHECK(h.sink.packets[0].payload == "OPTIONS sip:a SIP/2.0\r\nContent-Length: 0\r\n\r\n");
}

TEST_CASE("SCTP fragments of many streams are matched by stream and TSN, in any order", "[netdecode][sctp]") {
  SctpHarness h;
  // 50 streams, each a 3-fragment message with the same TSNs per stream, last fragments first.
  for (uint16_t s = 0; s < 50; ++s) (void)h.send({{s, 12, 0x01, "c" + std::to_string(s)}});
  for (uint16_t s = 0; s < 50; ++s) (void)h.send({{s, 10, 0x02, "a"}});
  CHECK(h.sink.packets.empty());
  for (uint16_t s = 0; s < 50; ++s) (void)h.send({{s, 11, 0x00, "b"}});
  REQUIRE(h.sink.packets.size() == 50);
  for (uint16_t s = 0; s < 50; ++s) CHECK(h.sink.packets[s].payload == "abc" + std::to_string(s));
  CHECK(h.decoder.fragmentsHeld() == 0);
}

}  // namespace sipvault::netdecode
