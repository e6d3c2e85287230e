// The TCP buffer budgets (TcpReassembler and SipStreamSplitter max_buffered_bytes) bound the
// memory the buffers really take, not just the bytes they hold: measured here on the heap itself.
#include <malloc.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>
#include <string>

#include "netdecode/sip_stream_splitter.h"
#include "netdecode/tcp_reassembler.h"

// Live heap bytes, tracked by replacing the global operator new/delete (allowed in one TU of a
// binary; not under AddressSanitizer, whose own operator new would be mixed with ours).
#include "tests/support/sanitizers.h"
#define SIPVAULT_TRACK_HEAP (!SIPVAULT_UNDER_ASAN)

namespace {
std::atomic<int64_t> g_live_bytes{0};
}
#if SIPVAULT_TRACK_HEAP
void* operator new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  g_live_bytes.fetch_add(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  return p;
}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC misreads the replacement pair
void operator delete(void* p) noexcept {
  if (p != nullptr)
    g_live_bytes.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
#pragma GCC diagnostic pop
#endif

namespace sipvault::netdecode {
namespace {

// Leaves everything unconsumed until a stream's bytes end in "END", then takes all but the
// last `keep` bytes: each tail first grows large, then shrinks to a few bytes.
class GrowThenConsume final : public TcpStreamConsumer {
 public:
  size_t onStreamData(const TcpStreamInfo&, std::string_view bytes, bool) override {
    if (!bytes.ends_with("END")) return 0;
    return bytes.size() - keep;
  }
  void onStreamClosed(const TcpStreamInfo&) override {}
  size_t keep = 10;
};

class NullSink final : public PacketSink {
 public:
  void onPacket(const PacketView&) override {}
};

PacketView metaFor(int stream) {
  PacketView meta;
  meta.src = *IpAddress::parse("192.0.2.1");
  meta.dst = *IpAddress::parse("192.0.2.2");
  meta.vlan = static_cast<uint16_t>(stream);  // a direction per stream
  meta.ts_sec = 1000;
  return meta;
}

}  // namespace

TEST_CASE("the TCP reassembler's buffer budget bounds the memory its tails take, not the bytes they hold",
          "[netdecode][tcp][memory]") {
  if (!SIPVAULT_TRACK_HEAP) {
    WARN("heap tracking is off under AddressSanitizer");
    return;
  }
  constexpr size_t kBudget = 512 * 1024;
  DecodeCounters counters;
  GrowThenConsume consumer;
  TcpReassemblerOptions options;
  options.max_unconsumed_bytes = 256 * 1024;
  options.max_buffered_bytes = kBudget;
  const int64_t before = g_live_bytes.load();
  {
    TcpReassembler r(options, consumer, counters);
    const std::string chunk(8 * 1024, 'x');
    // 32 streams, each grows a 200 KiB tail (one at a time fits the budget), then consumes it
    // down to 10 bytes: ~6 MiB of buffers if their capacity were kept.
    for (int stream = 0; stream < 32; ++stream) {
      TcpSegment seg;
      seg.src_port = 40000;
      seg.dst_port = 5060;
      seg.flags = kTcpSyn;
      seg.seq = 0;
      (void)r.add(metaFor(stream), seg);
      seg.flags = 0;
      uint32_t seq = 1;
      for (int i = 0; i < 25; ++i, seq += uint32_t(chunk.size())) {
        seg.seq = seq;
        seg.payload = asBytes(chunk);
        (void)r.add(metaFor(stream), seg);
      }
      seg.seq = seq;
      seg.payload = asBytes(std::string_view("END"));
      (void)r.add(metaFor(stream), seg);
    }
    CHECK(r.bufferedBytes() <= kBudget);
    const int64_t held = g_live_bytes.load() - before;
    INFO("heap held by the reassembler: " << held << " bytes; charged: " << r.bufferedBytes());
    // The slab of stream slots and the index are fixed costs outside the buffer budget.
    CHECK(held <= int64_t(kBudget + sizeof(TcpReassembler) + options.max_streams * 256 + 64 * 1024));
  }
}

TEST_CASE("the SIP stream splitter's budget bounds the memory of its framers, not the bytes they hold",
          "[netdecode][sip-framing][memory]") {
  if (!SIPVAULT_TRACK_HEAP) {
    WARN("heap tracking is off under AddressSanitizer");
    return;
  }
  constexpr size_t kBudget = 256 * 1024;
  DecodeCounters counters;
  NullSink sink;
  SipStreamSplitterOptions options;
  options.max_buffered_bytes = kBudget;
  const int64_t before = g_live_bytes.load();
  {
    SipStreamSplitter splitter(options, sink, counters);
    // Each stream delivers a 60 KiB message (framed and emitted), then 5 bytes of the next one:
    // the framer holds 5 bytes in a buffer that had room for 60 KiB.
    const std::string body(60 * 1024, 'b');
    const std::string message =
        "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    for (uint64_t stream = 1; stream <= 64; ++stream) {
      TcpStreamInfo info;
      info.meta = metaFor(0);
      info.stream_id = stream;
      (void)splitter.onStreamData(info, message + "MESSA", false);
    }
    CHECK(counters.sip_stream_messages == 64);
    CHECK(splitter.bufferedBytes() <= kBudget);
    const int64_t held = g_live_bytes.load() - before;
    INFO("heap held by the splitter: " << held << " bytes; charged: " << splitter.bufferedBytes());
    CHECK(held <= int64_t(kBudget + 64 * 1024));  // + the framers themselves and the map's nodes
  }
}

}  // namespace sipvault::netdecode
