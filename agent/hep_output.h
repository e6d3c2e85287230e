#pragma once
// HepOutput: the sender thread. Capture threads submit() HEP batches into a bounded queue; the
// sender pops them and hands each to the first healthy collector, in the order given (-H ...).
// When none is healthy, a TCP collector (the first one) queues the batch for its reconnect;
// with UDP only, the first collector gets it anyway and refusals are counted.
//
// Threads: submit() from any thread; everything else from the thread that owns the output.
// Shutdown: drainAndStop() sends what is queued (TCP: until written or the timeout), then
// counts whatever is left as dropped (reason "shutdown").
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "agent/agent_metrics.h"
#include "agent/hep_batch.h"
#include "agent/hep_transport.h"
#include "common/bounded_queue.h"
#include "common/log.h"

namespace sipvault::agent {

class HepOutput {
 public:
  // Throws std::runtime_error naming the server when an address does not resolve.
  HepOutput(const std::vector<HostPort>& servers, const TransportOptions& options, size_t queue_batches,
            AgentMetrics& metrics, Log log);
  ~HepOutput();
  HepOutput(const HepOutput&) = delete;
  HepOutput& operator=(const HepOutput&) = delete;

  // Starts the sender thread, after waiting (up to the connect timeout) for the first TCP
  // connects to succeed or fail.
  void start();
  // wait = false: a full queue drops the batch (counted as queue_full) and returns false.
  // wait = true: blocks until there is room (replay: the file can wait for the network);
  // false only when the output is stopping.
  bool submit(HepBatch&& batch, bool wait);
  void drainAndStop(std::chrono::milliseconds timeout);

  // Packets still waiting (queue + TCP send queues); for logs.
  [[nodiscard]] size_t queuedBatches() const { return queue_.size(); }

 private:
  void run();
  void route(const HepBatch& batch, SteadyTime now);
  void serviceAll(SteadyTime now);
  [[nodiscard]] bool anyBusy() const;

  std::vector<std::unique_ptr<HepTransport>> transports_;
  BoundedQueue<HepBatch> queue_;
  AgentMetrics& metrics_;
  Log log_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> drain_deadline_ns_{0};
  int active_ = -1;  // transport index that got the last batch
  std::chrono::milliseconds first_connect_wait_;
};

}  // namespace sipvault::agent
