#pragma once
// The database state /api/v1/health reports, kept by a background check so that answering
// /health costs no database round trip (a monitor polling it, or a flood of it, never takes a
// pooled session from searches or logins).
//
// start() runs the probe once, then every `interval` on its own thread until stop(). state() is
// the last result; lock-free, thread-safe.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace sipvault::api {

class DbHealth {
 public:
  struct State {
    bool ok = false;
    uint64_t checked_us = 0;  // when the probe last answered (0 = never)
  };

  // `probe` returns whether the database answered; called from the checker thread only.
  DbHealth(std::function<bool()> probe, std::chrono::milliseconds interval);
  ~DbHealth();
  DbHealth(const DbHealth&) = delete;
  DbHealth& operator=(const DbHealth&) = delete;

  void start();
  void stop();
  [[nodiscard]] State state() const;

 private:
  void check();

  std::function<bool()> probe_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> ok_{false};
  std::atomic<uint64_t> checked_us_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sipvault::api
