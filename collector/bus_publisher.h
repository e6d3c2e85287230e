#pragma once
// Owns the ZeroMQ PUSH socket toward the parsers and feeds it from the batch queue on its own
// thread. While no parser takes batches, it keeps the batch and retries: the queue fills and the
// listeners block (backpressure), nothing is thrown away.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "collector/batch_builder.h"
#include "common/bus.h"

namespace sipvault {

class BusPublisher {
 public:
  BusPublisher(zmq::context_t& ctx, const std::vector<BusEndpoint>& endpoints, int hwm, BatchQueue& queue,
               CollectorMetrics& metrics);
  ~BusPublisher();

  void start();
  // Call after queue.close(): sends everything left, waiting at most `deadline` for parsers.
  void drainAndStop(std::chrono::milliseconds deadline);
  [[nodiscard]] std::vector<std::string> boundAddresses() const { return socket_.boundAddresses(); }
  [[nodiscard]] uint64_t undelivered() const { return undelivered_.load(); }

 private:
  void run();

  BusSocket socket_;
  BatchQueue& queue_;
  CollectorMetrics& metrics_;
  std::thread thread_;
  std::atomic<bool> giving_up_{false};
  std::atomic<uint64_t> undelivered_{0};
};

}  // namespace sipvault
