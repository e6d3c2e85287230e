#pragma once
// IPv4 and IPv6 fragment reassembly, bounded in memory and in time.
//
// Datagrams are keyed by (version, src, dst, id) plus the protocol for IPv4 (RFC 791; RFC 8200
// keys IPv6 on src/dst/id only). Fragments may arrive in any order. Overlaps are handled so
// that no byte is ever taken from two different fragments with different values:
//   - a fragment whose bytes are all held already (a duplicate) is ignored  (frag_duplicate);
//   - an overlap that repeats the held bytes exactly is accepted (a resend with other cuts);
//   - an overlap that disagrees drops the whole datagram (frag_overlap_conflict), as RFC 5722
//     asks for IPv6: overlapping fragments are an IDS evasion technique, not a transport.
//
// Bounds (IpReassemblerOptions): at most max_datagrams incomplete datagrams and max_bytes of
// buffer (each datagram counts up to its highest fragment end, so a lone fragment at offset
// 65000 costs 65 KB). When a new fragment would exceed either bound the oldest datagrams are
// dropped (frag_evicted). Incomplete datagrams older than timeout_ms, measured on the capture
// timestamps passed in, are dropped (frag_timeout).
//
// Not thread-safe: one reassembler per decoding thread.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "netdecode/capture_time.h"
#include "netdecode/decode_counters.h"
#include "netdecode/ip_header.h"

namespace sipvault::netdecode {

struct IpReassemblerOptions {
  size_t max_datagrams = 64;    // incomplete datagrams held at once
  size_t max_bytes = 1u << 20;  // buffer bytes held for incomplete datagrams
  uint32_t timeout_ms = 30000;  // Linux ipfrag_time default
};

class IpReassembler {
 public:
  IpReassembler(const IpReassemblerOptions& options, DecodeCounters& counters);

  // Adds one fragment (`fragment.fragment` must be true). Returns
  //   Ok        the datagram is complete: `out` holds it with fragment == false; for IPv6 its
  //             payload starts at what followed the fragment header (more extension headers
  //             may follow: see skipIpv6ExtensionHeaders). out.payload points into a buffer
  //             owned by the reassembler, valid until the next add() or expire() call;
  //   Pending   held, datagram incomplete (also for an ignored duplicate);
  //   Malformed the fragment is impossible (bad length or offset, conflicting last fragment);
  //   Dropped   its datagram was dropped (conflicting overlap, or too big for max_bytes).
  [[nodiscard]] DecodeStatus add(const IpPacket& fragment, CaptureTime ts, IpPacket& out);

  // Drops incomplete datagrams that are stale at `now` (add() does this too).
  void expire(CaptureTime now);

  [[nodiscard]] size_t datagramsInFlight() const { return in_flight_; }
  [[nodiscard]] size_t bytesInFlight() const { return bytes_in_flight_; }

 private:
  struct Range {
    uint32_t begin;
    uint32_t end;
  };
  struct Datagram {
    bool used = false;
    uint8_t version = 0;
    uint8_t protocol = 0;     // IPv4: part of the key; IPv6: taken from the offset-0 fragment
    bool have_first = false;  // the offset-0 fragment arrived
    IpAddress src;
    IpAddress dst;
    uint32_t id = 0;
    uint32_t total = 0;  // known once the last fragment (MF = 0) arrived; 0 = unknown
    int64_t first_seen_us = 0;
    std::vector<uint8_t> data;  // sized to the highest fragment end seen
    std::vector<Range> held;    // sorted, merged byte ranges received
  };

  Datagram* find(const IpPacket& fragment);
  Datagram* allocate(const IpPacket& fragment, int64_t now_us);
  void release(Datagram& d);
  void evictOldest(const Datagram* keep);
  // Checks [begin, end) against the held ranges: Ok to copy, Pending if all held (duplicate),
  // Dropped if a held byte differs.
  DecodeStatus checkOverlap(const Datagram& d, uint32_t begin, uint32_t end, Bytes bytes) const;
  static void insertRange(Datagram& d, uint32_t begin, uint32_t end);

  IpReassemblerOptions options_;
  DecodeCounters& counters_;
  std::vector<Datagram> slots_;  // grows to max_datagrams, slots are reused
  std::vector<uint8_t> completed_;
  size_t in_flight_ = 0;
  size_t bytes_in_flight_ = 0;
};

}  // namespace sipvault::netdecode
