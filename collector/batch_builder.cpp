#include "collector/batch_builder.h"

#include "proto/packet_convert.h"

namespace sipvault::collector {

BatchBuilder::BatchBuilder(BatchQueue& queue, CollectorMetrics& metrics, uint32_t collector_id, int max_packets,
                           std::chrono::milliseconds max_age)
    : queue_(queue), metrics_(metrics), collector_id_(collector_id), max_packets_(max_packets), max_age_(max_age) {}

void BatchBuilder::add(const PacketView& packet, wire::Origin origin, uint64_t received_us) {
  if (batch_.packets_size() == 0) first_added_ = std::chrono::steady_clock::now();
  wire::CapturedPacket* out = batch_.add_packets();
  toWire(packet, origin, received_us, out);
  out->set_collector_id(collector_id_);
  metrics_.accepted.inc();
  if (batch_.packets_size() >= max_packets_) flush();
}

void BatchBuilder::flushIfDue(std::chrono::steady_clock::time_point now) {
  if (batch_.packets_size() > 0 && now - first_added_ >= max_age_) flush();
}

void BatchBuilder::flush() {
  if (batch_.packets_size() == 0) return;
  batch_.set_collector_id(collector_id_);
  batch_.set_sequence(++sequence_);
  std::string bytes = batch_.SerializeAsString();
  batch_.Clear();
  // Full queue = parsers are behind: wait here, so the kernel (UDP) or TCP flow control holds
  // the rest. The kernel's drops are counted from SO_RXQ_OVFL; a closed queue means shutdown.
  while (!queue_.push(std::move(bytes), std::chrono::milliseconds(100))) {
    if (queue_.closed()) return;
    metrics_.bus_blocked.inc();
  }
  metrics_.queue_depth.set(static_cast<int64_t>(queue_.size()));
}

}  // namespace sipvault::collector
