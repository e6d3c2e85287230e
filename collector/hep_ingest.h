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
      : admission_(context.admission),
        metrics_(context.metrics),
        batch_(batch),
        max_inflated_(context.max_inflated) {}

  // Handles one datagram or one framed TCP packet. False unless it was valid HEP that passed
  // admission (auth key, capture id; a keep-alive counts): what earns a TCP connection its slot.
  bool ingest(std::span<const uint8_t> bytes, uint64_t received_us);
  // Handles a packet decoded elsewhere (IP-in-IP).
  void ingestDecoded(const PacketView& packet, uint64_t received_us);

 private:
  // True when the packet goes into the batch; `passed` says whether it passed the sender checks.
  bool admit(const PacketView& packet, bool from_hep, bool& passed);

  const PacketAdmission& admission_;
  CollectorMetrics& metrics_;
  BatchBuilder& batch_;
  const size_t max_inflated_;
  std::string inflate_scratch_;  // at most max_inflated_ bytes
};

// Microseconds since the epoch, for received_time_us.
[[nodiscard]] uint64_t nowMicros();

}  // namespace sipvault::collector
