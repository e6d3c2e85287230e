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
  while (!failures.empty() && now - failures.front() >= window_) failures.pop_front();
}

std::chrono::seconds LoginLimiter::retryAfter(std::string_view user, std::string_view client, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key(user, client));
  if (it == failures_.end()) return std::chrono::seconds(0);
  expire(it->second, now);
  if (it->second.size() < max_failures_) return std::chrono::seconds(0);
  const auto wait = window_ - (now - it->second.front());
  return std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(wait));
}

void LoginLimiter::recordFailure(std::string_view user, std::string_view client, Clock::time_point now) {
  std::lock_guard lock(mu_);
  const std::string k = key(user, client);
  if (failures_.size() >= max_keys_ && !failures_.count(k)) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      expire(it->second, now);
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
    if (failures_.size() >= max_keys_) {
      auto oldest = std::min_element(failures_.begin(), failures_.end(), [](const auto& a, const auto& b) {
        return a.second.back() < b.second.back();
      });
      failures_.erase(oldest);
    }
  }
  auto& list = failures_[k];
  expire(list, now);
  list.push_back(now);
  // Only the last max_failures matter for the decision.
  while (list.size() > max_failures_) list.pop_front();
}

void LoginLimiter::recordSuccess(std::string_view user, std::string_view client) {
  std::lock_guard lock(mu_);
  failures_.erase(key(user, client));
}

}  // namespace sipvault::api
