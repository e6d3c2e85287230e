#pragma once
// HEP over UDP: one thread per socket, reading up to 64 datagrams per recvmmsg() call.
// Several sockets may share one address with SO_REUSEPORT (the kernel spreads senders over
// them). Kernel drops at a full receive buffer are read from SO_RXQ_OVFL and counted.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "collector/hep_ingest.h"

namespace sipvault::collector {

class UdpListener {
 public:
  // Opens and binds the sockets; throws std::runtime_error with a clear message on failure.
  UdpListener(const std::string& address, int sockets, int rcvbuf, const IngestContext& context);
  ~UdpListener();

  void start();
  // Stops reading, flushes partial batches into the queue, joins the threads.
  void stop();
  [[nodiscard]] std::string boundAddress() const { return bound_; }

 private:
  struct Worker;
  void run(Worker& w);
  void countKernelDrops(Worker& w, uint32_t drops);
  void pollKernelDrops(Worker& w);

  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stopping_{false};
  std::string bound_;
  const IngestContext& context_;
  CollectorMetrics& metrics_;
};

}  // namespace sipvault::collector
