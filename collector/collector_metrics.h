#pragma once
// The collector's counters, registered once and shared by every listener thread (atomics).
#include <array>

#include "common/metrics.h"
#include "proto/hep_codec.h"

namespace sipvault::collector {

struct CollectorMetrics {
  explicit CollectorMetrics(MetricsRegistry& r);

  Counter& udp_datagrams;
  Counter& tcp_frames;
  Counter& ipip_packets;
  Counter& accepted;             // packets handed to a batch
  Counter& keepalives;           // HEP keep-alive packets (counted, not forwarded)
  Counter& hep12_wrong_header_length;  // v1/v2 with a wrong hdr_len byte (sngrep 1.6), decoded anyway
  Counter& auth_rejected;        // wrong or missing auth key
  Counter& capture_id_rejected;  // capture id not in the allow list
  Counter& ipip_not_decoded;
  Counter& ipip_source_rejected;  // IP-in-IP from an outer source outside collector.ipip_allow     // raw
                                  // packets that were not IP-in-IP UDP/TCP we could read
  Counter& kernel_udp_drops;     // SO_RXQ_OVFL: datagrams the kernel dropped at a full buffer
  Counter& batches_sent;
  Counter& bus_blocked;          // times a listener waited for room in the bus queue
  Counter& dropped_at_stop;      // packets a listener still held when the drain deadline closed the queue
  Counter&
      batches_undelivered;  // batches never pushed (or, with acks, never acked) when the collector stopped
  Counter& tcp_refused;          // connections over collector.tcp_max_connections
  Counter& tcp_closed_idle;
  Counter& tcp_closed_bad_stream;
  Counter& tcp_refused_per_source;  // over collector.tcp_max_per_source from one address
  Counter& tcp_closed_no_hep;       // no valid HEP within collector.tcp_first_packet_timeout_s
  Gauge& tcp_connections;
  // HEP over TLS (collector.tls): the TCP stream counters again, plus the handshakes.
  Counter& tls_frames;
  Counter& tls_refused;
  Counter& tls_closed_idle;
  Counter& tls_closed_bad_stream;
  Counter& tls_refused_per_source;
  Counter& tls_closed_no_hep;
  Counter& tls_closed_error;           // TLS error or alert after the handshake
  Counter& tls_handshakes;             // handshakes completed
  Counter& tls_failed_protocol;        // handshake failed: not TLS, no common version/cipher, cut off
  Counter& tls_failed_certificate;     // handshake failed: client certificate missing or not trusted
  Counter& tls_failed_timeout;         // handshake not finished within collector.tls_handshake_timeout_s
  Gauge& tls_connections;
  Gauge& queue_depth;
  // At-least-once delivery (collector.ack_input set): batches held until a writer acks them.
  Counter& batches_acked;
  Counter& batches_resent;        // pushed again after collector.ack_timeout_ms without an ack
  Counter& batches_gave_up;       // dropped after collector.max_resends resends without an ack
  Counter& acks_malformed;        // ack messages that did not decode (skipped)
  Gauge& ack_window_bytes;        // bytes of unacked batches held
  Gauge& ack_window_batches;
  // Indexed by HepError; the assert keeps the array in step with the enum.
  static_assert(static_cast<size_t>(HepError::InflateTooLarge) == 6, "one counter per HepError");
  std::array<Counter*, 7> decode_errors{};

  Counter& decodeError(HepError e) { return *decode_errors[static_cast<size_t>(e)]; }
};

}  // namespace sipvault::collector
