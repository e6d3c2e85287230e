#include "agent/hep_output.h"

#include <algorithm>

namespace sipvault::agent {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

HepOutput::HepOutput(Mode mode, const std::vector<HostPort>& servers, const TransportOptions& options,
                     size_t queue_batches, AgentMetrics& metrics, Log log)
    : mode_(mode),
      queue_(queue_batches),
      metrics_(metrics),
      log_(log),
      first_connect_wait_(options.connect_timeout),
      tcp_queue_bytes_(options.tcp_queue_bytes) {
  for (const HostPort& s : servers) transports_.push_back(makeTransport(s, options, metrics, log));
}

HepOutput::~HepOutput() { drainAndStop(0ms); }

void HepOutput::start() {
  const auto deadline = Clock::now() + first_connect_wait_;
  for (;;) {
    const auto now = Clock::now();
    serviceAll(now);
    if (!anyBusy() || now >= deadline) break;
    std::this_thread::sleep_for(2ms);
  }
  if (mode_ == Mode::Threaded) thread_ = std::thread([this] { run(); });
}

bool HepOutput::submit(HepBatch&& batch, bool wait) {
  if (batch.empty()) return true;
  const size_t n = batch.size();
  if (mode_ == Mode::Inline) {
    if (wait) waitForRoom(batch);
    const auto now = Clock::now();
    route(batch, now);
    return true;
  }
  if (!wait) {
    if (queue_.push(std::move(batch), 0ms)) {
      metrics_.queued_batches.add(1);
      return true;
    }
    metrics_.drop(DropReason::QueueFull, n);
    return false;
  }
  while (!queue_.closed()) {
    if (queue_.push(std::move(batch), 200ms)) {
      metrics_.queued_batches.add(1);
      return true;
    }
  }
  metrics_.drop(DropReason::Shutdown, n);
  return false;
}

void HepOutput::waitForRoom(const HepBatch& batch) {
  // Only a connected collector that is merely slower than the file is waited for; one that
  // is away gets the batch queued or dropped (counted) like in a live capture.
  for (const auto& t : transports_) {
    const auto now = Clock::now();
    if (!t->healthy(now)) continue;
    while (t->healthy(Clock::now()) && t->pendingBytes() > 0 &&
           t->pendingBytes() + batch.bytes.size() > tcp_queue_bytes_) {
      std::this_thread::sleep_for(1ms);
      t->service(Clock::now());
    }
    break;
  }
}

void HepOutput::service() { serviceAll(Clock::now()); }

std::chrono::milliseconds HepOutput::serviceIn() const {
  const auto now = Clock::now();
  std::chrono::milliseconds in = 1000ms;
  for (const auto& t : transports_) in = std::min(in, t->serviceIn(now));
  return in;
}

bool HepOutput::anyBusy() const {
  for (const auto& t : transports_)
    if (t->busy()) return true;
  return false;
}

size_t HepOutput::pendingPackets() const {
  size_t n = 0;
  for (const auto& t : transports_) n += t->pendingPackets();
  return n;
}

void HepOutput::serviceAll(SteadyTime now) {
  for (auto& t : transports_) t->service(now);
}

void HepOutput::route(const HepBatch& batch, SteadyTime now) {
  int target = -1;
  for (size_t i = 0; i < transports_.size(); ++i) {
    if (transports_[i]->healthy(now)) {
      target = int(i);
      break;
    }
  }
  if (target < 0) {
    // Nobody healthy: let the first TCP/TLS collector hold it for its reconnect, else the first.
    target = 0;
    for (size_t i = 0; i < transports_.size(); ++i) {
      if (transports_[i]->name().rfind("tcp:", 0) == 0 || transports_[i]->name().rfind("tls:", 0) == 0) {
        target = int(i);
        break;
      }
    }
  }
  if (target != active_) {
    if (active_ >= 0) {
      metrics_.failovers.inc();
      log_.warn("hep_failover", {{"from", transports_[size_t(active_)]->name()},
                                 {"to", transports_[size_t(target)]->name()}});
    }
    active_ = target;
  }
  transports_[size_t(target)]->send(batch, 0, now);
}

void HepOutput::run() {
  for (;;) {
    // Short waits while a TCP queue is being written or a connect is pending, long otherwise.
    std::optional<HepBatch> batch = queue_.pop(std::min<std::chrono::milliseconds>(serviceIn(), 100ms));
    const auto now = Clock::now();
    if (batch) {
      metrics_.queued_batches.add(-1);
      route(*batch, now);
    }
    serviceAll(now);
    if (!batch && queue_.closed()) {
      // Closed and drained: keep writing TCP queues until they are empty or time is up.
      const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
      if (pendingPackets() == 0 || now_ns >= drain_deadline_ns_.load()) break;
      std::this_thread::sleep_for(2ms);
    }
  }
}

void HepOutput::drainAndStop(std::chrono::milliseconds timeout) {
  if (stopped_) return;
  stopped_ = true;
  const auto deadline = Clock::now() + timeout;
  drain_deadline_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
  queue_.close();
  if (thread_.joinable()) {
    thread_.join();
  } else {
    while (pendingPackets() > 0 && Clock::now() < deadline) {
      serviceAll(Clock::now());
      std::this_thread::sleep_for(2ms);
    }
  }
  size_t left = 0;
  while (auto b = queue_.pop(0ms)) {
    metrics_.queued_batches.add(-1);
    left += b->size();
  }
  for (auto& t : transports_) left += t->discardPending();
  metrics_.drop(DropReason::Shutdown, left);
  if (left) log_.warn("hep_undelivered", {{"packets", left}});
}

}  // namespace sipvault::agent
