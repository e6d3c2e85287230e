// libFuzzer target for the RTCP decoder: decodeRtcp on the whole input with a capture time and a
// clock rate taken from the input's first bytes, looksLikeRtcp, and RtpStreamStats fed the input
// cut into packets. Checks the decoder's contract: nothing appended unless Ok, figures in range.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "qos/rtcp_decoder.h"
#include "qos/rtp_stream_stats.h"

using namespace sipvault::qos;

namespace {

void checkReport(const QosReport& r) {
  if (r.fraction_lost && !(*r.fraction_lost >= 0 && *r.fraction_lost < 1)) __builtin_trap();
  if (r.rtt_ms && !(*r.rtt_ms >= 0 && *r.rtt_ms <= 10000)) __builtin_trap();
  if (r.mos && !(*r.mos >= 1 && *r.mos <= 5)) __builtin_trap();
  if (r.jitter_ms && !(*r.jitter_ms >= 0 && std::isfinite(*r.jitter_ms))) __builtin_trap();
  if (r.lost && (*r.lost < -0x800000 || *r.lost > 0x7fffff)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const uint64_t capture_us = size >= 8 ? 1'700'000'000'000'000ull + (uint64_t(data[size - 1]) << 24) : 0;
  const uint32_t clock_rate = size > 0 ? uint32_t(data[0]) * 1000 : 8000;

  std::vector<QosReport> out;
  const QosDecodeStatus s = decodeRtcp(in, capture_us, out, clock_rate);
  if (s != QosDecodeStatus::Ok && !out.empty()) __builtin_trap();
  if (s == QosDecodeStatus::Ok && out.empty()) __builtin_trap();
  for (const auto& r : out) checkReport(r);
  if (statusName(s)[0] == '\0') __builtin_trap();
  (void)looksLikeRtcp(in);

  // The same bytes as a stream of RTP packets of 12..75 bytes each.
  RtpStreamStats stats(clock_rate);
  uint64_t t = 1'000'000;
  for (size_t at = 0; at < size;) {
    const size_t len = 12 + data[at] % 64;
    stats.add(in.substr(at, len), t);
    t += 20'000 + data[at] * 10;
    at += len;
  }
  const QosReport r = stats.interval("PCMA");
  if (r.fraction_lost && !(*r.fraction_lost >= 0 && *r.fraction_lost <= 1)) __builtin_trap();
  if (r.mos && !(*r.mos >= 1 && *r.mos <= 5)) __builtin_trap();
  return 0;
}
