#pragma once
// The collector's counters, registered once and shared by every listener thread (atomics).
#include <array>

#include "common/metrics.h"
#include "proto/hep_codec.h"

namespace sipvault {

struct CollectorMetrics {
  explicit CollectorMetrics(MetricsRegistry& r);

  Counter& udp_datagrams;
  Counter& tcp_frames;
  Counter& ipip_packets;
  Counter& accepted;             // packets handed to a batch
  Counter& keepalives;           // HEP keep-alive packets (counted, not forwarded)
  Counter& auth_rejected;        // wrong or missing auth key
  Counter& capture_id_rejected;  // capture id not in the allow list
  Counter& ipip_not_decoded;     // raw packets that were not IP-in-IP UDP/TCP we could read
  Counter& kernel_udp_drops;     // SO_RXQ_OVFL: datagrams the kernel dropped at a full buffer
  Counter& batches_sent;
  Counter& bus_blocked;          // times a listener waited for room in the bus queue
  Counter& tcp_refused;          // connections over collector.tcp_max_connections
  Counter& tcp_closed_idle;
  Counter& tcp_closed_bad_stream;
  Gauge& tcp_connections;
  Gauge& queue_depth;
  // Indexed by HepError; the assert keeps the array in step with the enum.
  static_assert(static_cast<size_t>(HepError::InflateFailed) == 5, "one counter per HepError");
  std::array<Counter*, 6> decode_errors{};

  Counter& decodeError(HepError e) { return *decode_errors[static_cast<size_t>(e)]; }
};

}  // namespace sipvault
