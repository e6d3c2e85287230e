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

namespace sipvault::collector {

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
  // HEP over TLS listen addresses (the TCP stream inside TLS); "" = off (default). collector.tls
  // (comma-separated; 9061 is the usual port). Limits as for TCP (tcp_max_connections, idle timeout).
  std::vector<std::string> tls_listen;
  // PEM certificate chain and its private key; required when collector.tls is set.
  // collector.tls_cert, collector.tls_key
  std::string tls_cert;
  std::string tls_key;
  // PEM CA bundle: when set, TLS clients must present a certificate it signed (mutual TLS).
  // collector.tls_ca ("" = no client certificates asked for)
  std::string tls_ca;
  // A TLS handshake not finished within this is dropped and counted. collector.tls_handshake_timeout_s
  std::chrono::seconds tls_handshake_timeout{10};
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
  // At-least-once delivery: where writers publish acks (endpoint list, usually bind:tcp://...:5561).
  // "" = off (default): batches are fire and forget, sender_id 0. collector.ack_input
  std::string ack_input;
  // A batch unacked this long after its last push is pushed again. collector.ack_timeout_ms
  std::chrono::milliseconds ack_timeout{5000};
  // Resends per batch before it is dropped and counted (gave_up). collector.max_resends
  int max_resends = 3;
  // Bytes of unacked batches held; when full, no new batch is taken (backpressure). collector.ack_window_mb
  size_t ack_window_bytes = size_t{256} << 20;
  // On SIGTERM, how long to wait for parsers to take the queue and, with acks, for every batch to
  // be acked. collector.drain_timeout_ms
  std::chrono::milliseconds drain_timeout{10000};

  // Reads the keys above from `config`; throws Poco::Exception naming the key on a bad value.
  static CollectorOptions fromConfig(const Poco::Util::AbstractConfiguration& config);
};

}  // namespace sipvault::collector
