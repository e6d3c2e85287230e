#pragma once
// The DB thread: takes batches off the RowQueue, gathers them into insert batches, and writes each
// through a RowSink until it is written.
//
// Flush policy: an insert batch is written when it holds `batch_rows` rows, or `flush` after its
// first row arrived, whichever comes first (and at once when the queue is closed).
// Failure policy: RetryLater -> the same batch again after a backoff (initial, doubling, capped)
// for as long as it takes; meanwhile the queue fills and the receiver stops pulling (backpressure).
// Rejected (the server refused the data) `rejected_attempts` times -> the batch is dropped, logged
// as an error and counted (writer_rows_dropped_total{reason="db_rejected"}).
// Drain: after beginDrain(), the thread writes what is pending and queued; if the sink still fails
// once drain_timeout has passed, what is left is dropped, logged and counted
// (reason="shutdown_db_down") so that shutdown ends.
#include <atomic>
#include <chrono>
#include <thread>

#include "common/log.h"
#include "writer/row_queue.h"
#include "writer/row_sink.h"
#include "writer/writer_metrics.h"

namespace sipvault {

struct BatchPolicy {
  size_t batch_rows = 2000;                       // writer.batch_rows
  std::chrono::milliseconds flush{200};           // writer.flush_ms
  std::chrono::milliseconds retry_initial{100};   // writer.retry_initial_ms
  std::chrono::milliseconds retry_max{5000};      // writer.retry_max_ms
  int rejected_attempts = 3;                      // tries before a refused batch is dropped
  std::chrono::milliseconds drain_timeout{30000}; // writer.drain_timeout_s (seconds in the config)
};

class BatchWriter {
 public:
  BatchWriter(RowQueue& queue, RowSink& sink, BatchPolicy policy, WriterMetrics& metrics, Log log);
  ~BatchWriter();

  void start();
  // Starts the drain clock (call when shutdown begins, before the queue is closed).
  void beginDrain();
  // Waits for the thread to end: it ends once the queue is closed and everything is written or
  // given up. Close the queue first.
  void join();

 private:
  void run();
  void flush(RowBatch& pending);
  [[nodiscard]] bool drainExpired() const;

  RowQueue& queue_;
  RowSink& sink_;
  const BatchPolicy policy_;
  WriterMetrics& metrics_;
  Log log_;
  RateLimiter retry_log_{std::chrono::seconds(5)};
  std::atomic<int64_t> drain_deadline_ns_{0};  // 0 = not draining
  bool abandon_ = false;                        // drain timed out with the sink down: drop the rest
  std::thread thread_;
};

}  // namespace sipvault
