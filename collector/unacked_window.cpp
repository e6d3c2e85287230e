#include "collector/unacked_window.h"

#include <algorithm>
#include <cmath>

namespace sipvault::collector {

UnackedWindow::UnackedWindow(size_t max_bytes, std::chrono::milliseconds ack_timeout, int max_resends)
    : max_bytes_(max_bytes), ack_timeout_(ack_timeout), max_resends_(max_resends) {}

void UnackedWindow::add(uint64_t sequence, std::string bytes, Clock::time_point sent_at) {
  ack(sequence);  // keeps bytes_ exact if a sequence is ever reused
  bytes_ += bytes.size();
  held_.emplace(sequence, Held{std::move(bytes), sent_at, 0});
}

bool UnackedWindow::ack(uint64_t sequence, Clock::time_point now) {
  auto it = held_.find(sequence);
  if (it == held_.end()) return false;
  if (it->second.resends == 0)
    sampleLatency(std::chrono::duration_cast<std::chrono::microseconds>(now - it->second.last_sent));
  forget(it);
  return true;
}

void UnackedWindow::sampleLatency(std::chrono::microseconds latency) {
  const double r = static_cast<double>(latency.count());
  if (srtt_us_ < 0) {
    srtt_us_ = r;
    rttvar_us_ = r / 2;
  } else {
    rttvar_us_ = 0.75 * rttvar_us_ + 0.25 * std::abs(srtt_us_ - r);
    srtt_us_ = 0.875 * srtt_us_ + 0.125 * r;
  }
}

std::chrono::microseconds UnackedWindow::timeout() const {
  const std::chrono::microseconds floor = ack_timeout_;
  if (srtt_us_ < 0) return floor;
  return std::max(floor, std::chrono::microseconds(static_cast<int64_t>(srtt_us_ + 4 * rttvar_us_)));
}

bool UnackedWindow::ack(uint64_t sequence) {
  auto it = held_.find(sequence);
  if (it == held_.end()) return false;
  forget(it);
  return true;
}

UnackedWindow::HeldMap::iterator UnackedWindow::forget(HeldMap::iterator it) {
  bytes_ -= it->second.bytes.size();
  return held_.erase(it);
}

std::vector<uint64_t> UnackedWindow::resendDue(Clock::time_point now) const {
  // A linear scan: the window holds ack_timeout worth of batches (hundreds to a few thousand),
  // and the caller scans a few times per ack timeout, not per batch.
  std::vector<uint64_t> due;
  for (const auto& [seq, h] : held_)
    if (h.resends < max_resends_ && overdue(h, now)) due.push_back(seq);
  return due;
}

const std::string* UnackedWindow::find(uint64_t sequence) const {
  auto it = held_.find(sequence);
  return it == held_.end() ? nullptr : &it->second.bytes;
}

void UnackedWindow::markResent(uint64_t sequence, Clock::time_point now) {
  auto it = held_.find(sequence);
  if (it == held_.end()) return;
  it->second.last_sent = now;
  ++it->second.resends;
}

std::vector<uint64_t> UnackedWindow::takeExhausted(Clock::time_point now) {
  std::vector<uint64_t> gone;
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->second.resends >= max_resends_ && overdue(it->second, now)) {
      gone.push_back(it->first);
      it = forget(it);
    } else {
      ++it;
    }
  }
  return gone;
}

std::vector<uint64_t> UnackedWindow::sequences() const {
  std::vector<uint64_t> out;
  out.reserve(held_.size());
  for (const auto& [seq, h] : held_) out.push_back(seq);
  return out;
}

}  // namespace sipvault::collector
