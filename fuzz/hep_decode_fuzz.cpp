// libFuzzer target: HEP v1/v2/v3 decode. Whatever decodes must re-encode as HEP3 (when it fits
// the 16-bit lengths) and decode again to the same fields; a HEPv1 packet must re-encode to the
// very same bytes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "proto/hep_codec.h"

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();
}

void requireSameFields(const sipvault::PacketView& a, const sipvault::PacketView& b) {
  require(a.src == b.src);
  require(a.dst == b.dst);
  require(a.src_port == b.src_port && a.dst_port == b.dst_port);
  require(a.ip_proto == b.ip_proto);
  require(a.ts_sec == b.ts_sec && a.ts_usec == b.ts_usec);
  require(a.payload_type == b.payload_type);
  require(a.capture_id == b.capture_id);
  require(a.has_auth_key == b.has_auth_key && a.auth_key == b.auth_key);
  require(a.correlation_id == b.correlation_id);
  require(a.node_name == b.node_name);
  require(a.vlan == b.vlan);
  require(a.keep_alive == b.keep_alive);
  require(a.payload == b.payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string scratch;
  const auto r = sipvault::decodeHep(std::span(data, size), scratch);
  if (!r.ok()) {
    require(r.error.offset <= size);
    require(!r.error.reason.empty());
    return 0;
  }
  const sipvault::PacketView& p = *r.packet;
  require(r.consumed <= size);
  require(p.payload.size() <= sipvault::kMaxInflatedPayload);

  for (bool compress : {false, true}) {
    std::string out;
    if (!sipvault::encodeHep3(p, out, {.compress_payload = compress}).ok()) continue;
    std::string scratch2;
    const auto again = sipvault::decodeHep(out, scratch2);
    require(again.ok());
    require(again.consumed == out.size());
    requireSameFields(p, *again.packet);
  }

  if (p.hep_version == 1) {
    std::string out;
    require(sipvault::encodeHep1(p, out).ok());
    // Byte-exact, except a header-length byte that lied (sngrep 1.6 writes 1..7): it is decoded by
    // version and family, flagged, and re-encoded with the true length.
    require(out.size() == size);
    for (size_t i = 0; i < size; ++i)
      require((i == 1 && r.wrong_header_length) || out[i] == static_cast<char>(data[i]));
  }
  return 0;
}
