#include "proto/packet.h"

#include <catch2/catch.hpp>

namespace sipvault {

TEST_CASE("IpAddress parses and prints IPv4 and IPv6 text", "[packet][ip]") {
  auto v4 = IpAddress::parse("192.0.2.33");
  REQUIRE(v4);
  CHECK(v4->family == 4);
  CHECK(v4->raw() == std::string_view("\xc0\x00\x02\x21", 4));
  CHECK(v4->toString() == "192.0.2.33");

  auto v6 = IpAddress::parse("2001:0DB8:0000:0000:0000:0000:0000:0001");
  REQUIRE(v6);
  CHECK(v6->family == 6);
  CHECK(v6->raw().size() == 16);
  CHECK(v6->toString() == "2001:db8::1");  // RFC 5952 form
  CHECK(IpAddress::parse("::ffff:192.0.2.1")->toString() == "::ffff:192.0.2.1");
}

TEST_CASE("IpAddress rejects text that is not an address", "[packet][ip]") {
  for (std::string_view bad :
       {"", "1.2.3", "256.1.1.1", "example.com", "2001:db8::1::2", " 1.2.3.4", "1.2.3.4 ", "[2001:db8::1]"}) {
    CHECK_FALSE(IpAddress::parse(bad));
  }
  CHECK_FALSE(IpAddress::parse(std::string_view("1.2.3.4\0junk", 12)));
  CHECK_FALSE(IpAddress::parse(std::string(200, '1')));
}

TEST_CASE("IpAddress from raw bytes compares by family and bytes", "[packet][ip]") {
  const uint8_t a[16] = {10, 0, 0, 1, 9, 9, 9, 9};
  const uint8_t b[16] = {10, 0, 0, 1, 7, 7, 7, 7};
  CHECK(IpAddress::v4(a) == IpAddress::v4(b));  // only the first 4 bytes count for IPv4
  CHECK_FALSE(IpAddress::v6(a) == IpAddress::v6(b));
  CHECK_FALSE(IpAddress::v4(a) == IpAddress::v6(a));
  CHECK(IpAddress{}.toString().empty());
  CHECK(IpAddress::v4(a).toString() == "10.0.0.1");
}

}  // namespace sipvault
