#pragma once
// A bounded multi-producer / multi-consumer queue. Full means wait (backpressure), with a timeout
// so callers can notice shutdown and count time spent blocked. Thread-safe.
//
// Bounded by items and, when given a `max_bytes` and a `Weigh` that tells an item's bytes, by
// bytes too: items differ in size by orders of magnitude (a batch of compressed HEP), so a count
// alone bounds no memory. An item heavier than the whole budget still enters an empty queue, so it
// cannot wedge it; the queue then holds at most max_bytes + one item.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

namespace sipvault {

// Items count no bytes unless a Weigh says otherwise.
template <typename T>
struct Weightless {
  size_t operator()(const T&) const { return 0; }
};

template <typename T, typename Weigh = Weightless<T>>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity, size_t max_bytes = SIZE_MAX)
      : capacity_(capacity), max_bytes_(max_bytes) {}

  // Waits up to `timeout` for room; false when still full (the item is not taken) or closed.
  [[nodiscard]] bool push(T&& item, std::chrono::milliseconds timeout) {
    const size_t weight = Weigh{}(item);
    std::unique_lock lock(mu_);
    const auto room = [&] {
      return items_.size() < capacity_ && (items_.empty() || bytes_ + weight <= max_bytes_);
    };
    if (!not_full_.wait_for(lock, timeout, [&] { return closed_ || room(); })) return false;
    if (closed_) return false;
    bytes_ += weight;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  // Waits up to `timeout` for an item; nullopt on timeout, or when closed and drained.
  [[nodiscard]] std::optional<T> pop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); })) return std::nullopt;
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    bytes_ -= Weigh{}(item);
    // Several small items may fit where one big one left.
    not_full_.notify_all();
    return item;
  }

  // After close(), push fails and pop drains what is left, then returns nullopt at once.
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  [[nodiscard]] size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }
  [[nodiscard]] size_t bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
  }
  [[nodiscard]] bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }

 private:
  const size_t capacity_;
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<T> items_;
  size_t bytes_ = 0;
  bool closed_ = false;
};

}  // namespace sipvault
