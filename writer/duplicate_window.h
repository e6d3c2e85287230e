#pragma once
// The writer's duplicate window: the same captured packet delivered twice (two agents on one
// path, a retried TCP send, a batch a collector resent because its ack was late) is stored once.
//
// Two deliveries are the same packet when their content keys are equal (a 64-bit hash of src ip,
// src port, dst ip, dst port, ip proto and the payload bytes, packetContentKey() below) AND their
// capture times lie within window_us of each other. The window (default 250 ms) is below SIP's
// T1 (500 ms), so real SIP retransmissions, byte-identical but >= T1 apart, are all kept.
//
// Memory: a packet is remembered for `memory` after its arrival (default 30 s, longer than a
// collector's 3 resends 5 s apart), and at most max_entries packets are remembered: past that the
// oldest is forgotten early and counted (evictions()), so a duplicate of it would be stored again.
// A duplicate is not remembered again (its first copy already is).
//
// Cost: one hash over the payload (16 bytes per multiply, no allocation) and an open-addressing
// table lookup. Storage is a FIFO ring of entries (arrival order = eviction order) plus an index
// whose 8-byte slots hold a 32-bit tag of the key next to the ring position, so that probing and
// deleting stay inside the index (one cache miss per packet, not one per probed entry). Both grow
// by doubling up to max_entries; nothing is allocated per packet once grown. 40-56 bytes per
// remembered packet. Pure; not thread-safe (one per receiver thread).
#include <cstdint>
#include <string_view>
#include <vector>

namespace sipvault::writer {

struct DuplicateWindowOptions {
  uint64_t window_us = 250000;    // writer.dedup_window_ms; 0 = off (nothing is dropped or remembered)
  int64_t memory_ms = 30000;      // writer.dedup_memory_s
  size_t max_entries = 1000000;   // writer.dedup_max_entries (40-56 bytes each)
};

// The content key of a packet: 64-bit hash of its addresses and payload (stable within a process;
// not stored anywhere). `src_ip`/`dst_ip` are the 4 or 16 address bytes as carried.
[[nodiscard]] uint64_t packetContentKey(std::string_view src_ip, uint32_t src_port, std::string_view dst_ip,
                                        uint32_t dst_port, uint32_t ip_proto, std::string_view payload);

class DuplicateWindow {
 public:
  explicit DuplicateWindow(DuplicateWindowOptions options);

  // True when a packet with `content_key` captured within window_us of `capture_us` is remembered
  // (arrived at most memory_ms before `now_ms`): this one is a duplicate. Otherwise remembers it
  // and returns false. `now_ms`: a monotonic clock in milliseconds, never decreasing.
  [[nodiscard]] bool isDuplicate(uint64_t content_key, uint64_t capture_us, int64_t now_ms);

  [[nodiscard]] bool enabled() const { return options_.window_us > 0; }
  [[nodiscard]] size_t size() const { return count_; }
  [[nodiscard]] uint64_t evictions() const { return evictions_; }

 private:
  struct Entry {
    uint64_t key;
    uint64_t capture_us;
    int64_t arrival_ms;
  };

  // Index slot: tag << 32 | (ring position + 1); 0 = empty.
  [[nodiscard]] static uint32_t tagOf(uint64_t key);
  [[nodiscard]] size_t home(uint32_t tag) const { return tag & mask_; }
  void forgetOldest();
  void grow();
  void indexInsert(uint32_t position);

  DuplicateWindowOptions options_;
  std::vector<Entry> ring_;        // FIFO by arrival; oldest at head_
  size_t head_ = 0;
  size_t count_ = 0;
  std::vector<uint64_t> index_;    // see tagOf(); size: a power of two >= 2 x ring
  size_t mask_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace sipvault::writer
