#pragma once
// HepOutput: hands HEP batches to the first healthy collector, in the order given (-H ...).
// When none is healthy, a TCP collector (the first one) queues the batch for its reconnect;
// with UDP only, the first collector gets it anyway and refusals are counted.
//
// Two modes, chosen by the owner:
//   Inline    one capture thread (the usual case: one -i, or -r) sends its batches itself: no
//             hand-off, no second thread to wake per batch. It must call service() when
//             serviceIn() says (TCP connects, backlog writes, reconnect timers).
//   Threaded  several capture threads submit() into a bounded queue; a sender thread pops the
//             batches, sends them and services the transports.
//
// Threads: Inline: every call from the one capture thread (drainAndStop() after it stopped).
// Threaded: submit() from any thread, the rest from the owner.
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
  enum class Mode : uint8_t { Inline, Threaded };

  // Throws std::runtime_error naming the server when an address does not resolve.
  HepOutput(Mode mode, const std::vector<HostPort>& servers, const TransportOptions& options,
            size_t queue_batches, AgentMetrics& metrics, Log log);
  ~HepOutput();
  HepOutput(const HepOutput&) = delete;
  HepOutput& operator=(const HepOutput&) = delete;

  // Waits (up to the connect timeout) for the first TCP connects to succeed or fail, so that a
  // healthy primary is not skipped merely because its handshake was under way; then, when
  // Threaded, starts the sender thread.
  void start();

  // Threaded: wait = false drops the batch when the queue is full (counted as queue_full);
  // wait = true blocks for room (replay: the file can wait). Inline: sends now; wait = true
  // also lets a connected but slow TCP collector drain before its queue would overflow.
  // False when the batch was dropped.
  bool submit(HepBatch&& batch, bool wait);

  // Inline: progress without new data (connect, write backlog, notice a closed peer, retry).
  void service();
  // Inline: how soon service() is wanted (long when all is quiet).
  [[nodiscard]] std::chrono::milliseconds serviceIn() const;

  void drainAndStop(std::chrono::milliseconds timeout);

 private:
  void run();
  void route(const HepBatch& batch, SteadyTime now);
  void serviceAll(SteadyTime now);
  [[nodiscard]] bool anyBusy() const;
  [[nodiscard]] size_t pendingPackets() const;
  void waitForRoom(const HepBatch& batch);

  Mode mode_;
  std::vector<std::unique_ptr<HepTransport>> transports_;
  BoundedQueue<HepBatch> queue_;
  AgentMetrics& metrics_;
  Log log_;
  std::thread thread_;
  std::atomic<int64_t> drain_deadline_ns_{0};
  int active_ = -1;  // transport index that got the last batch
  std::chrono::milliseconds first_connect_wait_;
  size_t tcp_queue_bytes_;
  bool stopped_ = false;
};

}  // namespace sipvault::agent
