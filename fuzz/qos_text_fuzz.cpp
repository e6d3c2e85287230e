// libFuzzer target for the text forms of call quality: X-RTP-Stat / P-RTP-Stat header values and
// RFC 6035 vq-rtcpxr bodies. Checks that nothing is appended unless Ok and that what is appended
// is in range.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "qos/sip_quality.h"

using namespace sipvault::qos;

namespace {

void check(QosDecodeStatus s, const std::vector<QosReport>& out) {
  if ((s == QosDecodeStatus::Ok) != !out.empty()) __builtin_trap();
  for (const auto& r : out) {
    if (r.mos && !(*r.mos >= 1 && *r.mos <= 5)) __builtin_trap();
    if (r.fraction_lost && !(*r.fraction_lost >= 0 && *r.fraction_lost <= 1)) __builtin_trap();
    if (r.rtt_ms && !(*r.rtt_ms >= 0 && *r.rtt_ms <= 10000)) __builtin_trap();
    if (r.codec.size() > 32 || r.call_id.size() > 255) __builtin_trap();
    if (r.media_src_ip.size() > 45 || r.media_dst_ip.size() > 45) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<QosReport> header, body;
  check(decodeRtpStatHeader(in, header), header);
  check(decodeVqRtcpXr(in, body), body);
  return 0;
}
