#include "collector/collector_options.h"

#include <Poco/Exception.h>
#include <Poco/NumberParser.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <cstdint>

#include "common/config_values.h"

namespace sipvault::collector {
CollectorOptions CollectorOptions::fromConfig(const Poco::Util::AbstractConfiguration& c) {
  CollectorOptions o;
  o.udp_listen = splitList(c.getString("collector.udp", joinList(o.udp_listen)));
  o.udp_sockets = static_cast<int>(intInRange(c, "collector.udp_sockets", o.udp_sockets, 1, 64));
  o.udp_rcvbuf = static_cast<int>(intInRange(c, "collector.udp_rcvbuf", o.udp_rcvbuf, 0, INT32_MAX));
  o.tcp_listen = splitList(c.getString("collector.tcp", joinList(o.tcp_listen)));
  o.tcp_max_connections =
      static_cast<int>(intInRange(c, "collector.tcp_max_connections", o.tcp_max_connections, 1, 1000000));
  o.tcp_max_per_source =
      static_cast<int>(intInRange(c, "collector.tcp_max_per_source", o.tcp_max_per_source, 1, 1000000));
  o.tcp_first_packet_timeout = std::chrono::seconds(
      intInRange(c, "collector.tcp_first_packet_timeout_s", o.tcp_first_packet_timeout.count(), 1, 86400));
  o.tcp_idle_timeout = std::chrono::seconds(
      intInRange(c, "collector.tcp_idle_timeout_s", o.tcp_idle_timeout.count(), 1, 86400));
  o.tls_listen = splitList(c.getString("collector.tls", ""));
  o.tls_cert = c.getString("collector.tls_cert", "");
  o.tls_key = c.getString("collector.tls_key", "");
  o.tls_ca = c.getString("collector.tls_ca", "");
  o.tls_handshake_timeout = std::chrono::seconds(
      intInRange(c, "collector.tls_handshake_timeout_s", o.tls_handshake_timeout.count(), 1, 600));
  if (!o.tls_listen.empty() && (o.tls_cert.empty() || o.tls_key.empty()))
    throw Poco::InvalidArgumentException("collector.tls_cert / collector.tls_key: required when collector.tls is set");
  o.ipip = boolValue(c, "collector.ipip", o.ipip);
  o.ipip_bind = c.getString("collector.ipip_bind", o.ipip_bind);
  for (const std::string& prefix : splitList(c.getString("collector.ipip_allow", ""))) {
    auto parsed = parseIpv4Prefix(prefix);
    if (!parsed)
      throw Poco::InvalidArgumentException("collector.ipip_allow: '" + prefix +
                                           "' is not an IPv4 address or prefix (A.B.C.D/N)");
    o.ipip_allow.push_back(*parsed);
  }
  o.auth_key = c.getString("collector.auth_key", o.auth_key);
  for (const std::string& id : splitList(c.getString("collector.capture_ids", ""))) {
    unsigned v = 0;
    if (!Poco::NumberParser::tryParseUnsigned(id, v))
      throw Poco::InvalidArgumentException("collector.capture_ids: '" + id + "' is not a number");
    o.capture_ids.insert(v);
  }
  o.output = c.getString("collector.output", o.output);
  o.collector_id = static_cast<uint32_t>(intInRange(c, "collector.id", o.collector_id, 0, UINT32_MAX));
  o.batch_packets = static_cast<int>(intInRange(c, "collector.batch_packets", o.batch_packets, 1, 65536));
  o.batch_time =
      std::chrono::milliseconds(intInRange(c, "collector.batch_ms", o.batch_time.count(), 1, 60000));
  o.queue_batches = static_cast<int>(intInRange(c, "collector.queue_batches", o.queue_batches, 1, 1000000));
  o.queue_bytes = size_t(intInRange(c, "collector.queue_mb", int64_t(o.queue_bytes >> 20), 1, 65536)) << 20;
  o.batch_bytes = size_t(intInRange(c, "collector.batch_max_kb", int64_t(o.batch_bytes >> 10), 1, 65536))
                  << 10;
  o.max_inflated = size_t(intInRange(c, "collector.max_inflated_kb", int64_t(o.max_inflated >> 10), 1, 1024))
                   << 10;
  o.bus_hwm = static_cast<int>(intInRange(c, "collector.bus_hwm", o.bus_hwm, 1, 1000000));
  o.ack_input = c.getString("collector.ack_input", o.ack_input);
  o.ack_timeout = std::chrono::milliseconds(intInRange(c, "collector.ack_timeout_ms", o.ack_timeout.count(), 10, 600000));
  o.max_resends = static_cast<int>(intInRange(c, "collector.max_resends", o.max_resends, 0, 1000));
  o.ack_window_bytes = size_t(intInRange(c, "collector.ack_window_mb", int64_t(o.ack_window_bytes >> 20), 1, 65536)) << 20;
  o.drain_timeout = std::chrono::milliseconds(
      intInRange(c, "collector.drain_timeout_ms", o.drain_timeout.count(), 0, 3600000));
  return o;
}

}  // namespace sipvault::collector
