#include "api/connection_guard.h"

#include <sys/socket.h>

#include <algorithm>

namespace sipvault::api {

ConnectionGuard::ConnectionGuard(size_t max_per_source, std::chrono::milliseconds deadline,
                                 Counter* expired_counter)
    : max_per_source_(max_per_source), deadline_(deadline), expired_counter_(expired_counter) {}

ConnectionGuard::~ConnectionGuard() { stop(); }

bool ConnectionGuard::open(const std::string& source) {
  std::lock_guard lock(mu_);
  size_t& n = per_source_[source];
  if (n >= max_per_source_) {
    if (n == 0) per_source_.erase(source);
    return false;
  }
  ++n;
  return true;
}

void ConnectionGuard::close(const std::string& source) {
  std::lock_guard lock(mu_);
  auto it = per_source_.find(source);
  if (it == per_source_.end()) return;
  if (--it->second == 0) per_source_.erase(it);
}

uint64_t ConnectionGuard::watch(int fd) {
  std::lock_guard lock(mu_);
  const uint64_t id = next_id_++;
  watched_[id] = Watched{fd, Clock::now() + deadline_};
  return id;
}

void ConnectionGuard::renew(uint64_t id) {
  std::lock_guard lock(mu_);
  if (auto it = watched_.find(id); it != watched_.end()) it->second.due = Clock::now() + deadline_;
}

void ConnectionGuard::unwatch(uint64_t id) {
  std::lock_guard lock(mu_);
  watched_.erase(id);
}

void ConnectionGuard::sweep(Clock::time_point now, bool all) {
  for (auto it = watched_.begin(); it != watched_.end();) {
    if (all || it->second.due <= now) {
      ::shutdown(it->second.fd, SHUT_RDWR);  // the owner's blocked read/write returns; it closes the fd
      if (!all) {
        ++expired_;
        if (expired_counter_) expired_counter_->inc();
      }
      it = watched_.erase(it);
    } else {
      ++it;
    }
  }
}

void ConnectionGuard::start() {
  if (thread_.joinable()) return;
  // A tenth of the deadline (at most 1 s) between sweeps: deadlines are met within ~10%.
  const auto tick = std::clamp<std::chrono::milliseconds>(deadline_ / 10, std::chrono::milliseconds(10),
                                                          std::chrono::milliseconds(1000));
  thread_ = std::thread([this, tick] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, tick, [this] { return stopping_; })) sweep(Clock::now());
  });
}

void ConnectionGuard::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ConnectionGuard::shutdownAll() {
  std::lock_guard lock(mu_);
  sweep(Clock::now(), true);
}

uint64_t ConnectionGuard::expired() const {
  std::lock_guard lock(mu_);
  return expired_;
}

}  // namespace sipvault::api
