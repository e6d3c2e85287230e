#include "writer/bus_receiver.h"

#include "sipvault.pb.h"

namespace sipvault::writer {

using namespace sipvault::store;

BusReceiver::BusReceiver(zmq::context_t& ctx, const std::vector<BusEndpoint>& endpoints, int high_water_mark,
                         RowQueue& queue, ReceiverMetrics& metrics, Log log, DuplicateWindowOptions dedup,
                         RawCodec codec)
    : socket_(ctx, BusSocket::Kind::Pull, endpoints, high_water_mark, std::chrono::milliseconds(0)),
      queue_(queue),
      metrics_(metrics),
      log_(log),
      converter_(codec),
      dedup_(dedup) {}

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
  QueuedBatch queued;
  for (const wire::BatchRef& origin : batch.origins())
    if (origin.sender_id() != 0) queued.acks.push_back({origin.sender_id(), origin.sequence()});
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now().time_since_epoch()).count();
  uint64_t duplicates = 0;
  for (const wire::SipRecord& record : batch.records()) {
    const wire::CapturedPacket& p = record.packet();
    // A record of call-quality reports alone carries no payload (the parser decoded it): its
    // reports are its content, or two different RTCP packets of one stream would look the same.
    std::string_view content = p.payload();
    if (dedup_.enabled() && content.empty() && record.qos_size() > 0) {
      qos_content_.clear();
      for (const wire::QosFields& q : record.qos()) q.AppendToString(&qos_content_);
      content = qos_content_;
    }
    if (dedup_.enabled() &&
        dedup_.isDuplicate(packetContentKey(p.src_ip(), p.src_port(), p.dst_ip(), p.dst_port(), p.ip_proto(), content),
                           p.capture_time_us(), now_ms)) {
      ++duplicates;
      continue;
    }
    converter_.append(record, queued.rows);
  }
  if (dedup_.enabled()) {
    metrics_.duplicates_dropped.inc(duplicates);
    metrics_.dedup_evictions.inc(dedup_.evictions() - evictions_seen_);
    evictions_seen_ = dedup_.evictions();
    metrics_.dedup_entries.set(static_cast<int64_t>(dedup_.size()));
  }
  if (queued.rows.empty() && queued.acks.empty()) return;
  const size_t rows = queued.rows.size();
  const auto start = std::chrono::steady_clock::now();
  bool waited = false;
  const auto blocked = [this] {
    metrics_.backpressure_waits.inc();
    metrics_.backpressure_active.set(1);
  };
  if (!queue_.push(std::move(queued), waited, blocked)) {
    // Only after close(), which happens once this thread has ended; kept for safety.
    log_.error("queue_closed", {{"rows_not_queued", rows}});
    return;
  }
  if (waited) {
    metrics_.backpressure_active.set(0);
    metrics_.backpressure_us.inc(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count()));
  }
  metrics_.queue_rows.set(static_cast<int64_t>(queue_.rows()));
}

}  // namespace sipvault::writer
