#pragma once
// MOS estimate from the ITU-T G.107 E-model with the codec's equipment impairment (Ie) and packet-
// loss robustness (Bpl) from ITU-T G.113 Appendix I; the one-way delay is RTT/2 plus the jitter
// buffer. Narrowband R scale (max 93.2). Pure, thread-safe.
//
// The full G.107 computation with its default parameters: no impairment gives R 93.2, MOS 4.41.
// Delay: T = Ta = one_way_delay_ms, Tr = 2T (Idte, Idle, Idd of G.107 7.4). Loss:
// Ie,eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl). The codec table and its sources are in
// emodel.cpp; names compare case-insensitively without '.', '-', '_' and after '/' ("G.729a",
// "PCMA/8000"); unknown codecs count as G.711 with PLC. NaN or out-of-range input is clamped
// (loss to 0..1, burst_ratio >= 1, delay to 0..60 s), never propagated.
// Designated initializers ({.loss = 0.02, .codec = "G729"}) are the intended use; GCC 12 warns
// about the members left out (-Wmissing-field-initializers) although they have defaults.
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
