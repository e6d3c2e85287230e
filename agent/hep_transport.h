#pragma once
// HEP transports: how encoded HEP packets leave for one collector.
//
//   UdpTransport  a connected UDP socket; each batch goes out with sendmmsg (one syscall per
//                 up to 64 datagrams). ICMP "port unreachable" comes back as ECONNREFUSED and
//                 marks the collector unhealthy for a backoff period.
//   TcpTransport  a nonblocking TCP connection with a bounded send queue (whole HEP packets;
//                 beyond the bound new packets are dropped and counted). When the connection
//                 drops, it reconnects with exponential backoff; a packet that was half written
//                 is sent again whole on the new connection (the collector discarded the
//                 half with the old connection). Bytes the kernel had accepted but not
//                 delivered when the peer went away are lost: TCP gives no way to know them.
//   TcpTransport  for "tls:" too: the same connection, queue, backoff and failover, with a TLS
//   (tls:)        handshake after the TCP connect (within the connect timeout) and the HEP
//                 stream inside TLS. A failed handshake (certificate not trusted or for another
//                 name, collector refusing our certificate, not TLS) counts as a connect failure
//                 and a TLS handshake failure, is logged (rate-limited) and retried with backoff.
//                 A collector asking for a client certificate when none is configured is such
//                 a failure too (rather than sending into a connection it will refuse). Under
//                 TLS 1.3 the collector judges our certificate after our handshake is done, so
//                 nothing is sent before its verdict: its session ticket (accepted) or its
//                 alert (refused); a collector that sends no ticket gets the connect timeout
//                 to refuse, then counts as accepted.
//                 The TLS policy (CA, client certificate, or no verification) is the context
//                 in TransportOptions::tls.
//
// Threads: a transport belongs to the sender thread (HepOutput); not thread-safe.
// Time comes in as a steady_clock time point so tests and the sender share one clock.
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "agent/agent_metrics.h"
#include "agent/hep_batch.h"
#include "common/endpoint.h"
#include "common/log.h"
#include "common/tls_context.h"

namespace sipvault::agent {

using SteadyTime = std::chrono::steady_clock::time_point;

struct TransportOptions {
  size_t tcp_queue_bytes = 4u << 20;
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{5000};
  std::chrono::milliseconds connect_timeout{3000};
  // Client context for tls: servers (TlsContext::client); required when one is configured.
  std::shared_ptr<const TlsContext> tls;
};

class HepTransport {
 public:
  virtual ~HepTransport() = default;
  [[nodiscard]] virtual const std::string& name() const = 0;  // "udp:127.0.0.1:9060"
  // Healthy = worth sending to now: UDP without a recent refusal, TCP connected.
  [[nodiscard]] virtual bool healthy(SteadyTime now) const = 0;
  // Takes packets [first, batch.size()) of the batch: UDP sends them, TCP queues them.
  virtual void send(const HepBatch& batch, size_t first, SteadyTime now) = 0;
  // Progress without new data: connect, write the queue, notice a closed peer, retry timers.
  virtual void service(SteadyTime now) = 0;
  // HEP bytes / packets waiting to be written (TCP queue); 0 for UDP.
  [[nodiscard]] virtual size_t pendingBytes() const { return 0; }
  [[nodiscard]] virtual size_t pendingPackets() const { return 0; }
  // Whether service() has something to do soon (a queue to write, a connect in progress).
  [[nodiscard]] virtual bool busy() const { return false; }
  // How soon service() is wanted: soon while busy, at the reconnect time when away, else long.
  [[nodiscard]] virtual std::chrono::milliseconds serviceIn(SteadyTime now) const {
    return std::chrono::milliseconds(1000);
  }
  // Gives up what is still queued (at the end of the drain timeout); returns how many packets.
  virtual size_t discardPending() { return 0; }
};

class UdpTransport final : public HepTransport {
 public:
  // Throws std::runtime_error when the address does not resolve or the socket fails.
  UdpTransport(const HostPort& server, const TransportOptions& options, AgentMetrics& metrics, Log log);
  ~UdpTransport() override;

  [[nodiscard]] const std::string& name() const override { return name_; }
  [[nodiscard]] bool healthy(SteadyTime now) const override { return now >= unhealthy_until_; }
  void send(const HepBatch& batch, size_t first, SteadyTime now) override;
  void service(SteadyTime) override {}

 private:
  void refused(SteadyTime now);

  std::string name_;
  int fd_ = -1;
  TransportOptions options_;
  AgentMetrics& metrics_;
  Log log_;
  RateLimiter error_log_{std::chrono::seconds(10)};
  SteadyTime unhealthy_until_{};
  std::chrono::milliseconds backoff_{};
};

class TcpTransport final : public HepTransport {
 public:
  // Throws std::runtime_error when the address does not resolve (or a tls: server has no
  // options.tls). Connecting starts at the first service() call; failures are retried, never fatal.
  TcpTransport(const HostPort& server, const TransportOptions& options, AgentMetrics& metrics, Log log);
  ~TcpTransport() override;

  [[nodiscard]] const std::string& name() const override { return name_; }
  [[nodiscard]] bool healthy(SteadyTime) const override { return state_ == State::Connected; }
  void send(const HepBatch& batch, size_t first, SteadyTime now) override;
  void service(SteadyTime now) override;
  [[nodiscard]] size_t pendingBytes() const override { return buf_.size() - head_; }
  [[nodiscard]] size_t pendingPackets() const override { return lens_.size(); }
  [[nodiscard]] bool busy() const override {
    return state_ == State::Connecting || state_ == State::Handshaking ||
           (state_ == State::Connected && pendingBytes() > 0);
  }
  [[nodiscard]] std::chrono::milliseconds serviceIn(SteadyTime now) const override;
  size_t discardPending() override;

 private:
  enum class State : uint8_t { Idle, Connecting, Handshaking, Connected };
  void startConnect(SteadyTime now);
  void finishConnect(SteadyTime now);  // TCP is up: handshake (tls) or connected (tcp)
  void stepHandshake(SteadyTime now);
  void connected(SteadyTime now);
  void lost(SteadyTime now, const std::string& why);
  void tlsFailed(SteadyTime now, const std::string& why, bool certificate);
  void tlsLost(SteadyTime now, bool closed);  // the session ended (closed / failed) after the handshake
  // Writes what the connection takes now: > 0 bytes, 0 = would block, -1 = lost (handled).
  ssize_t writeSome(const char* data, size_t size, SteadyTime now);
  void readTls(SteadyTime now);  // collectors send nothing but TLS housekeeping and alerts
  void writeQueue(SteadyTime now);
  void countWritten(size_t bytes);
  void updateGauge();

  std::string name_;
  std::string server_name_;                  // host as configured: checked against the certificate
  std::shared_ptr<const TlsContext> tls_ctx_;  // set for tls:
  std::unique_ptr<TlsSession> tls_;            // while Handshaking / Connected over TLS
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  TransportOptions options_;
  AgentMetrics& metrics_;
  Log log_;
  RateLimiter error_log_{std::chrono::seconds(10)};
  RateLimiter full_log_{std::chrono::seconds(10)};

  int fd_ = -1;
  State state_ = State::Idle;
  SteadyTime next_attempt_{};
  SteadyTime connect_deadline_{};
  std::chrono::milliseconds backoff_{};
  std::chrono::milliseconds backoff_before_connect_{};  // restored when TLS turns out refused after all

  // Send queue: whole HEP packets back to back in buf_[head_, end); lens_ their sizes;
  // front_written_ bytes of the first packet are already in the kernel.
  std::string buf_;
  size_t head_ = 0;
  std::deque<uint32_t> lens_;
  size_t front_written_ = 0;
  int64_t gauge_bytes_ = 0;  // what this transport added to metrics_.queued_bytes
};

// Builds the transport named by server.scheme ("udp", "tcp" or "tls").
[[nodiscard]] std::unique_ptr<HepTransport> makeTransport(const HostPort& server, const TransportOptions& options,
                                                          AgentMetrics& metrics, Log log);

}  // namespace sipvault::agent
