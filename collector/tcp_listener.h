#pragma once
// HEP over TCP: one thread serving every connection with poll(). Each connection has its own
// HepStreamFramer (a read may hold half a packet or several). A connection is closed when it
// goes silent for the idle timeout, or when its bytes stop being HEP3 (counted).
// Reading stops while the batch queue is full, so TCP flow control pushes back on senders.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "collector/hep_ingest.h"

namespace sipvault {

class TcpListener {
 public:
  // Binds and listens; throws std::runtime_error with a clear message on failure.
  TcpListener(const std::string& address, int max_connections, std::chrono::seconds idle_timeout,
              const PacketAdmission& admission, CollectorMetrics& metrics, BatchQueue& queue, uint32_t collector_id,
              int batch_packets, std::chrono::milliseconds batch_time);
  ~TcpListener();

  void start();
  void stop();  // closes connections after flushing what they delivered
  [[nodiscard]] std::string boundAddress() const { return bound_; }

 private:
  struct Connection;
  void run();
  void acceptAll();
  bool readFrom(Connection& c);  // false: close it

  int listen_fd_ = -1;
  int max_connections_;
  std::chrono::seconds idle_timeout_;
  CollectorMetrics& metrics_;
  BatchBuilder batch_;
  HepIngest ingest_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::string bound_;
};

}  // namespace sipvault
