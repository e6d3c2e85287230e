#include "writer/row_queue.h"

namespace sipvault::writer {

bool RowQueue::push(QueuedBatch&& batch, bool& waited, const std::function<void()>& on_block) {
  std::unique_lock lock(mu_);
  waited = false;
  const size_t n = batch.size();
  auto has_room = [&] { return closed_ || rows_ == 0 || rows_ + n <= capacity_; };
  if (!has_room()) {
    waited = true;
    if (on_block) {
      lock.unlock();
      on_block();
      lock.lock();
    }
    not_full_.wait(lock, has_room);
  }
  if (closed_) return false;
  rows_ += n;
  batches_.push_back(std::move(batch));
  not_empty_.notify_one();
  return true;
}

std::optional<QueuedBatch> RowQueue::pop(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  if (!not_empty_.wait_until(lock, deadline, [&] { return closed_ || !batches_.empty(); })) return std::nullopt;
  if (batches_.empty()) return std::nullopt;
  QueuedBatch out = std::move(batches_.front());
  batches_.pop_front();
  rows_ -= out.size();
  not_full_.notify_all();
  return out;
}

void RowQueue::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  not_full_.notify_all();
  not_empty_.notify_all();
}

size_t RowQueue::rows() const {
  std::lock_guard lock(mu_);
  return rows_;
}

bool RowQueue::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

}  // namespace sipvault::writer
