#pragma once
// The bounded hand-off between the ZeroMQ receiver thread and the DB thread.
//
// Bounded in rows. push() blocks while the queue is at capacity: the receiver then stops pulling
// from ZeroMQ, whose high-water mark pushes back on the parsers (backpressure, nothing dropped).
// A batch larger than the whole capacity is admitted when the queue is empty, so it cannot
// deadlock. close() ends it: push() then refuses, pop() returns what is left and then nothing.
// Thread-safe (one mutex); any number of producers and consumers.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "common/batch_ack.h"
#include "store/stored_rows.h"

namespace sipvault::writer {

// The rows of one SipBatch, and the PacketBatches (SipBatch.origins) to ack once they are durable.
struct QueuedBatch {
  QueuedBatch() = default;
  // Implicit: plain rows are a batch with nothing to ack.
  QueuedBatch(store::RowBatch r, std::vector<BatchRef> a = {}) : rows(std::move(r)), acks(std::move(a)) {}
  store::RowBatch rows;
  std::vector<BatchRef> acks;

  [[nodiscard]] size_t size() const { return rows.size(); }
};

class RowQueue {
 public:
  explicit RowQueue(size_t capacity_rows) : capacity_(capacity_rows ? capacity_rows : 1) {}

  // Adds `batch`, waiting for room. False when the queue was closed (the batch is not taken).
  // `waited` tells whether it had to wait; `on_block`, when given, runs (without the lock) just
  // before the wait starts, so that a wait that lasts is visible while it lasts.
  [[nodiscard]] bool push(QueuedBatch&& batch, bool& waited, const std::function<void()>& on_block = {});
  // Takes the oldest batch, waiting until `deadline`. nullopt on timeout, or when closed and empty.
  [[nodiscard]] std::optional<QueuedBatch> pop(std::chrono::steady_clock::time_point deadline);
  void close();

  [[nodiscard]] size_t rows() const;
  [[nodiscard]] bool closed() const;
  [[nodiscard]] size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<QueuedBatch> batches_;
  size_t rows_ = 0;
  bool closed_ = false;
};

}  // namespace sipvault::writer
