#pragma once
// TCP stream reassembly: turns captured segments into the in-order byte stream of each
// direction and hands it to a TcpStreamConsumer.
//
// Each direction (src, dst, ports, VLAN) is tracked on its own, from its SYN or, for streams
// already open when capture started, from the first data segment seen (delivered with
// `discontinuity` set). Per direction:
//   - retransmitted bytes are dropped (tcp_retransmitted) or cut off (tcp_overlap_trimmed), so
//     the consumer never sees a byte twice;
//   - segments after a hole are held (tcp_out_of_order) until the hole fills; a hole is given
//     up on (tcp_gap_skipped, then `discontinuity`) after gap_timeout_ms of capture time, when
//     the held bytes exceed max_out_of_order_bytes (or 512 segments), or when the stream closes;
//   - FIN closes the direction once every byte before it was delivered; RST closes both
//     directions at once. Held data is delivered (past its holes) before a close.
// Bounds: at most max_streams directions (the least recently active one is evicted when full,
// tcp_flows_evicted_full), idle ones are evicted after idle_timeout_ms of capture time
// (tcp_flows_evicted_idle), and all buffers (out-of-order + unconsumed) together stay under
// max_buffered_bytes (tcp_out_of_order_dropped / tcp_tail_overflow count what did not fit).
// Buffers are charged by the memory they take (capacity), not by the bytes they hold: a tail
// that grew to 256 KiB and was then consumed down to a few bytes still holds 256 KiB, so a
// buffer left mostly empty is given back (shrunk) and the budget sees what is really kept.
//
// Segments of a stream the consumer reads completely are passed straight from the frame,
// without copying or allocating; only unconsumed tails, out-of-order segments and new streams
// allocate. Not thread-safe: one reassembler per decoding thread.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "netdecode/capture_time.h"
#include "netdecode/decode_counters.h"
#include "netdecode/tcp_stream_consumer.h"
#include "netdecode/transport_header.h"

namespace sipvault::netdecode {

struct TcpReassemblerOptions {
  size_t max_streams = 8192;                      // directions tracked (two per connection)
  uint32_t idle_timeout_ms = 300000;              // drop a direction silent this long
  uint32_t gap_timeout_ms = 10000;                // wait this long for a missing segment
  size_t max_out_of_order_bytes = 256 * 1024;     // held after a hole, per direction
  size_t max_unconsumed_bytes = 256 * 1024;       // left over by the consumer, per direction
  size_t max_buffered_bytes = 64u * 1024 * 1024;  // everything held, all directions together
};

class TcpReassembler {
 public:
  // `consumer` and `counters` must outlive the reassembler.
  TcpReassembler(const TcpReassemblerOptions& options, TcpStreamConsumer& consumer, DecodeCounters& counters);
  TcpReassembler(const TcpReassembler&) = delete;
  TcpReassembler& operator=(const TcpReassembler&) = delete;

  // Feeds one segment. `meta` carries src/dst addresses, vlan and the capture time (its ports
  // and payload are ignored: they come from `segment`). Consumer calls happen inside.
  // Ok when taken; Ignored for an ACK/FIN-only segment of an unknown stream (no state made).
  DecodeStatus add(const PacketView& meta, const TcpSegment& segment);

  // Evicts directions idle at `now` (add() does this too, against each segment's time).
  void expire(CaptureTime now);

  // Closes every direction, delivering held data past its holes: call at end of input.
  void flush();

  [[nodiscard]] size_t streams() const { return index_.size(); }
  // Memory the streams' buffers take (capacity), what max_buffered_bytes bounds.
  [[nodiscard]] size_t bufferedBytes() const { return buffered_; }

 private:
  struct StreamKey {
    IpAddress src;
    IpAddress dst;
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    uint16_t vlan = 0;
    bool operator==(const StreamKey& o) const {
      return src == o.src && dst == o.dst && src_port == o.src_port && dst_port == o.dst_port &&
             vlan == o.vlan;
    }
  };
  struct StreamKeyHash {
    size_t operator()(const StreamKey& k) const;
  };
  struct HeldSegment {
    uint32_t seq;
    std::string data;
  };
  enum class CloseReason : uint8_t { Closed, EvictedIdle, EvictedFull, Flushed };
  static constexpr uint32_t kNone = UINT32_MAX;

  struct Stream {
    StreamKey key;
    uint64_t id = 0;
    uint32_t lru_prev = kNone;  // towards more recently used
    uint32_t lru_next = kNone;  // towards less recently used
    CaptureTime last_ts;
    int64_t gap_since_us = 0;  // when the oldest held segment arrived
    uint32_t next_seq = 0;     // next byte to deliver
    uint32_t isn = 0;
    uint32_t fin_seq = 0;
    bool syn_seen = false;
    bool seq_known = false;
    bool fin_seen = false;
    bool discontinuity = false;
    std::string unconsumed;
    std::vector<HeldSegment> held;  // out-of-order segments, sorted by seq from next_seq
    size_t held_bytes = 0;          // capacity of the held segments' data
    size_t charged = 0;             // this stream's share of buffered_
  };

  uint32_t allocate(const StreamKey& key, CaptureTime ts);
  void close(uint32_t index, CloseReason reason);
  void lruUnlink(uint32_t index);
  void lruPushFront(uint32_t index);
  void expireIdle(int64_t now_us);

  void handleData(Stream& s, uint32_t seq, Bytes payload);
  void deliver(Stream& s, Bytes data);
  void keepUnconsumed(Stream& s, Bytes rest);
  void drainHeld(Stream& s);
  void skipGap(Stream& s, uint32_t to_seq);
  void clearHeld(Stream& s);
  void releaseSpare(Stream& s);  // shrinks a mostly empty unconsumed buffer
  void recharge(Stream& s);      // brings buffered_ in line with the stream's buffers
  TcpStreamInfo infoFor(const Stream& s) const;

  TcpReassemblerOptions options_;
  TcpStreamConsumer& consumer_;
  DecodeCounters& counters_;
  std::vector<Stream> slab_;  // reserved to max_streams: stable references
  std::vector<uint32_t> free_;
  std::unordered_map<StreamKey, uint32_t, StreamKeyHash> index_;
  uint32_t lru_head_ = kNone;  // most recently active
  uint32_t lru_tail_ = kNone;  // least recently active
  uint64_t next_id_ = 1;
  size_t buffered_ = 0;  // sum of every stream's `charged`
};

}  // namespace sipvault::netdecode
