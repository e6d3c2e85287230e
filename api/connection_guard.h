#pragma once
// What keeps a few slow or stalled clients from taking every HTTP thread (issue 18 item 7):
//
//   * a cap per source address: a client holding `max_per_source` connections gets its next one
//     refused at once (plain HTTP: a 503 and close; HTTPS: close), so one address cannot occupy
//     all api.http_threads with idle keep-alives or half-sent requests;
//   * a deadline per request: a connection must finish each request (reading it, the handler,
//     writing the answer) within `deadline` from when the request started (the connection was
//     taken or the previous answer was sent). Poco's own timeout is per socket read, so a client
//     sending one byte a minute would otherwise hold a thread for ever. A watchdog thread shuts
//     the socket down (shutdown(2)) when the deadline passes; the blocked read or write then
//     fails and the thread is free.
//
// Thread-safe. A watched fd must be unwatch()ed before it is closed (the watchdog shuts down fds
// under the same mutex, so it never touches a reused descriptor).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "common/metrics.h"

namespace sipvault::api {

class ConnectionGuard {
 public:
  using Clock = std::chrono::steady_clock;

  // `expired_counter` (optional, must outlive the guard) counts connections the deadline ended.
  ConnectionGuard(size_t max_per_source, std::chrono::milliseconds deadline,
                  Counter* expired_counter = nullptr);
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // False (nothing counted) when `source` already holds max_per_source connections.
  [[nodiscard]] bool open(const std::string& source);
  void close(const std::string& source);

  // The watchdog shuts `fd` down once `deadline` passes without renew().
  [[nodiscard]] uint64_t watch(int fd);
  void renew(uint64_t id);
  void unwatch(uint64_t id);

  void start();  // the watchdog thread
  void stop();
  // Shuts every watched connection down now (server stop: a stalled client must not hold it up).
  void shutdownAll();

  [[nodiscard]] uint64_t expired() const;  // connections shut down by the deadline so far

 private:
  struct Watched {
    int fd = -1;
    Clock::time_point due;
  };
  void sweep(Clock::time_point now, bool all = false);

  size_t max_per_source_;
  std::chrono::milliseconds deadline_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, size_t> per_source_;
  std::map<uint64_t, Watched> watched_;
  uint64_t next_id_ = 1;
  uint64_t expired_ = 0;
  Counter* expired_counter_;
  std::thread thread_;
};

}  // namespace sipvault::api
