#pragma once
// Counts failed logins per (username, client address) in a sliding window; once a key reaches
// `max_failures` within `window`, further attempts are refused (HTTP 429) until the oldest
// failure leaves the window. A success clears the key. Memory is bounded: at most `max_keys`
// keys are tracked; when full, keys with no failure left in the window are dropped first, then
// the oldest key.
//
// Thread-safe (one mutex); time is passed in so tests control it.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace sipvault::api {

class LoginLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  LoginLimiter(size_t max_failures, std::chrono::seconds window, size_t max_keys = 100000)
      : max_failures_(max_failures), window_(window), max_keys_(max_keys) {}

  // Zero when an attempt may be made now, else how long until one may.
  [[nodiscard]] std::chrono::seconds retryAfter(std::string_view user, std::string_view client, Clock::time_point now);
  void recordFailure(std::string_view user, std::string_view client, Clock::time_point now);
  void recordSuccess(std::string_view user, std::string_view client);

 private:
  static std::string key(std::string_view user, std::string_view client);
  void expire(std::deque<Clock::time_point>& failures, Clock::time_point now) const;

  size_t max_failures_;
  std::chrono::seconds window_;
  size_t max_keys_;
  std::mutex mu_;
  std::map<std::string, std::deque<Clock::time_point>> failures_;
};

}  // namespace sipvault::api
