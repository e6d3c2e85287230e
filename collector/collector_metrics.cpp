#include "collector/collector_metrics.h"

#include <string>

namespace sipvault::collector {

CollectorMetrics::CollectorMetrics(MetricsRegistry& r)
    : udp_datagrams(
          r.counter("collector_received_total", "HEP/IP-in-IP units received", R"(transport="udp")")),
      tcp_frames(r.counter("collector_received_total", "HEP/IP-in-IP units received", R"(transport="tcp")")),
      ipip_packets(
          r.counter("collector_received_total", "HEP/IP-in-IP units received", R"(transport="ipip")")),
      accepted(r.counter("collector_accepted_total", "packets accepted into batches")),
      keepalives(r.counter("collector_keepalives_total", "HEP keep-alive packets")),
      hep12_wrong_header_length(r.counter("collector_hep_quirks_total",
                                          "HEP packets decoded despite a sender quirk",
                                          R"(quirk="v1v2_header_length")")),
      auth_rejected(r.counter("collector_dropped_total", "packets dropped", R"(reason="auth_key")")),
      capture_id_rejected(r.counter("collector_dropped_total", "packets dropped", R"(reason="capture_id")")),
      ipip_not_decoded(
          r.counter("collector_dropped_total", "packets dropped", R"(reason="ipip_undecodable")")),
      ipip_source_rejected(
          r.counter("collector_dropped_total", "packets dropped", R"(reason="ipip_source")")),
      kernel_udp_drops(
          r.counter("collector_dropped_total", "packets dropped", R"(reason="kernel_udp_buffer")")),
      batches_sent(r.counter("collector_batches_sent_total", "batches pushed to parsers")),
      bus_blocked(
          r.counter("collector_backpressure_waits_total", "listener waits for room in the bus queue")),
      dropped_at_stop(r.counter("collector_dropped_total", "packets dropped", R"(reason="shutdown")")),
      batches_undelivered(
          r.counter("collector_batches_undelivered_total", "batches not delivered (or not acked) at stop")),
      tcp_refused(r.counter("collector_tcp_refused_total", "TCP connections refused at the limit")),
      tcp_closed_idle(r.counter("collector_tcp_closed_total", "TCP connections closed", R"(reason="idle")")),
      tcp_closed_bad_stream(
          r.counter("collector_tcp_closed_total", "TCP connections closed", R"(reason="not_hep")")),
      tcp_refused_per_source(r.counter("collector_tcp_refused_per_source_total",
                                       "TCP connections refused at collector.tcp_max_per_source")),
      tcp_closed_no_hep(
          r.counter("collector_tcp_closed_total", "TCP connections closed", R"(reason="no_hep")")),
      tcp_connections(r.gauge("collector_tcp_connections", "open TCP connections")),
      tls_frames(r.counter("collector_received_total", "HEP/IP-in-IP units received", R"(transport="tls")")),
      tls_refused(r.counter("collector_tls_refused_total", "TLS connections refused at the limit")),
      tls_closed_idle(r.counter("collector_tls_closed_total", "TLS connections closed", R"(reason="idle")")),
      tls_closed_bad_stream(
          r.counter("collector_tls_closed_total", "TLS connections closed", R"(reason="not_hep")")),
      tls_refused_per_source(r.counter("collector_tls_refused_per_source_total",
                                       "TLS connections refused at collector.tcp_max_per_source")),
      tls_closed_no_hep(
          r.counter("collector_tls_closed_total", "TLS connections closed", R"(reason="no_hep")")),
      tls_closed_error(
          r.counter("collector_tls_closed_total", "TLS connections closed", R"(reason="tls_error")")),
      tls_handshakes(r.counter("collector_tls_handshakes_total", "TLS handshakes completed")),
      tls_failed_protocol(r.counter("collector_tls_handshake_failures_total", "TLS handshakes that failed",
                                    R"(reason="protocol")")),
      tls_failed_certificate(r.counter("collector_tls_handshake_failures_total", "TLS handshakes that failed",
                                       R"(reason="certificate")")),
      tls_failed_timeout(r.counter("collector_tls_handshake_failures_total", "TLS handshakes that failed",
                                   R"(reason="timeout")")),
      tls_connections(r.gauge("collector_tls_connections", "open TLS connections")),
      queue_depth(r.gauge("collector_queue_batches", "batches waiting for the bus")),
      batches_acked(r.counter("collector_batches_acked_total", "batches a writer acked as durable")),
      batches_resent(r.counter("collector_batches_resent_total", "batches pushed again for want of an ack")),
      batches_gave_up(
          r.counter("collector_batches_gave_up_total", "batches dropped unacked after max_resends")),
      acks_malformed(r.counter("collector_acks_malformed_total", "ack messages that did not decode")),
      ack_window_bytes(r.gauge("collector_ack_window_bytes", "bytes of pushed batches waiting for an ack")),
      ack_window_batches(r.gauge("collector_ack_window_batches", "pushed batches waiting for an ack")) {
  for (size_t i = 0; i < decode_errors.size(); ++i) {
    const std::string reason(toString(static_cast<HepError>(i)));
    decode_errors[i] =
        &r.counter("collector_dropped_total", "packets dropped", "reason=\"hep_" + reason + "\"");
  }
}

}  // namespace sipvault::collector
