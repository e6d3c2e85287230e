#pragma once
// The agent's counters, registered once in a MetricsRegistry (Prometheus names get the
// "sipvault_" prefix) and updated lock-free from the capture and sender threads.
//
// Drops carry a named reason:
//   queue_full      a capture thread's batch found the sender queue full (live capture only;
//                   replay waits instead)
//   tcp_queue_full  a TCP collector's send queue (agent.tcp_queue_kib) was full
//   send_error      the kernel refused a UDP datagram (no route, ICMP port unreachable, ...)
//   encode_error    a SIP message HEP cannot carry (over 64 KiB in v3, ...)
//   shutdown        still queued when the drain timeout ran out at exit
#include <array>
#include <string>

#include "agent/media_counters.h"
#include "common/metrics.h"
#include "netdecode/decode_counters.h"

namespace sipvault::agent {

enum class DropReason : uint8_t { QueueFull, TcpQueueFull, SendError, EncodeError, Shutdown };
inline constexpr std::array<const char*, 5> kDropReasonNames{"queue_full", "tcp_queue_full", "send_error",
                                                             "encode_error", "shutdown"};

struct AgentMetrics {
  explicit AgentMetrics(MetricsRegistry& registry);

  Counter& frames;         // frames read from libpcap
  Counter& sip;            // SIP messages found and encoded as HEP
  Counter& non_sip;        // payloads skipped: not SIP
  Counter& sent;           // HEP packets handed to the kernel
  Counter& sent_bytes;
  std::array<Counter*, 5> dropped{};
  Counter& pcap_received;  // pcap_stats ps_recv (kernel's count)
  Counter& pcap_dropped;   // ps_drop: dropped by the kernel, ring buffer full
  Counter& pcap_ifdropped; // ps_ifdrop: dropped by the interface/driver
  Counter& tcp_connects;
  Counter& tcp_disconnects;
  Counter& tcp_connect_failures;
  Counter& tls_handshake_failures;  // tls: handshakes refused (certificate, protocol) or timed out
  Counter& failovers;      // the collector receiving traffic changed
  Gauge& queued_bytes;     // HEP bytes waiting in TCP send queues
  Gauge& queued_batches;   // batches waiting for the sender
  // One counter per decoder outcome (agent_decode_<name>_total), fed by delta from each
  // capture thread's DecodeCounters.
  std::array<Counter*, 64> decode{};
  // The media side (agent_media_<name>_total, see media_counters.h) and its two gauges.
  std::array<Counter*, 32> media{};
  Gauge& media_calls;  // calls whose media addresses are watched
  Gauge& rtp_streams;  // RTP streams with statistics

  void drop(DropReason reason, uint64_t n) {
    if (n) dropped[size_t(reason)]->inc(n);
  }
  [[nodiscard]] uint64_t dropValue(DropReason reason) const { return dropped[size_t(reason)]->value(); }
  [[nodiscard]] uint64_t droppedTotal() const;
  // Adds what `now` counted beyond `before` (same decoder) to the decode counters.
  void addDecodeDelta(const netdecode::DecodeCounters& before, const netdecode::DecodeCounters& now);
  void addMediaDelta(const MediaCounters& before, const MediaCounters& now);
  // A media counter by its field name (media_counters.h); 0 for an unknown name.
  [[nodiscard]] uint64_t mediaValue(std::string_view name) const;
};

}  // namespace sipvault::agent
