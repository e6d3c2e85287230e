#include "collector/batch_builder.h"

#include <algorithm>

#include "proto/packet_convert.h"

namespace sipvault::collector {

namespace {
// Fixed fields of one CapturedPacket on the wire (addresses, ports, times, ids), roughly.
constexpr size_t kPacketOverheadBytes = 96;
// Protobuf keeps cleared packets (and their payload strings' capacity) for reuse: cheap for SIP-sized
// payloads, but 256 slots that once held 64 KiB inflations would keep 16 MiB per listener thread
// outside every byte budget. A batch that held a payload larger than this is freed instead.
constexpr size_t kReusablePayloadBytes = 4096;
}  // namespace

BatchBuilder::BatchBuilder(BatchQueue& queue, CollectorMetrics& metrics, uint32_t collector_id,
                           int max_packets, size_t max_bytes, std::chrono::milliseconds max_age)
    : queue_(queue),
      metrics_(metrics),
      collector_id_(collector_id),
      max_packets_(max_packets),
      max_bytes_(max_bytes),
      max_age_(max_age) {}

void BatchBuilder::add(const PacketView& packet, wire::Origin origin, uint64_t received_us) {
  if (batch_.packets_size() == 0) first_added_ = std::chrono::steady_clock::now();
  wire::CapturedPacket* out = batch_.add_packets();
  toWire(packet, origin, received_us, out);
  out->set_collector_id(collector_id_);
  metrics_.accepted.inc();
  largest_payload_ = std::max(largest_payload_, packet.payload.size());
  bytes_ += kPacketOverheadBytes + packet.payload.size() + packet.auth_key.size() + packet.node_name.size() +
            packet.correlation_id.size();
  if (batch_.packets_size() >= max_packets_ || bytes_ >= max_bytes_) flush();
}

void BatchBuilder::flushIfDue(std::chrono::steady_clock::time_point now) {
  if (batch_.packets_size() > 0 && now - first_added_ >= max_age_) flush();
}

void BatchBuilder::flush() {
  const int packets = batch_.packets_size();
  if (packets == 0) return;
  batch_.set_collector_id(collector_id_);
  batch_.set_sequence(++sequence_);
  std::string bytes = batch_.SerializeAsString();
  if (largest_payload_ > kReusablePayloadBytes)
    batch_ = wire::PacketBatch();
  else
    batch_.Clear();
  bytes_ = 0;
  largest_payload_ = 0;
  // Full queue = parsers are behind: wait here, so the kernel (UDP) or TCP flow control holds
  // the rest. The kernel's drops are counted from SO_RXQ_OVFL; a closed queue means shutdown
  // (closed early when the drain deadline passed with no parser taking batches).
  while (!queue_.push(std::move(bytes), std::chrono::milliseconds(100))) {
    if (queue_.closed()) {
      metrics_.dropped_at_stop.inc(static_cast<uint64_t>(packets));
      return;
    }
    metrics_.bus_blocked.inc();
  }
  metrics_.queue_depth.set(static_cast<int64_t>(queue_.size()));
}

}  // namespace sipvault::collector
