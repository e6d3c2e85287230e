#include "api/db_health.h"

#include "api/time_text.h"

namespace sipvault::api {

DbHealth::DbHealth(std::function<bool()> probe, std::chrono::milliseconds interval)
    : probe_(std::move(probe)), interval_(interval) {}

DbHealth::~DbHealth() { stop(); }

void DbHealth::check() {
  const bool ok = probe_();
  ok_.store(ok, std::memory_order_relaxed);
  checked_us_.store(nowUs(), std::memory_order_release);
}

void DbHealth::start() {
  if (thread_.joinable()) return;
  check();
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      check();
      lock.lock();
    }
  });
}

void DbHealth::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

DbHealth::State DbHealth::state() const {
  State s;
  s.checked_us = checked_us_.load(std::memory_order_acquire);
  s.ok = ok_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace sipvault::api
