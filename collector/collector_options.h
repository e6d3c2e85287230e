#pragma once
// Everything sipvault-collector can be told, filled once in main from CLI + config file.
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "collector/packet_admission.h"

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
  // Connections one source address may hold at once (TCP and TLS each); more are refused and
  // counted, so one host cannot take every slot. collector.tcp_max_per_source
  int tcp_max_per_source = 64;
  // A connection (TLS: after its handshake) that has not delivered one valid HEP packet within
  // this is closed and counted: bytes alone do not keep a slot. collector.tcp_first_packet_timeout_s
  std::chrono::seconds tcp_first_packet_timeout{10};
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
  // Outer IPv4 sources (prefixes "10.0.0.0/8", or addresses) IP-in-IP is taken from; others are
  // dropped and counted. Empty = any source, with a warning at start. collector.ipip_allow
  // (comma-separated)
  std::vector<collector::Ipv4Prefix> ipip_allow;
  // Optional HEP auth key: packets whose chunk 14 differs (or is missing) are dropped. collector.auth_key
  std::string auth_key;
  // Capture ids accepted (empty = all). collector.capture_ids (comma-separated)
  std::set<uint32_t> capture_ids;
  // ZeroMQ output, an endpoint list (see common/bus.h). collector.output
  std::string output = "bind:tcp://127.0.0.1:5560";
  // This collector's id, stamped on every packet (lets the writer tell sources apart). collector.id
  uint32_t collector_id = 1;
  // Compressed HEP (chunk 16) inflating past this is dropped and counted
  // (dropped_total{reason="hep_inflate_too_large"}): deflate reaches ~1000:1, so without a bound a
  // 64 KiB datagram could cost 64 MiB. collector.max_inflated_kb (1..1024), default 64 KiB.
  size_t max_inflated = size_t{64} << 10;
  // Batch flush policy: whichever comes first. collector.batch_packets, collector.batch_max_kb,
  // collector.batch_ms. One batch holds about batch_bytes (it may pass it by one packet).
  int batch_packets = 256;
  size_t batch_bytes = size_t{1} << 20;
  std::chrono::milliseconds batch_time{10};
  // Serialized batches queued for the bus before receivers block (backpressure), by count and by
  // bytes, whichever is reached first. collector.queue_batches, collector.queue_mb
  int queue_batches = 1024;
  size_t queue_bytes = size_t{64} << 20;
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
  // The collector's batch memory is bounded by bytes: listener threads x 2 x batch_bytes (a batch
  // and its serialized copy) + queue_bytes + batch_bytes (the publisher's batch in hand) +
  // ack_window_bytes, plus ZeroMQ's copies of what is in flight, which with acks are a subset of
  // the window (at most ack_window_bytes more). Without acks ZeroMQ holds up to
  // bus_hwm batches per parser connection instead (README, "Memory").
  size_t ack_window_bytes = size_t{256} << 20;
  // On SIGTERM, the whole drain's deadline: listeners flushing into the queue, parsers taking it
  // and, with acks, every batch acked. What is left then is dropped and counted.
  // collector.drain_timeout_ms
  std::chrono::milliseconds drain_timeout{10000};

  // Reads the keys above from `config`; throws Poco::Exception naming the key on a bad value.
  static CollectorOptions fromConfig(const Poco::Util::AbstractConfiguration& config);
};

}  // namespace sipvault::collector
