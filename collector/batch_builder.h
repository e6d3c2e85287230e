#pragma once
// Collects packets into one wire::PacketBatch and hands it over, serialized, when it holds
// `max_packets`, or about `max_bytes` (payloads and fields; a batch passes it by at most one
// packet), or when its oldest packet has waited `max_age`. One per listener thread (not
// thread-safe); the queue it hands batches to is shared and bounded by batches and bytes.
#include <chrono>
#include <cstdint>
#include <string>

#include "common/bounded_queue.h"
#include "collector/collector_metrics.h"
#include "proto/packet.h"
#include "sipvault.pb.h"

namespace sipvault::collector {

// Serialized batches weigh their size.
struct SerializedBytes {
  size_t operator()(const std::string& batch) const { return batch.size(); }
};
using BatchQueue = BoundedQueue<std::string, SerializedBytes>;

class BatchBuilder {
 public:
  BatchBuilder(BatchQueue& queue, CollectorMetrics& metrics, uint32_t collector_id, int max_packets,
               size_t max_bytes, std::chrono::milliseconds max_age);

  void add(const PacketView& packet, wire::Origin origin, uint64_t received_us);
  // Hands over the batch if it is old enough; call at least every few ms.
  void flushIfDue(std::chrono::steady_clock::time_point now);
  // Hands over whatever is there (shutdown). Blocks while the queue is full (backpressure); once
  // the queue is closed the batch is dropped and counted (dropped_at_stop).
  void flush();

 private:
  BatchQueue& queue_;
  CollectorMetrics& metrics_;
  const uint32_t collector_id_;
  const int max_packets_;
  const size_t max_bytes_;
  const std::chrono::milliseconds max_age_;
  wire::PacketBatch batch_;
  size_t bytes_ = 0;            // what the packets in batch_ carry (payload, addresses, names), approximately
  size_t largest_payload_ = 0;  // in batch_, to decide whether its cleared packets may be kept
  std::chrono::steady_clock::time_point first_added_;
  uint64_t sequence_ = 0;
};

}  // namespace sipvault::collector
