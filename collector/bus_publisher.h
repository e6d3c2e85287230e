#pragma once
// Owns the ZeroMQ PUSH socket toward the parsers and feeds it from the batch queue on its own
// thread. While no parser takes batches, it keeps the batch and retries: the queue fills and the
// listeners block (backpressure), nothing is thrown away.
//
// Two modes:
// - fire and forget (no ack input): a batch is done once ZeroMQ took it. What a parser holds when
//   it dies, or what sits in ZeroMQ pipes, is lost.
// - at-least-once (AckSettings given, RELIABILITY.md section 1): every batch is stamped with
//   this process's sender_id and a sequence, held in an UnackedWindow until a writer acks it over
//   the ack SUB socket, and pushed again after ack_timeout (at most max_resends times, then given
//   up and counted). A full window stops taking from the queue (backpressure as above).
//
// Thread model: start() runs the loop on an internal thread; the sockets and the window belong to
// it. drainAndStop() and the accessors are for the owning thread; unacked() only after drainAndStop().
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "collector/batch_builder.h"
#include "collector/unacked_window.h"
#include "common/batch_ack.h"
#include "common/bus.h"
#include "common/log.h"

namespace sipvault::collector {

struct AckSettings {
  std::vector<BusEndpoint> input;  // where writers publish acks (collector binds, typically)
  uint64_t sender_id = 0;          // non-zero, see randomSenderId()
  std::chrono::milliseconds ack_timeout{5000};
  int max_resends = 3;
  size_t window_bytes = size_t{256} << 20;
};

// A random non-zero id, new per process start, so a restarted collector never gets acks meant
// for its previous life.
[[nodiscard]] uint64_t randomSenderId();

// Sets sender_id and sequence on a serialized wire::PacketBatch without parsing it: Protobuf
// merges concatenated messages and the last value of a scalar field wins.
void stampBatch(std::string& batch_bytes, uint64_t sender_id, uint64_t sequence);

class BusPublisher {
 public:
  // acks: nullopt = fire and forget. Throws zmq::error_t on a bad endpoint (start-up only).
  BusPublisher(zmq::context_t& ctx, const std::vector<BusEndpoint>& endpoints, int hwm, BatchQueue& queue,
               CollectorMetrics& metrics, std::optional<AckSettings> acks = std::nullopt);
  ~BusPublisher();

  void start();
  // Call after queue.close(): sends everything left and, with acks, waits until every batch is
  // acked (resending as needed); gives up after `deadline`.
  void drainAndStop(std::chrono::milliseconds deadline);
  [[nodiscard]] std::vector<std::string> boundAddresses() const { return socket_.boundAddresses(); }
  [[nodiscard]] std::vector<std::string> ackBoundAddresses() const;
  // Batches that never reached a parser (both modes) or, with acks, were still unacked at stop.
  [[nodiscard]] uint64_t undelivered() const { return undelivered_.load(); }
  // With acks: sequences still unacked when the loop ended (for the shutdown log).
  [[nodiscard]] std::vector<uint64_t> unacked() const { return window_ ? window_->sequences() : std::vector<uint64_t>{}; }

 private:
  void run();
  void runAcked();
  void takeAcks(std::chrono::milliseconds wait);
  void resendOverdue(UnackedWindow::Clock::time_point now);
  void updateWindowGauges();

  BusSocket socket_;
  BatchQueue& queue_;
  CollectorMetrics& metrics_;
  std::optional<AckSettings> acks_;
  std::unique_ptr<AckSubscriber> ack_socket_;
  std::unique_ptr<UnackedWindow> window_;
  uint64_t next_sequence_ = 1;
  std::vector<uint64_t> acked_scratch_;
  Log log_ = Log::get("collector");
  RateLimiter gave_up_log_{std::chrono::seconds(10)};
  std::thread thread_;
  std::atomic<bool> finished_{false};
  std::atomic<bool> giving_up_{false};
  std::atomic<uint64_t> undelivered_{0};
};

}  // namespace sipvault::collector
