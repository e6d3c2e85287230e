#pragma once
// Everything sipvault-collector can be told, filled once in main from CLI + config file.
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace Poco::Util {
class AbstractConfiguration;
}

namespace sipvault {

struct CollectorOptions {
  // HEP over UDP: listen addresses (HOST:PORT; IPv4 or [IPv6]); "" = off. Key collector.udp
  // (comma-separated). Default 0.0.0.0:9060.
  std::vector<std::string> udp_listen{"0.0.0.0:9060"};
  // Sockets per UDP address, bound with SO_REUSEPORT, each read by its own thread. collector.udp_sockets
  int udp_sockets = 1;
  // Kernel receive buffer per UDP socket, bytes (raised with SO_RCVBUFFORCE when root). collector.udp_rcvbuf
  int udp_rcvbuf = 32 << 20;
  // HEP over TCP listen addresses; "" = off. collector.tcp. Default 0.0.0.0:9060.
  std::vector<std::string> tcp_listen{"0.0.0.0:9060"};
  // Concurrent TCP connections accepted; more are refused and counted. collector.tcp_max_connections
  int tcp_max_connections = 1024;
  // A TCP connection silent this long is closed. collector.tcp_idle_timeout_s
  std::chrono::seconds tcp_idle_timeout{300};
  // IP-in-IP mirror (IP protocol 4) on a raw socket: needs CAP_NET_RAW. collector.ipip (bool)
  bool ipip = false;
  // Local address to bind the raw socket to ("" = any). collector.ipip_bind
  std::string ipip_bind;
  // Optional HEP auth key: packets whose chunk 14 differs (or is missing) are dropped. collector.auth_key
  std::string auth_key;
  // Capture ids accepted (empty = all). collector.capture_ids (comma-separated)
  std::set<uint32_t> capture_ids;
  // ZeroMQ output, an endpoint list (see common/bus.h). collector.output
  std::string output = "bind:tcp://127.0.0.1:5560";
  // This collector's id, stamped on every packet (lets the writer tell sources apart). collector.id
  uint32_t collector_id = 1;
  // Batch flush policy: whichever comes first. collector.batch_packets, collector.batch_ms
  int batch_packets = 256;
  std::chrono::milliseconds batch_time{10};
  // Serialized batches queued for the bus before receivers block (backpressure). collector.queue_batches
  int queue_batches = 1024;
  // ZeroMQ high-water mark (batches per parser connection). collector.bus_hwm
  int bus_hwm = 1000;

  // Reads the keys above from `config`; throws Poco::Exception naming the key on a bad value.
  static CollectorOptions fromConfig(const Poco::Util::AbstractConfiguration& config);
};

}  // namespace sipvault
