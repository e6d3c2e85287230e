#include "collector/collector_metrics.h"

#include <string>

namespace sipvault {

CollectorMetrics::CollectorMetrics(MetricsRegistry& r)
    : udp_datagrams(r.counter("collector_received_total", "HEP/IP-in-IP units received", R"(transport="udp")")),
      tcp_frames(r.counter("collector_received_total", "HEP/IP-in-IP units received", R"(transport="tcp")")),
      ipip_packets(r.counter("collector_received_total", "HEP/IP-in-IP units received", R"(transport="ipip")")),
      accepted(r.counter("collector_accepted_total", "packets accepted into batches")),
      keepalives(r.counter("collector_keepalives_total", "HEP keep-alive packets")),
      auth_rejected(r.counter("collector_dropped_total", "packets dropped", R"(reason="auth_key")")),
      capture_id_rejected(r.counter("collector_dropped_total", "packets dropped", R"(reason="capture_id")")),
      ipip_not_decoded(r.counter("collector_dropped_total", "packets dropped", R"(reason="ipip_undecodable")")),
      kernel_udp_drops(r.counter("collector_dropped_total", "packets dropped", R"(reason="kernel_udp_buffer")")),
      batches_sent(r.counter("collector_batches_sent_total", "batches pushed to parsers")),
      bus_blocked(r.counter("collector_backpressure_waits_total", "listener waits for room in the bus queue")),
      tcp_refused(r.counter("collector_tcp_refused_total", "TCP connections refused at the limit")),
      tcp_closed_idle(r.counter("collector_tcp_closed_total", "TCP connections closed", R"(reason="idle")")),
      tcp_closed_bad_stream(r.counter("collector_tcp_closed_total", "TCP connections closed", R"(reason="not_hep")")),
      tcp_connections(r.gauge("collector_tcp_connections", "open TCP connections")),
      queue_depth(r.gauge("collector_queue_batches", "batches waiting for the bus")) {
  for (size_t i = 0; i < decode_errors.size(); ++i) {
    const std::string reason(toString(static_cast<HepError>(i)));
    decode_errors[i] =
        &r.counter("collector_dropped_total", "packets dropped", "reason=\"hep_" + reason + "\"");
  }
}

}  // namespace sipvault
