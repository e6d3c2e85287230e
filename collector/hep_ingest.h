#pragma once
// The per-thread path of one received HEP unit: decode -> admit -> batch, counting every outcome.
// One per listener thread (owns its inflate scratch and batch); not thread-safe.
#include <cstdint>
#include <span>
#include <string>

#include "collector/ingest_context.h"

namespace sipvault::collector {

class HepIngest {
 public:
  // `batch` is the calling thread's own; `context` is shared.
  HepIngest(const IngestContext& context, BatchBuilder& batch)
      : admission_(context.admission), metrics_(context.metrics), batch_(batch) {}

  // Handles one datagram or one framed TCP packet. False when it was not valid HEP.
  bool ingest(std::span<const uint8_t> bytes, uint64_t received_us);
  // Handles a packet decoded elsewhere (IP-in-IP).
  void ingestDecoded(const PacketView& packet, uint64_t received_us);

 private:
  bool admit(const PacketView& packet, bool from_hep);

  const PacketAdmission& admission_;
  CollectorMetrics& metrics_;
  BatchBuilder& batch_;
  std::string inflate_scratch_;
};

// Microseconds since the epoch, for received_time_us.
[[nodiscard]] uint64_t nowMicros();

}  // namespace sipvault::collector
