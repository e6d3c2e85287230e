#pragma once
// What every listener thread of a collector shares: who may send, where batches go, how they are
// cut, and the counters. Built once by CollectorService, which outlives the listeners that keep a
// reference to it.
#include <chrono>
#include <cstdint>

#include "collector/batch_builder.h"
#include "collector/collector_metrics.h"
#include "collector/packet_admission.h"

namespace sipvault::collector {

struct IngestContext {
  const PacketAdmission& admission;  // auth key and capture-id checks
  CollectorMetrics& metrics;
  BatchQueue& queue;                         // shared, bounded: full = the listeners stop reading
  uint32_t collector_id = 1;                 // stamped on every batch (collector.id)
  int batch_packets = 256;                   // a batch is handed over at this many packets...
  size_t batch_bytes = 1 << 20;              // ...or bytes (collector.batch_max_kb)...
  std::chrono::milliseconds batch_time{10};  // ...or when its oldest packet waited this long
  size_t max_inflated = 64 << 10;            // compressed HEP payloads inflating past this are dropped

  // A per-thread batch builder wired to this context.
  [[nodiscard]] BatchBuilder newBatch() const {
    return BatchBuilder(queue, metrics, collector_id, batch_packets, batch_bytes, batch_time);
  }
};

}  // namespace sipvault::collector
