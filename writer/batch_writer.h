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
// (reason="shutdown_db_down") so that shutdown ends. (With the spool, the sink takes it instead.)
// Acks (RELIABILITY.md section 1, "writer rule"): the acks of a queued batch ride with the insert
// batch that holds its rows and are handed to `on_durable` right after the sink answered Written;
// insert batches are written in order, so everything before is durable too. A queued batch with
// no rows is acked with the insert batch pending when it arrives, or at once when none is.
// Batches the database refused as data are acked too (given up for good: resending cannot help);
// rows dropped at the drain timeout are not (the collector resends them to a writer that works).
// Idle: when nothing is pending and the queue stayed empty for 100 ms (0 while the sink says it
// has more to do), the thread calls sink.idle() (spool replay).
#include <atomic>
#include <chrono>
#include <functional>
#include <span>
#include <thread>
#include <vector>

#include "common/log.h"
#include "writer/row_queue.h"
#include "writer/row_sink.h"
#include "writer/writer_metrics.h"

namespace sipvault::writer {

struct BatchPolicy {
  size_t batch_rows = 2000;                       // writer.batch_rows
  std::chrono::milliseconds flush{200};           // writer.flush_ms
  std::chrono::milliseconds retry_initial{100};   // writer.retry_initial_ms
  std::chrono::milliseconds retry_max{5000};      // writer.retry_max_ms
  int rejected_attempts = 3;                      // tries before a refused batch is dropped
  std::chrono::milliseconds drain_timeout{30000}; // writer.drain_timeout_s (seconds in the config)
};

// Told which PacketBatches are durable; called on the DB thread.
using DurableListener = std::function<void(std::span<const BatchRef>)>;

class BatchWriter {
 public:
  // `queue_rows` is the receiver's gauge of the queue depth, kept current from this side too.
  BatchWriter(RowQueue& queue, RowSink& sink, BatchPolicy policy, InsertMetrics& metrics, Gauge& queue_rows,
              Log log, DurableListener on_durable = {});
  ~BatchWriter();

  void start();
  // Starts the drain clock (call when shutdown begins, before the queue is closed).
  void beginDrain();
  // Waits for the thread to end: it ends once the queue is closed and everything is written or
  // given up. Close the queue first.
  void join();

 private:
  enum class FlushOutcome { Written, Refused, Abandoned };
  void run();
  [[nodiscard]] FlushOutcome flush(store::RowBatch& pending);
  void durable(std::vector<BatchRef>& acks);
  [[nodiscard]] bool drainExpired() const;

  RowQueue& queue_;
  RowSink& sink_;
  const BatchPolicy policy_;
  InsertMetrics& metrics_;
  Gauge& queue_rows_;
  Log log_;
  DurableListener on_durable_;
  RateLimiter retry_log_{std::chrono::seconds(5)};
  std::atomic<int64_t> drain_deadline_ns_{0};  // 0 = not draining
  bool abandon_ = false;                        // drain timed out with the sink down: drop the rest
  std::thread thread_;
};

}  // namespace sipvault::writer
