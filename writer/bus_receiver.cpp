#include "writer/bus_receiver.h"

#include "sipvault.pb.h"

namespace sipvault {

BusReceiver::BusReceiver(zmq::context_t& ctx, const std::vector<BusEndpoint>& endpoints, int high_water_mark,
                         RowQueue& queue, WriterMetrics& metrics, Log log)
    : socket_(ctx, BusSocket::Kind::Pull, endpoints, high_water_mark, std::chrono::milliseconds(0)),
      queue_(queue),
      metrics_(metrics),
      log_(log) {}

BusReceiver::~BusReceiver() {
  stop_ = true;
  join();
}

void BusReceiver::start() { thread_ = std::thread([this] { run(); }); }

void BusReceiver::join() {
  if (thread_.joinable()) thread_.join();
}

void BusReceiver::run() {
  zmq::message_t message;
  while (!stop_) {
    if (socket_.receive(message, std::chrono::milliseconds(100))) handle(message);
  }
  // Messages ZeroMQ has already taken in for us were sent and are ours to store.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < until && socket_.receive(message, std::chrono::milliseconds(20)))
    handle(message);
}

void BusReceiver::handle(const zmq::message_t& message) {
  wire::SipBatch batch;
  if (!batch.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
    metrics_.bus_bad_messages.inc();
    uint64_t suppressed = 0;
    if (bad_log_.allow(suppressed))
      log_.warn("bad_bus_message", {{"bytes", message.size()}, {"suppressed", suppressed}});
    return;
  }
  metrics_.bus_batches.inc();
  metrics_.bus_records.inc(static_cast<uint64_t>(batch.records_size()));
  if (batch.records_size() == 0) return;
  RowBatch rows;
  for (const wire::SipRecord& record : batch.records()) converter_.append(record, rows);
  const auto start = std::chrono::steady_clock::now();
  bool waited = false;
  const auto blocked = [this] {
    metrics_.backpressure_waits.inc();
    metrics_.backpressure_active.set(1);
  };
  if (!queue_.push(std::move(rows), waited, blocked)) {
    // Only after close(), which happens once this thread has ended; kept for safety.
    log_.error("queue_closed", {{"rows_not_queued", batch.records_size()}});
    return;
  }
  if (waited) {
    metrics_.backpressure_active.set(0);
    metrics_.backpressure_us.inc(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count()));
  }
  metrics_.queue_rows.set(static_cast<int64_t>(queue_.rows()));
}

}  // namespace sipvault
