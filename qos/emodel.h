#pragma once
// MOS estimate from the ITU-T G.107 E-model with the codec's equipment impairment (Ie) and packet-
// loss robustness (Bpl) from ITU-T G.113 Appendix I; the one-way delay is RTT/2 plus the jitter
// buffer. Narrowband R scale (max 93.2). Pure, constexpr-friendly.
#include <string_view>

namespace sipvault::qos {

struct EModelInput {
  double loss = 0;             // packet loss over the interval, 0..1 (never a cumulative ratio)
  double burst_ratio = 1;      // BurstR (1 = random loss)
  double one_way_delay_ms = 0; // mouth-to-ear; unknown: 0 (no delay impairment)
  std::string_view codec;      // "PCMA", "PCMU", "G729", "G722", "opus", ... ("" = G.711)
};

[[nodiscard]] double rFactor(const EModelInput& in);
[[nodiscard]] double mosFromR(double r);  // G.107 Annex B, clamped to 1..4.5
[[nodiscard]] inline double estimateMos(const EModelInput& in) { return mosFromR(rFactor(in)); }

}  // namespace sipvault::qos
