#pragma once
// SCTP (RFC 9260): emits each user message carried in DATA chunks, whatever its payload
// protocol identifier (SIP over SCTP, RFC 4168, sends one SIP message per user message).
//
//   common header (12 bytes)                       chunk (padded to 4 bytes)
//   +-----------+-----------+-------------------+  +------+-------+--------+--------------+
//   | src port  | dst port  | verification tag  |  | type | flags | length | value ...    |
//   +-----------+-----------+-------------------+  +------+-------+--------+--------------+
//   | checksum (CRC32c, not verified)           |
//   +-------------------------------------------+
//   DATA chunk (type 0), flags U = 0x04 (unordered), B = 0x02 (first), E = 0x01 (last)
//   +------+-------+--------+------------+-----------+-----------+-------+--------------+
//   |  0   | U B E | length | TSN (32)   | stream id | stream seq| PPID  | user data ...|
//   +------+-------+--------+------------+-----------+-----------+-------+--------------+
//
// A message split over several DATA chunks (B on the first, E on the last, consecutive TSNs,
// same stream) is reassembled in TSN order, whatever order the chunks arrive in; chunks of
// one message may come in different packets. Held fragments are bounded by count and bytes
// (the oldest are dropped first, sctp_fragment_evicted) and by time on the capture clock
// (sctp_fragment_timeout). A repeated TSN among held fragments is ignored; complete messages
// are not deduplicated (no per-association state is kept). I-DATA (RFC 8260) is not decoded.
//
// Work: held fragments are indexed by (stream, TSN), so each step of the walk from a new fragment
// to its message's first and last fragment is one hash lookup. One packet may carry thousands of
// DATA chunks, each able to walk every held fragment; so each packet gets a work budget
// (kWorkPerPacket lookups and evictions); fragments past it are dropped and counted
// (sctp_work_capped), whole messages in the same packet are still emitted.
//
// Not thread-safe: one decoder per decoding thread.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "netdecode/byte_reader.h"
#include "netdecode/capture_time.h"
#include "netdecode/decode_counters.h"
#include "netdecode/decode_status.h"
#include "netdecode/packet_sink.h"

namespace sipvault::netdecode {

struct SctpDecoderOptions {
  size_t max_fragments = 256;             // DATA chunks held for reassembly, all associations
  size_t max_fragment_bytes = 1u << 20;   // their bytes
  size_t max_message_bytes = 256 * 1024;  // a reassembled message above this is dropped
  uint32_t timeout_ms = 30000;
};

class SctpDecoder {
 public:
  // `sink` and `counters` must outlive the decoder.
  SctpDecoder(const SctpDecoderOptions& options, PacketSink& sink, DecodeCounters& counters);

  // Decodes one SCTP packet. `meta` carries src/dst addresses, vlan and capture time; ports
  // come from the SCTP header. Emits one PacketView (ip_proto 132) per complete message, its
  // payload pointing into `sctp_packet` or into a buffer reused by the next call.
  // Ok when at least one DATA chunk was taken; Ignored for control-only packets;
  // Truncated / Malformed when the chunk list is broken (chunks before the fault still count).
  DecodeStatus decode(const PacketView& meta, Bytes sctp_packet);

  // Drops held fragments that are stale at `now` (decode() does this too).
  void expire(CaptureTime now);

  [[nodiscard]] size_t fragmentsHeld() const { return fragments_.size(); }

 private:
  // Which stream of which association direction a fragment belongs to.
  struct StreamId {
    IpAddress src;
    IpAddress dst;
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    uint32_t vtag = 0;
    uint16_t stream = 0;
    bool operator==(const StreamId& o) const {
      return src_port == o.src_port && dst_port == o.dst_port && vtag == o.vtag && stream == o.stream &&
             src == o.src && dst == o.dst;
    }
  };
  struct Fragment {
    StreamId id;
    uint32_t tsn = 0;
    uint8_t flags = 0;
    int64_t seen_us = 0;
    std::string data;
  };
  struct FragmentKey {
    StreamId id;
    uint32_t tsn = 0;
    bool operator==(const FragmentKey& o) const { return tsn == o.tsn && id == o.id; }
  };
  struct FragmentKeyHash {
    size_t operator()(const FragmentKey& k) const;
  };

  void addFragment(Fragment&& f, const PacketView& view);
  [[nodiscard]] int find(const StreamId& id, uint32_t tsn);  // spends one unit of work
  void removeAt(size_t index);
  void evictOldest();

  SctpDecoderOptions options_;
  PacketSink& sink_;
  DecodeCounters& counters_;
  std::vector<Fragment> fragments_;
  std::unordered_map<FragmentKey, size_t, FragmentKeyHash> index_;  // -> position in fragments_
  size_t fragment_bytes_ = 0;
  size_t work_left_ = 0;  // lookups and evictions this packet may still spend
  std::string message_;   // the last reassembled message
};

}  // namespace sipvault::netdecode
