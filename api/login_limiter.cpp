#include "api/login_limiter.h"

#include <algorithm>

namespace sipvault::api {

std::string LoginLimiter::key(std::string_view user, std::string_view client) {
  std::string k(client);
  k += '\n';  // cannot occur in an address, so (user, client) pairs cannot alias
  k += user;
  return k;
}

void LoginLimiter::expire(std::deque<Clock::time_point>& failures, Clock::time_point now) const {
  while (!failures.empty() && now - failures.front() >= limits_.window) failures.pop_front();
}

std::chrono::seconds LoginLimiter::userWait(const UserState& u, Clock::time_point now) const {
  if (u.failures < limits_.user_free_failures) return std::chrono::seconds(0);
  const size_t doublings = std::min<size_t>(u.failures - limits_.user_free_failures, 30);
  const auto backoff = std::min(limits_.user_backoff_max, std::chrono::seconds(int64_t{1} << doublings));
  const auto left = backoff - (now - u.last);
  if (left <= Clock::duration::zero()) return std::chrono::seconds(0);
  return std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(left));
}

void LoginLimiter::makeRoom(Clock::time_point now) {
  if (failures_.size() >= limits_.max_keys) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      expire(it->second, now);
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
    if (failures_.size() >= limits_.max_keys) {
      auto oldest = std::min_element(failures_.begin(), failures_.end(), [](const auto& a, const auto& b) {
        return a.second.back() < b.second.back();
      });
      failures_.erase(oldest);
    }
  }
  if (users_.size() >= limits_.max_keys) {
    for (auto it = users_.begin(); it != users_.end();)
      it = userWait(it->second, now).count() == 0 && now - it->second.last >= limits_.user_backoff_max
               ? users_.erase(it)
               : std::next(it);
    if (users_.size() >= limits_.max_keys) {
      auto oldest = std::min_element(users_.begin(), users_.end(), [](const auto& a, const auto& b) {
        return a.second.last < b.second.last;
      });
      users_.erase(oldest);
    }
  }
}

LoginLimiter::Admission LoginLimiter::admit(std::string_view user, std::string_view client,
                                            Clock::time_point now) {
  std::lock_guard lock(mu_);
  const std::string k = key(user, client);
  auto pair = failures_.find(k);
  if (pair != failures_.end()) {
    expire(pair->second, now);
    if (pair->second.size() >= limits_.max_failures) {
      const auto wait = limits_.window - (now - pair->second.front());
      return {Verdict::Limited,
              std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(wait))};
    }
  }
  if (auto u = users_.find(user); u != users_.end()) {
    if (auto wait = userWait(u->second, now); wait.count() > 0) return {Verdict::Limited, wait};
  }
  if (running_ >= limits_.max_concurrent) return {Verdict::Busy, std::chrono::seconds(1)};

  // Recorded as a failure before the check runs; finish(success) takes it back.
  makeRoom(now);
  auto& list = failures_[k];
  expire(list, now);
  list.push_back(now);
  while (list.size() > limits_.max_failures) list.pop_front();  // only the last max_failures matter
  auto u = users_.find(user);
  if (u == users_.end()) u = users_.emplace(std::string(user), UserState{}).first;
  ++u->second.failures;
  u->second.last = now;
  ++running_;
  return {Verdict::Go, std::chrono::seconds(0)};
}

void LoginLimiter::finish(std::string_view user, std::string_view client, bool success) {
  std::lock_guard lock(mu_);
  if (running_ > 0) --running_;
  if (!success) return;
  failures_.erase(key(user, client));
  if (auto u = users_.find(user); u != users_.end()) users_.erase(u);
}

void LoginLimiter::withdraw(std::string_view user, std::string_view client) {
  std::lock_guard lock(mu_);
  if (running_ > 0) --running_;
  if (auto pair = failures_.find(key(user, client)); pair != failures_.end() && !pair->second.empty())
    pair->second.pop_back();
  if (auto u = users_.find(user); u != users_.end() && u->second.failures > 0) --u->second.failures;
}

size_t LoginLimiter::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

}  // namespace sipvault::api
