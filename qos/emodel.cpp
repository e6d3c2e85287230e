// ITU-T G.107 (06/2015) E-model, computed in full with the Recommendation's default parameters
// (Table 3) except the delays and the codec's impairment, which come from EModelInput:
//   T  = Ta = one-way (mouth-to-ear) delay, Tr = 2 T;  Ie, Bpl from the codec table below;
//   Ppl = loss in percent, BurstR as given.
// With the defaults R = 93.2 (G.107 7.1), i.e. MOS 4.41 (Annex B).
#include "qos/emodel.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace sipvault::qos {
namespace {

// Equipment impairment factor and packet-loss robustness of a codec on the narrowband R scale.
struct CodecImpairment {
  std::string_view name;  // lower case, compared with the SDP/report name lower-cased and without '.'/'-'
  double ie;
  double bpl;
};

// Sources:
// - G.711 (PCMU/PCMA), G.729(A), G.723.1, GSM-EFR: ITU-T G.113 (11/2007) Appendix I, Table I.1 (Ie)
//   and Table I.3 (Bpl, random loss): G.711 with PLC Ie 0 Bpl 25.1; G.729A+VAD Ie 11 Bpl 19.0;
//   G.723.1+VAD 6.3 kbit/s Ie 15 Bpl 16.1; GSM-EFR 12.2 kbit/s Ie 5 Bpl 10.0.
// - GSM full rate (06.10): Table I.1 Ie 20; G.113 gives no Bpl, so GSM-EFR's 10.0 is used.
// - AMR-NB: the 12.2 kbit/s mode is GSM-EFR (Ie 5, Bpl 10.0).
// - iLBC (RFC 3951): not in G.113; Ie 11 and Bpl 32 are the values used in published E-model studies
//   of iLBC 20/30 ms (its frame-independent coding makes it more loss-robust than G.729).
// - Wideband codecs (G.722, AMR-WB, opus): their own scale is G.107.1's; here, on the narrowband
//   scale, they get no distortion (Ie 0) and the loss robustness of G.711 with PLC (Bpl 25.1), a
//   conservative choice: their PLC (G.722 Appendix III/IV, opus) is at least as good. Their wideband
//   advantage is not credited, so a MOS compares across codecs on one (narrowband) scale.
// - Unknown or absent codec: G.711 with PLC.
constexpr CodecImpairment kCodecs[] = {
    {"pcma", 0, 25.1},     {"pcmu", 0, 25.1},   {"g711", 0, 25.1},    {"g711a", 0, 25.1},
    {"g711u", 0, 25.1},    {"g729", 11, 19.0},  {"g729a", 11, 19.0},  {"g729ab", 11, 19.0},
    {"g729b", 11, 19.0},   {"g723", 15, 16.1},  {"g7231", 15, 16.1},  {"gsm", 20, 10.0},
    {"gsmefr", 5, 10.0},   {"amr", 5, 10.0},    {"ilbc", 11, 32.0},   {"g722", 0, 25.1},
    {"amrwb", 0, 25.1},    {"opus", 0, 25.1},
};
constexpr CodecImpairment kDefaultCodec{"g711", 0, 25.1};

const CodecImpairment& codecImpairment(std::string_view codec) {
  char key[16];
  size_t n = 0;
  for (char c : codec) {
    if (c == '.' || c == '-' || c == '_' || c == ' ') continue;
    if (c == '/') break;  // "PCMA/8000"
    if (n == sizeof key) return kDefaultCodec;
    key[n++] = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const std::string_view k(key, n);
  for (const auto& c : kCodecs) {
    if (c.name == k) return c;
  }
  return kDefaultCodec;
}

// G.107 Table 3 default values.
constexpr double kSlr = 8, kRlr = 2, kStmr = 15, kLstr = 18, kDs = 3, kTelr = 65, kWepl = 110;
constexpr double kQdu = 1, kNc = -70, kNfor = -64, kPs = 35, kPr = 35, kA = 0;

double lg(double x) { return std::log10(x); }

// The basic signal-to-noise ratio Ro and the simultaneous impairment Is (they do not depend on
// delay when STMR >= 9 dB, except Is's STMRo through T).
struct Base {
  double no, ro, is;
};

Base baseTerms(double t) {
  const double olr = kSlr + kRlr;
  const double nos = kPs - kSlr - kDs - 100 + 0.004 * (kPs - olr - kDs - 14) * (kPs - olr - kDs - 14);
  const double pre = kPr + 10 * lg(1 + std::pow(10, (10 - kLstr) / 10));
  const double nor = kRlr - 121 + pre + 0.008 * (pre - 35) * (pre - 35);
  const double nfo = kNfor + kRlr;
  const double no = 10 * lg(std::pow(10, kNc / 10) + std::pow(10, nos / 10) + std::pow(10, nor / 10) +
                            std::pow(10, nfo / 10));
  const double ro = 15 - 1.5 * (kSlr + no);
  // Is = Iolr + Ist + Iq
  const double xolr = olr + 0.2 * (64 + no - kRlr);
  const double iolr = 20 * (std::pow(1 + std::pow(xolr / 8, 8), 1.0 / 8) - xolr / 8);
  const double stmro = -10 * lg(std::pow(10, -kStmr / 10) + std::exp(-t / 4) * std::pow(10, -kTelr / 10));
  const double ist = 12 * std::pow(1 + std::pow((stmro - 13) / 6, 8), 1.0 / 8) -
                     28 * std::pow(1 + std::pow((stmro + 1) / 19.4, 35), 1.0 / 35) -
                     13 * std::pow(1 + std::pow((stmro - 3) / 33, 13), 1.0 / 13) + 29;
  const double q = 37 - 15 * lg(kQdu);
  const double g = 1.07 + 0.258 * q + 0.0602 * q * q;
  const double z = 46.0 / 30 - g / 40;
  const double y = (ro - 100) / 15 + 46.0 / 8.4 - g / 9;
  const double iq = 15 * lg(1 + std::pow(10, y) + std::pow(10, z));
  return {no, ro, iolr + ist + iq};
}

// Delay impairment Id = Idte + Idle + Idd (G.107 7.4), T = Ta = one-way delay, Tr = 2 T.
double delayImpairment(const Base& b, double t) {
  const double ta = t, tr = 2 * t;
  const double terv = kTelr - 40 * lg((1 + t / 10) / (1 + t / 150)) + 6 * std::exp(-0.3 * t * t);
  const double roe = -1.5 * (b.no - kRlr);
  const double re = 80 + 2.5 * (terv - 14);
  const double idte = ((roe - re) / 2 + std::sqrt((roe - re) * (roe - re) / 4 + 100) - 1) * (1 - std::exp(-t));
  const double rle = 10.5 * (kWepl + 7) * std::pow(tr + 1, -0.25);
  const double idle = (b.ro - rle) / 2 + std::sqrt((b.ro - rle) * (b.ro - rle) / 4 + 169);
  double idd = 0;
  if (ta > 100) {
    const double x = lg(ta / 100) / lg(2);
    idd = 25 * (std::pow(1 + std::pow(x, 6), 1.0 / 6) - 3 * std::pow(1 + std::pow(x / 3, 6), 1.0 / 6) + 2);
  }
  return idte + idle + idd;
}

}  // namespace

double rFactor(const EModelInput& in) {
  // Out-of-range input (NaN, negative, > 100 %) is clamped rather than trusted.
  double loss = std::isfinite(in.loss) ? std::clamp(in.loss, 0.0, 1.0) : 0.0;
  double burst = std::isfinite(in.burst_ratio) && in.burst_ratio >= 1 ? in.burst_ratio : 1.0;
  double t = std::isfinite(in.one_way_delay_ms) ? std::clamp(in.one_way_delay_ms, 0.0, 60000.0) : 0.0;
  const CodecImpairment& codec = codecImpairment(in.codec);
  const Base b = baseTerms(t);
  const double ppl = loss * 100;
  const double ie_eff = codec.ie + (95 - codec.ie) * ppl / (ppl / burst + codec.bpl);
  return b.ro - b.is - delayImpairment(b, t) - ie_eff + kA;
}

double mosFromR(double r) {
  if (!(r > 0)) return 1.0;  // also NaN
  if (r >= 100) return 4.5;
  const double mos = 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
  return std::clamp(mos, 1.0, 4.5);
}

}  // namespace sipvault::qos
