// TcpReassembler: ordering, retransmission, holes, bounds and connection teardown. Stream
// bytes are real SIP text (RFC 4475 longreq); segments are cut from it by hand.
#include "netdecode/tcp_reassembler.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "netdecode/packet_decoder.h"
#include "pcap_frames.h"

namespace sipvault::netdecode {
namespace {

// Consumes everything and records the stream; "|" marks a discontinuity in `marked`.
class RecordingConsumer final : public TcpStreamConsumer {
 public:
  size_t onStreamData(const TcpStreamInfo& info, std::string_view bytes, bool discontinuity) override {
    std::string& s = marked[info.stream_id];
    if (discontinuity) s += '|';
    s.append(bytes);
    plain[info.stream_id].append(bytes);
    return bytes.size();
  }
  void onStreamClosed(const TcpStreamInfo& info) override { closed.push_back(info.stream_id); }

  std::map<uint64_t, std::string> marked;
  std::map<uint64_t, std::string> plain;
  std::vector<uint64_t> closed;
};

// Leaves the last `keep` bytes of every call unconsumed.
class HoldingConsumer final : public TcpStreamConsumer {
 public:
  size_t onStreamData(const TcpStreamInfo&, std::string_view bytes, bool) override {
    seen = std::string(bytes);
    return bytes.size() > keep ? bytes.size() - keep : 0;
  }
  size_t keep = 10;
  std::string seen;
};

struct Harness {
  explicit Harness(TcpReassemblerOptions options = {}) : reassembler(options, consumer, counters) {}

  DecodeStatus send(uint32_t seq, std::string_view data, uint8_t flags = 0, CaptureTime ts = {1000, 0},
                    bool reverse = false) {
    PacketView meta;
    meta.src = reverse ? b : a;
    meta.dst = reverse ? a : b;
    meta.ts_sec = ts.sec;
    meta.ts_usec = ts.usec;
    TcpSegment seg;
    seg.src_port = reverse ? 5060 : 40000;
    seg.dst_port = reverse ? 40000 : 5060;
    seg.seq = seq;
    seg.flags = flags;
    seg.payload = asBytes(data);
    return reassembler.add(meta, seg);
  }

  IpAddress a = *IpAddress::parse("192.0.2.1");
  IpAddress b = *IpAddress::parse("192.0.2.2");
  DecodeCounters counters;
  RecordingConsumer consumer;
  TcpReassembler reassembler;
};

const std::string& longreq() {
  static const std::string text = test::readCorpusFile("rfc4475/valid/longreq.dat");
  return text;
}

std::string_view part(size_t begin, size_t end) {
  return std::string_view(longreq()).substr(begin, end - begin);
}

}  // namespace

TEST_CASE("TCP segments after a SYN are delivered in order", "[netdecode][tcp]") {
  Harness h;
  const uint32_t isn = 5000;
  CHECK(h.send(isn, {}, kTcpSyn) == DecodeStatus::Ok);
  CHECK(h.send(isn + 1, part(0, 1000)) == DecodeStatus::Ok);
  CHECK(h.send(isn + 1001, part(1000, longreq().size())) == DecodeStatus::Ok);
  REQUIRE(h.consumer.marked.size() == 1);
  CHECK(h.consumer.marked.begin()->second == longreq());
}

TEST_CASE("Out-of-order TCP segments are held until the hole fills", "[netdecode][tcp]") {
  Harness h;
  const uint32_t isn = 77;
  (void)h.send(isn, {}, kTcpSyn);
  (void)h.send(isn + 1 + 2000, part(2000, longreq().size()));
  (void)h.send(isn + 1 + 1000, part(1000, 2000));
  CHECK(h.consumer.plain.empty());
  // Charged by memory: the held bytes plus the small vector of segments that holds them.
  CHECK(h.reassembler.bufferedBytes() >= longreq().size() - 1000);
  CHECK(h.reassembler.bufferedBytes() <= longreq().size() - 1000 + 256);
  (void)h.send(isn + 1, part(0, 1000));
  CHECK(h.consumer.marked.begin()->second == longreq());
  CHECK(h.counters.tcp_out_of_order == 2);
  CHECK(h.reassembler.bufferedBytes() == 0);
}

TEST_CASE("Retransmitted and overlapping TCP bytes are delivered once", "[netdecode][tcp]") {
  Harness h;
  const uint32_t isn = 1;
  (void)h.send(isn, {}, kTcpSyn);
  (void)h.send(isn + 1, part(0, 1000));
  (void)h.send(isn + 1, part(0, 1000));            // plain retransmission
  (void)h.send(isn + 1 + 500, part(500, 1500));    // half old, half new
  (void)h.send(isn + 1 + 2500, part(2500, 3000));  // held
  (void)h.send(isn + 1 + 2500, part(2500, 2800));  // shorter resend of a held segment
  (void)h.send(isn + 1 + 1500, part(1500, 2600));  // fills the hole and overlaps the held one
  (void)h.send(isn + 1 + 3000, part(3000, longreq().size()));
  CHECK(h.consumer.marked.begin()->second == longreq());
  CHECK(h.counters.tcp_retransmitted == 2);
  CHECK(h.counters.tcp_overlap_trimmed == 1);
}

TEST_CASE("TCP sequence numbers wrap around 2^32", "[netdecode][tcp]") {
  Harness h;
  const uint32_t isn = 0xffffff00u;
  (void)h.send(isn, {}, kTcpSyn);
  (void)h.send(isn + 1 + 1000, part(1000, longreq().size()));  // wrapped seq, held
  (void)h.send(isn + 1, part(0, 1000));
  CHECK(h.consumer.marked.begin()->second == longreq());
}

TEST_CASE("A stream picked up mid-way starts with a discontinuity", "[netdecode][tcp]") {
  Harness h;
  CHECK(h.send(123456, {}) == DecodeStatus::Ignored);  // bare ACK: no state
  CHECK(h.reassembler.streams() == 0);
  (void)h.send(123456, part(100, 200));
  (void)h.send(123556, part(200, 300));
  CHECK(h.consumer.marked.begin()->second == "|" + std::string(part(100, 300)));
}

TEST_CASE("A TCP hole is skipped after the gap timeout", "[netdecode][tcp]") {
  TcpReassemblerOptions options;
  options.gap_timeout_ms = 10000;
  Harness h(options);
  (void)h.send(0, {}, kTcpSyn, {1000, 0});
  (void)h.send(1, part(0, 100), 0, {1000, 0});
  (void)h.send(201, part(200, 300), 0, {1001, 0});  // 100 bytes lost before it
  (void)h.send(301, part(300, 400), 0, {1005, 0});
  CHECK(h.consumer.plain.begin()->second == part(0, 100));
  (void)h.send(401, part(400, 500), 0, {1011, 1});  // 10 s after the hole opened
  CHECK(h.counters.tcp_gap_skipped == 1);
  CHECK(h.consumer.marked.begin()->second == std::string(part(0, 100)) + "|" + std::string(part(200, 500)));
}

TEST_CASE("A TCP hole is skipped when held bytes exceed the per-stream bound", "[netdecode][tcp]") {
  TcpReassemblerOptions options;
  options.max_out_of_order_bytes = 1000;
  Harness h(options);
  (void)h.send(0, {}, kTcpSyn);
  (void)h.send(1, part(0, 100));
  (void)h.send(201, part(200, 800));
  CHECK(h.counters.tcp_gap_skipped == 0);
  (void)h.send(801, part(800, 1500));  // 600 + 700 > 1000
  CHECK(h.counters.tcp_gap_skipped == 1);
  CHECK(h.consumer.marked.begin()->second == std::string(part(0, 100)) + "|" + std::string(part(200, 1500)));
}

TEST_CASE("FIN closes a direction once all its bytes are in - RST closes both", "[netdecode][tcp]") {
  Harness h;
  (void)h.send(0, {}, kTcpSyn);
  (void)h.send(9000, {}, kTcpSyn, {1000, 0}, true);
  (void)h.send(1, part(0, 100));
  (void)h.send(9001, part(0, 50), 0, {1000, 0}, true);
  CHECK(h.reassembler.streams() == 2);
  (void)h.send(201, {}, kTcpFin);  // FIN before the bytes 100..200 arrived
  CHECK(h.reassembler.streams() == 2);
  (void)h.send(101, part(100, 200));
  CHECK(h.reassembler.streams() == 1);
  CHECK(h.counters.tcp_flows_closed == 1);
  (void)h.send(9051, {}, kTcpRst, {1000, 0}, true);
  CHECK(h.reassembler.streams() == 0);
  CHECK(h.consumer.closed.size() == 2);
  CHECK(h.reassembler.bufferedBytes() == 0);
}

TEST_CASE("Idle TCP streams are evicted on capture time and the table is bounded", "[netdecode][tcp]") {
  SECTION("idle timeout") {
    TcpReassemblerOptions options;
    options.idle_timeout_ms = 60000;
    Harness h(options);
    (void)h.send(1, part(0, 10), 0, {1000, 0});
    h.reassembler.expire({1059, 0});
    CHECK(h.reassembler.streams() == 1);
    h.reassembler.expire({1060, 1});
    CHECK(h.reassembler.streams() == 0);
    CHECK(h.counters.tcp_flows_evicted_idle == 1);
  }
  SECTION("max_streams evicts the least recently active") {
    TcpReassemblerOptions options;
    options.max_streams = 2;
    Harness h(options);
    (void)h.send(1, part(0, 10));                      // A->B
    (void)h.send(1, part(0, 10), 0, {1000, 0}, true);  // B->A
    (void)h.send(11, part(10, 20));                    // A->B is now the most recent
    PacketView meta;
    meta.ts_sec = 1000;
    meta.src = *IpAddress::parse("192.0.2.99");
    meta.dst = h.b;
    TcpSegment seg;
    seg.src_port = 1;
    seg.dst_port = 5060;
    seg.seq = 1;
    seg.payload = asBytes(part(0, 10));
    (void)h.reassembler.add(meta, seg);
    CHECK(h.reassembler.streams() == 2);
    CHECK(h.counters.tcp_flows_evicted_full == 1);
    REQUIRE(h.consumer.closed.size() == 1);
    CHECK(h.consumer.closed[0] == 2);  // B->A, the second stream opened
  }
}

TEST_CASE("Unconsumed bytes are offered again, and bounded", "[netdecode][tcp]") {
  DecodeCounters counters;
  HoldingConsumer consumer;
  TcpReassemblerOptions options;
  options.max_unconsumed_bytes = 50;
  TcpReassembler r(options, consumer, counters);
  PacketView meta;
  meta.src = *IpAddress::parse("192.0.2.1");
  meta.dst = *IpAddress::parse("192.0.2.2");
  TcpSegment seg;
  seg.flags = kTcpSyn;
  (void)r.add(meta, seg);
  seg.flags = 0;
  seg.seq = 1;
  seg.payload = asBytes(part(0, 30));
  (void)r.add(meta, seg);
  CHECK(consumer.seen == part(0, 30));
  seg.seq = 31;
  seg.payload = asBytes(part(30, 60));
  (void)r.add(meta, seg);
  CHECK(consumer.seen == part(20, 60));  // the 10 held bytes, then the new ones
  consumer.keep = 1000;                  // now the consumer never consumes
  seg.seq = 61;
  seg.payload = asBytes(part(60, 90));
  (void)r.add(meta, seg);  // 10 + 30 = 40 held
  seg.seq = 91;
  seg.payload = asBytes(part(90, 120));
  (void)r.add(meta, seg);  // 40 + 30 > 50: the held bytes are dropped
  CHECK(counters.tcp_tail_overflow == 1);
  CHECK(consumer.seen == part(90, 120));
  CHECK(r.bufferedBytes() == 30);
}

TEST_CASE("SIP over TCP survives reordered segments", "[netdecode][tcp][corpus]") {
  // The derived capture: 64802->5060 carries segments at frames 4, 5, 9 and 5060->64802 at
  // 6, 7, 8 (several messages per segment, messages across segments). Reverse each run.
  const test::Capture original =
      test::readCorpusCapture("pcap/derived/tcp_multi_msg_per_segment_from_heplify_sip_ipv4_tcp.pcap");
  REQUIRE(original.frames.size() == 12);
  const auto expected = test::sipOnly(test::decodeCapture(original).packets);
  REQUIRE(expected.size() == 7);
  test::Capture reordered = original;
  reordered.frames.clear();
  for (size_t frame : {1, 2, 3, 5, 4, 8, 7, 6, 9, 11, 10, 12})
    reordered.frames.push_back(original.frames[frame - 1]);
  const auto run = test::decodeCapture(reordered);
  const auto sip = test::sipOnly(run.packets);
  CHECK(run.counters.tcp_out_of_order == 3);
  REQUIRE(sip.size() == 7);
  std::multiset<std::string> a, b;
  for (size_t i = 0; i < 7; ++i) {
    a.insert(sip[i].payload);
    b.insert(expected[i].payload);
  }
  CHECK(a == b);
}

}  // namespace sipvault::netdecode
