#pragma once
// HEP over TCP, and HEP over TLS: one thread serving every connection with poll(). Each
// connection has its own HepStreamFramer (a read may hold half a packet or several). A
// connection is closed when it goes silent for the idle timeout, or when its bytes stop being
// HEP3 (counted). Reading stops while the batch queue is full, so TCP flow control pushes back
// on senders. Slots are guarded (TcpLimits): at most max_per_source connections per source
// address, and a connection must deliver a valid HEP packet within first_packet_timeout or it is
// closed; both counted, so a few hosts opening idle or junk connections cannot hold every slot.
//
// TLS (collector.tls): the same loop, with a non-blocking TLS session per connection. A new
// connection first completes its handshake within the handshake timeout; inside TLS the bytes
// are the same HEP3 stream, framed, admitted and counted as for TCP (counters named tls_*).
// Handshake failures (not TLS, no common version, client certificate missing or refused,
// timeout) close that connection, are counted by reason and logged (rate-limited); nothing on
// one connection waits for another, so a slow or silent TLS client holds up no one.
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "collector/hep_ingest.h"
#include "common/log.h"

namespace sipvault {
class TlsContext;
}

namespace sipvault::collector {

// How many connections, from whom, for how long (collector.tcp_*).
struct TcpLimits {
  int max_connections = 1024;
  int max_per_source = 64;  // per source IP address
  std::chrono::seconds first_packet_timeout{
      10};  // from accept (TLS: from the handshake) to a valid HEP packet
  std::chrono::seconds idle_timeout{300};
};

// What turns a TCP listener into a TLS one.
struct TlsListenerOptions {
  std::shared_ptr<const TlsContext> context;   // a TlsContext::server (shared, immutable)
  std::chrono::seconds handshake_timeout{10};  // collector.tls_handshake_timeout_s
  Log log;                                     // handshake failures, rate-limited
};

class TcpListener {
 public:
  // Binds and listens; throws std::runtime_error with a clear message on failure.
  // With `tls`, every connection speaks TLS (see above).
  TcpListener(const std::string& address, TcpLimits limits, const IngestContext& context,
              std::optional<TlsListenerOptions> tls = std::nullopt);
  ~TcpListener();

  void start();
  void stop();  // closes connections after flushing what they delivered
  [[nodiscard]] std::string boundAddress() const { return bound_; }
  [[nodiscard]] bool tls() const { return tls_.has_value(); }

 private:
  struct Connection;
  // The counters of this listener's transport (tcp_* or tls_*).
  struct StreamCounters {
    Counter* frames;
    Counter* refused;
    Counter* closed_idle;
    Counter* closed_bad_stream;
    Counter* refused_per_source;
    Counter* closed_no_hep;
    Gauge* connections;
  };
  void run();
  void acceptAll(std::chrono::steady_clock::time_point now);
  bool service(Connection& c, std::chrono::steady_clock::time_point now);  // false: close it
  bool readPlain(Connection& c, std::chrono::steady_clock::time_point now);
  bool readTls(Connection& c, std::chrono::steady_clock::time_point now);
  bool deliver(Connection& c, std::span<const uint8_t> bytes);  // frames + ingests; false: not HEP
  void handshakeFailed(const Connection& c, Counter& counter, const char* reason, const std::string& error);
  void updateGauge();
  void close(size_t index);  // forgets connections_[index] and its source's count

  int listen_fd_ = -1;
  const TcpLimits limits_;
  CollectorMetrics& metrics_;
  StreamCounters counters_;
  std::optional<TlsListenerOptions> tls_;
  RateLimiter tls_log_{std::chrono::seconds(10)};
  BatchBuilder batch_;
  HepIngest ingest_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::unordered_map<std::string, int> per_source_;  // open connections by source address
  int64_t gauge_reported_ = 0;  // what this listener added to counters_.connections
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::string bound_;
};

}  // namespace sipvault::collector
