#pragma once
// Guards password checks (PBKDF2, 120k rounds: the costliest thing an anonymous client can ask for).
//
//   * per (username, client address): `max_failures` failures in a sliding `window` -> refused
//     (HTTP 429) until the oldest leaves the window;
//   * per username, from any address: after `user_free_failures` failures in a row, each further
//     attempt waits 1 s, 2 s, 4 s ... up to `user_backoff_max` after the last failure (spreading
//     guesses over many addresses does not help); a success clears it;
//   * globally: at most `max_concurrent` password checks at once; one more is refused (503) rather
//     than queued, so a login flood costs bounded CPU and leaves the search threads alone.
//
// admit() is check-and-record in one step: an admitted attempt counts as a failure at once and is
// only taken back by finish(success=true), so N parallel attempts cannot all pass one check. Memory
// is bounded: at most `max_keys` keys per map; when full, keys with nothing left to remember go
// first, then the stalest.
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

struct LoginLimits {
  size_t max_failures = 10;                   // api.login_max_failures per user+client...
  std::chrono::seconds window{60};            // api.login_window_s ...within this window -> 429
  size_t max_concurrent = 4;                  // api.login_max_concurrent password checks at once
  size_t user_free_failures = 10;             // api.login_user_free_failures before the backoff
  std::chrono::seconds user_backoff_max{60};  // api.login_user_backoff_max_s
  size_t max_keys = 100000;
};

class LoginLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Verdict { Go, Limited, Busy };
  struct Admission {
    Verdict verdict = Verdict::Go;
    std::chrono::seconds retry_after{0};  // Limited: when to try again; Busy: 1 s
  };

  explicit LoginLimiter(LoginLimits limits) : limits_(limits) {}

  // Go: the caller may check the password and must call finish() afterwards (exactly once).
  [[nodiscard]] Admission admit(std::string_view user, std::string_view client, Clock::time_point now);
  void finish(std::string_view user, std::string_view client, bool success);
  // Instead of finish(): the check could not run (the login directory was unreachable), so the
  // failure admit() recorded is taken back without clearing earlier ones.
  void withdraw(std::string_view user, std::string_view client);

  [[nodiscard]] size_t running() const;

 private:
  struct UserState {
    size_t failures = 0;  // in a row
    Clock::time_point last;
  };
  static std::string key(std::string_view user, std::string_view client);
  void expire(std::deque<Clock::time_point>& failures, Clock::time_point now) const;
  [[nodiscard]] std::chrono::seconds userWait(const UserState& u, Clock::time_point now) const;
  void makeRoom(Clock::time_point now);

  LoginLimits limits_;
  mutable std::mutex mu_;
  size_t running_ = 0;
  std::map<std::string, std::deque<Clock::time_point>> failures_;  // (user, client) window
  std::map<std::string, UserState, std::less<>> users_;
};

}  // namespace sipvault::api
