#pragma once
// HepFramer: the PacketSink the decoder (or the MediaTap in front of it) delivers to. It keeps
// SIP (see sip_start_line.h),
// stamps the agent's HEP identity on each packet (capture id, auth key, node name) and encodes
// it as HEP v3, v2 or v1 into the current batch.
//
// Pure: no I/O, clock or threads. Not thread-safe: one per capture thread, like the decoder.
// Counting is left to the caller through the public tallies (plain integers, read on the same
// thread).
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/hep_batch.h"
#include "netdecode/packet_sink.h"
#include "proto/hep_codec.h"

namespace sipvault::agent {

struct HepIdentity {
  int version = 3;            // 1, 2 or 3
  uint32_t capture_id = 0;
  std::string auth_key;       // "" = no chunk 14
  std::string node_name;      // "" = no chunk 19
  bool compress = false;      // v3 chunk 16
};

class HepFramer final : public netdecode::PacketSink {
 public:
  explicit HepFramer(HepIdentity identity) : id_(std::move(identity)) {}

  void onPacket(const PacketView& view) override;
  // Encodes `view` as HEP with `payload_type` and `correlation_id` (v3 chunks 11 and 17; v1/v2
  // carry neither), stamped with the identity, into the current batch. For the MediaTap's RTCP
  // and reports: not counted as SIP. False on an encode error (counted in encode_errors).
  bool emit(const PacketView& view, uint8_t payload_type, std::string_view correlation_id);

  // The packets encoded since the last take(); leaves an empty batch behind.
  [[nodiscard]] HepBatch take();
  [[nodiscard]] const HepBatch& current() const { return batch_; }

  // Running totals (never reset).
  uint64_t sip = 0;           // SIP messages encoded into batches
  uint64_t non_sip = 0;       // payloads skipped because they do not start like SIP
  uint64_t encode_errors = 0; // SIP messages HEP cannot carry (e.g. v3 packet over 64 KiB)
  uint64_t hep_bytes = 0;     // bytes of HEP encoded

 private:
  HepIdentity id_;
  HepBatch batch_;
};

}  // namespace sipvault::agent
