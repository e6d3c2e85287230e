#include "collector/hep_ingest.h"

#include <chrono>

namespace sipvault::collector {

uint64_t nowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool HepIngest::admit(const PacketView& packet, bool from_hep, bool& passed) {
  passed = false;
  switch (admission_.check(packet, from_hep)) {
    case Admission::Accept:
      passed = true;
      return true;
    case Admission::KeepAlive:
      passed = true;
      metrics_.keepalives.inc();
      return false;
    case Admission::BadAuthKey: metrics_.auth_rejected.inc(); return false;
    case Admission::CaptureIdNotAllowed: metrics_.capture_id_rejected.inc(); return false;
  }
  return false;
}

bool HepIngest::ingest(std::span<const uint8_t> bytes, uint64_t received_us) {
  HepDecodeResult r = decodeHep(bytes, inflate_scratch_, max_inflated_);
  if (!r) {
    metrics_.decodeError(r.error.code).inc();
    return false;
  }
  if (r.wrong_header_length) metrics_.hep12_wrong_header_length.inc();
  bool passed = false;
  if (!admit(*r.packet, true, passed)) return passed;
  const wire::Origin origin = r.packet->hep_version == 1   ? wire::ORIGIN_HEP1
                              : r.packet->hep_version == 2 ? wire::ORIGIN_HEP2
                                                           : wire::ORIGIN_HEP3;
  batch_.add(*r.packet, origin, received_us);
  return true;
}

void HepIngest::ingestDecoded(const PacketView& packet, uint64_t received_us) {
  bool passed = false;
  if (admit(packet, false, passed)) batch_.add(packet, wire::ORIGIN_IPIP, received_us);
}

}  // namespace sipvault::collector
