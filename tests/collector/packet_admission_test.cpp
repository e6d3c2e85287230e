#include "collector/packet_admission.h"

#include <Poco/Exception.h>
#include <Poco/Util/MapConfiguration.h>

#include <catch2/catch.hpp>

#include "collector/collector_options.h"

using namespace sipvault;
using namespace sipvault::collector;

TEST_CASE("packet admission checks the key, the capture id list and keep-alives", "[collector][admission]") {
  PacketView p;
  p.capture_id = 5;
  PacketAdmission open("", {});
  CHECK(open.check(p, true) == Admission::Accept);
  PacketAdmission keyed("k", {5});
  CHECK(keyed.check(p, true) == Admission::BadAuthKey);
  p.has_auth_key = true;
  p.auth_key = "k";
  CHECK(keyed.check(p, true) == Admission::Accept);
  p.capture_id = 6;
  CHECK(keyed.check(p, true) == Admission::CaptureIdNotAllowed);
  CHECK(keyed.check(p, false) == Admission::Accept);  // IP-in-IP carries no HEP fields
  PacketView ka;
  ka.keep_alive = true;
  CHECK(open.check(ka, true) == Admission::KeepAlive);
}

TEST_CASE("the auth key compare is exact whatever the lengths, and a prefix or extension of the key fails",
          "[collector][admission]") {
  CHECK(constantTimeEquals("s3cret", "s3cret"));
  CHECK_FALSE(constantTimeEquals("s3cret", "s3cres"));
  CHECK_FALSE(constantTimeEquals("s3cret", "t3cret"));
  CHECK_FALSE(constantTimeEquals("s3cret", "s3cre"));
  CHECK_FALSE(constantTimeEquals("s3cret", "s3crets3cret"));  // the key repeated is not the key
  CHECK_FALSE(constantTimeEquals("s3cret", ""));
  CHECK_FALSE(constantTimeEquals("", "x"));
  CHECK(constantTimeEquals("", ""));
  PacketAdmission keyed("s3cret", {});
  PacketView p;
  p.has_auth_key = true;
  p.auth_key = "s3cre";
  CHECK(keyed.check(p, true) == Admission::BadAuthKey);
}

TEST_CASE("IP-in-IP is taken only from outer sources in collector.ipip_allow, or from any when it is empty",
          "[collector][admission][ipip]") {
  const auto addr = [](uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d;
  };
  PacketAdmission any("", {});
  CHECK(any.allowsOuterSource(addr(203, 0, 113, 9)));
  PacketAdmission some("", {}, {*parseIpv4Prefix("10.1.0.0/16"), *parseIpv4Prefix("192.0.2.7")});
  CHECK(some.allowsOuterSource(addr(10, 1, 200, 3)));
  CHECK(some.allowsOuterSource(addr(192, 0, 2, 7)));
  CHECK_FALSE(some.allowsOuterSource(addr(10, 2, 0, 1)));
  CHECK_FALSE(some.allowsOuterSource(addr(192, 0, 2, 8)));
  CHECK(PacketAdmission("", {}, {*parseIpv4Prefix("0.0.0.0/0")}).allowsOuterSource(addr(1, 2, 3, 4)));

  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "2001:db8::/32", "10.0.0.0/8x", "host"})
    CHECK_FALSE(parseIpv4Prefix(bad));

  Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
  config->setString("collector.ipip_allow", "10.0.0.0/8, 192.0.2.1");
  CHECK(CollectorOptions::fromConfig(*config).ipip_allow.size() == 2);
  config->setString("collector.ipip_allow", "10.0.0.0/8,mirror.example");
  CHECK_THROWS_AS(CollectorOptions::fromConfig(*config), Poco::InvalidArgumentException);
}
