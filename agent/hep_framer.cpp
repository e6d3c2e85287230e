#include "agent/hep_framer.h"

#include "sip/sip_start_line.h"

namespace sipvault::agent {

using namespace sipvault::sip;

void HepFramer::onPacket(const PacketView& view) {
  if (!sip::looksLikeSip(view.payload)) {
    ++non_sip;
    return;
  }
  if (emit(view, kPayloadSip, {})) ++sip;
}

bool HepFramer::emit(const PacketView& view, uint8_t payload_type, std::string_view correlation_id) {
  PacketView p = view;
  // v1/v2 have no payload type field: whatever the payload, the bytes go as they are (the codec
  // accepts only "SIP" there, the one type their receivers assume).
  p.payload_type = id_.version == 3 ? payload_type : kPayloadSip;
  p.correlation_id = correlation_id;
  p.capture_id = id_.capture_id;
  p.has_auth_key = !id_.auth_key.empty();
  p.auth_key = id_.auth_key;
  p.node_name = id_.node_name;

  HepEncodeResult r;
  switch (id_.version) {
    case 1: r = encodeHep1(p, batch_.bytes); break;
    case 2: r = encodeHep2(p, batch_.bytes); break;
    default: r = encodeHep3(p, batch_.bytes, HepEncodeOptions{.compress_payload = id_.compress}); break;
  }
  if (!r.ok()) {
    ++encode_errors;
    return false;
  }
  batch_.ends.push_back(static_cast<uint32_t>(batch_.bytes.size()));
  hep_bytes += r.bytes;
  return true;
}

HepBatch HepFramer::take() {
  HepBatch out = std::move(batch_);
  batch_ = HepBatch{};
  // Most batches are alike in size: start the next one with room for a typical batch.
  batch_.bytes.reserve(out.bytes.size());
  batch_.ends.reserve(out.ends.size());
  return out;
}

}  // namespace sipvault::agent
