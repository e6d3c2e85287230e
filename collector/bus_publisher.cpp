#include "collector/bus_publisher.h"

namespace sipvault {

BusPublisher::BusPublisher(zmq::context_t& ctx, const std::vector<BusEndpoint>& endpoints, int hwm,
                           BatchQueue& queue, CollectorMetrics& metrics)
    : socket_(ctx, BusSocket::Kind::Push, endpoints, hwm), queue_(queue), metrics_(metrics) {}

BusPublisher::~BusPublisher() {
  giving_up_ = true;
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

void BusPublisher::start() { thread_ = std::thread([this] { run(); }); }

void BusPublisher::run() {
  for (;;) {
    std::optional<std::string> batch = queue_.pop(std::chrono::milliseconds(50));
    metrics_.queue_depth.set(static_cast<int64_t>(queue_.size()));
    if (!batch) {
      if (queue_.closed()) return;  // closed and drained
      continue;
    }
    for (;;) {
      const SendResult r = socket_.send(*batch, std::chrono::milliseconds(100));
      if (r == SendResult::Sent) {
        metrics_.batches_sent.inc();
        break;
      }
      if (r == SendResult::Closed || giving_up_.load()) {
        undelivered_.fetch_add(1);
        break;
      }
    }
  }
}

void BusPublisher::drainAndStop(std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (queue_.size() > 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  giving_up_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace sipvault
