// G.107 E-model known answers: the default connection, codec impairments from G.113 Appendix I,
// interval loss and one-way delay, and MOS from R (G.107 Annex B).
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "qos/emodel.h"

using namespace sipvault::qos;

TEST_CASE("the G.107 default connection rates R 93.2, MOS 4.41", "[qos][emodel]") {
  const double r = rFactor({});
  CHECK(r == Approx(93.2).margin(0.05));
  CHECK(mosFromR(r) == Approx(4.41).margin(0.005));
  CHECK(estimateMos({}) == Approx(4.41).margin(0.005));
  // G.711 by name is the default codec.
  CHECK(rFactor({.codec = "PCMA"}) == Approx(r));
  CHECK(rFactor({.codec = "pcmu"}) == Approx(r));
  CHECK(rFactor({.codec = "PCMA/8000"}) == Approx(r));
  CHECK(rFactor({.codec = "some-unknown-codec"}) == Approx(r));
}

TEST_CASE("a codec's equipment impairment Ie lowers R by that much", "[qos][emodel]") {
  const double r0 = rFactor({});
  CHECK(r0 - rFactor({.codec = "G729"}) == Approx(11).margin(1e-9));
  CHECK(r0 - rFactor({.codec = "G.729a"}) == Approx(11).margin(1e-9));
  CHECK(r0 - rFactor({.codec = "G723"}) == Approx(15).margin(1e-9));
  CHECK(r0 - rFactor({.codec = "GSM"}) == Approx(20).margin(1e-9));
  CHECK(r0 - rFactor({.codec = "GSM-EFR"}) == Approx(5).margin(1e-9));
  CHECK(r0 - rFactor({.codec = "G722"}) == Approx(0).margin(1e-9));
}

TEST_CASE("interval loss enters as Ie,eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl)", "[qos][emodel]") {
  const double r0 = rFactor({});
  // G.711 with PLC (Bpl 25.1), 10 % random loss: Ie,eff = 95 * 10 / 35.1 = 27.066
  CHECK(r0 - rFactor({.loss = 0.10}) == Approx(95.0 * 10 / 35.1).margin(1e-9));
  const double mos10 = estimateMos({.loss = 0.10});
  CHECK(mos10 == Approx(3.40).margin(0.02));
  // G.729A (Ie 11, Bpl 19), 2 %: 11 + 84 * 2 / 21 = 19.0
  CHECK(r0 - rFactor({.loss = 0.02, .codec = "G729"}) == Approx(11 + 84.0 * 2 / 21).margin(1e-9));
  // Bursty loss hurts more than random loss of the same rate.
  CHECK(rFactor({.loss = 0.05, .burst_ratio = 2}) < rFactor({.loss = 0.05}));
  // More loss, lower MOS; total loss is the floor.
  CHECK(estimateMos({.loss = 0.01}) > estimateMos({.loss = 0.05}));
  CHECK(estimateMos({.loss = 1.0}) < 1.6);
}

TEST_CASE("one-way delay above 100 ms adds the G.107 Idd impairment", "[qos][emodel]") {
  const double r0 = rFactor({});
  const double r100 = rFactor({.one_way_delay_ms = 100});
  const double r200 = rFactor({.one_way_delay_ms = 200});
  const double r400 = rFactor({.one_way_delay_ms = 400});
  CHECK(r100 < r0);
  CHECK(r200 < r100);
  CHECK(r400 < r200);
  // Idd alone at Ta = 200 ms: X = 1, 25 ((1 + 1)^(1/6) - 3 (1 + 3^-6)^(1/6) + 2) = 3.04
  const double idd200 = 25 * (std::pow(2.0, 1.0 / 6) - 3 * std::pow(1 + std::pow(1.0 / 3, 6), 1.0 / 6) + 2);
  CHECK(idd200 == Approx(3.044).margin(0.001));
  CHECK(r100 - r200 > idd200);
  // G.114: up to 150 ms one way is fine for most applications (R stays above 80 with G.711).
  CHECK(rFactor({.one_way_delay_ms = 150}) > 80);
}

TEST_CASE("MOS from R follows G.107 Annex B and is clamped", "[qos][emodel]") {
  CHECK(mosFromR(-5) == 1.0);
  CHECK(mosFromR(0) == 1.0);
  CHECK(mosFromR(50) == Approx(1 + 0.035 * 50 + 50 * -10 * 50 * 7e-6));
  CHECK(mosFromR(80) == Approx(4.02).margin(0.005));
  CHECK(mosFromR(100) == 4.5);
  CHECK(mosFromR(120) == 4.5);
  CHECK(mosFromR(std::numeric_limits<double>::quiet_NaN()) == 1.0);
}

TEST_CASE("out-of-range E-model input is clamped, never NaN", "[qos][emodel]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(rFactor({.loss = nan}) == Approx(rFactor({})));
  CHECK(rFactor({.loss = -1}) == Approx(rFactor({})));
  CHECK(rFactor({.loss = 7}) == Approx(rFactor({.loss = 1})));
  CHECK(rFactor({.burst_ratio = 0}) == Approx(rFactor({})));
  CHECK(std::isfinite(rFactor({.one_way_delay_ms = 1e12})));
  CHECK(std::isfinite(rFactor({.one_way_delay_ms = nan})));
  const double m = estimateMos({.loss = 0.3, .burst_ratio = 1e300, .one_way_delay_ms = -3});
  CHECK(m >= 1.0);
  CHECK(m <= 4.5);
}

TEST_CASE("the delay impairment agrees with Cole and Rosenbluth's fit of G.107", "[qos][emodel]") {
  // R. G. Cole, J. H. Rosenbluth, "Voice over IP performance monitoring", ACM SIGCOMM CCR 31(2),
  // 2001: with G.107's defaults, Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3) for a one-way delay d.
  // A piecewise-linear fit of a smooth curve: it is roughest at its knee (0.9 there).
  const double r0 = rFactor({});
  for (double d : {25.0, 50.0, 100.0, 150.0, 177.3, 200.0, 250.0, 300.0}) {
    INFO("one-way delay " << d << " ms");
    const double cole = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0.0);
    CHECK(r0 - rFactor({.one_way_delay_ms = d}) == Approx(cole).margin(1.0));
  }
}
