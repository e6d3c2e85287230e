// store/alias_table.h: target syntax, name rules and lookup precedence.
#include <catch2/catch.hpp>

#include "store/alias_table.h"

using namespace sipvault::store;

namespace {

AliasTarget target(const std::string& text) {
  std::string why;
  auto t = parseAliasTarget(text, why);
  INFO(text << ": " << why);
  REQUIRE(t);
  return *t;
}

std::string refusal(const std::string& text) {
  std::string why;
  auto t = parseAliasTarget(text, why);
  CHECK_FALSE(t);
  return why;
}

std::string raw4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return std::string{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), static_cast<char>(d)};
}

}  // namespace

TEST_CASE("alias targets parse into their kind and print canonically", "[store][alias]") {
  CHECK(target("192.0.2.0/24").kind == AliasTarget::Kind::Prefix);
  CHECK(target("192.0.2.0/24").prefix_bits == 24);
  CHECK(formatAliasTarget(target("192.0.2.0/24")) == "192.0.2.0/24");
  CHECK(formatAliasTarget(target("192.0.2.7")) == "192.0.2.7");
  CHECK(target("192.0.2.7").prefix_bits == 32);
  CHECK(formatAliasTarget(target("2001:DB8::/32")) == "2001:db8::/32");
  CHECK(target("192.0.2.10:5060").kind == AliasTarget::Kind::Endpoint);
  CHECK(target("192.0.2.10:5060").port == 5060);
  CHECK(formatAliasTarget(target("[2001:db8::1]:5061")) == "[2001:db8::1]:5061");
  CHECK(target("capture:2001").capture_id == 2001);
  CHECK(formatAliasTarget(target("capture:4294967295")) == "capture:4294967295");
  CHECK(aliasKindName(target("capture:1").kind) == "capture");
}

TEST_CASE("alias targets with bad syntax are refused with a reason", "[store][alias]") {
  CHECK(refusal("192.0.2.1/24").find("192.0.2.0/24") != std::string::npos);  // host bits set
  CHECK(refusal("192.0.2.0/33").find("0-32") != std::string::npos);
  for (const char* bad : {"", "example.com", "192.0.2.1:", "192.0.2.1:65536", "[2001:db8::1]", "[::1]x",
                          "capture:", "capture:-1", "capture:4294967296", "1.2.3.4/", "1.2.3.4/x",
                          "'; DROP TABLE api_aliases; --", "<script>", "192.0.2.1 ", "192.0.2.1:5060:1"}) {
    std::string why;
    INFO(bad);
    CHECK_FALSE(parseAliasTarget(bad, why));
    CHECK_FALSE(why.empty());
  }
}

TEST_CASE("alias names: UTF-8 without control characters, 1-64 bytes, no outer spaces", "[store][alias]") {
  std::string why;
  CHECK(validAliasName("SBC-Frankfurt", why));
  CHECK(validAliasName("<b>Core</b> & \"Edge\"", why));  // allowed; every reader escapes
  CHECK(validAliasName("Köln Süd", why));
  CHECK(validAliasName(std::string(64, 'a'), why));
  CHECK_FALSE(validAliasName(std::string(65, 'a'), why));
  CHECK_FALSE(validAliasName("", why));
  CHECK_FALSE(validAliasName(" lead", why));
  CHECK_FALSE(validAliasName("tab\there", why));
  CHECK_FALSE(validAliasName(std::string("nul\0x", 5), why));
  CHECK_FALSE(validAliasName("\xc3", why));          // truncated
  CHECK_FALSE(validAliasName("\xc0\xaf", why));      // overlong
  CHECK_FALSE(validAliasName("\xed\xa0\x80", why));  // surrogate
  CHECK_FALSE(validAliasName("\xc2\x85", why));      // C1 control (NEL)
}

TEST_CASE("alias lookup: IP:port before the longest prefix before the capture id", "[store][alias]") {
  AliasTable table({
      {1, "Net", target("192.0.2.0/24")},
      {2, "Half", target("192.0.2.128/25")},
      {3, "SBC", target("192.0.2.200:5060")},
      {4, "Probe", target("capture:7")},
      {5, "SBC", target("198.51.100.1")},
  });
  CHECK(*table.nameOf(raw4(192, 0, 2, 200), 5060, 7) == "SBC");
  CHECK(*table.nameOf(raw4(192, 0, 2, 200), 5061, 7) == "Half");
  CHECK(*table.nameOf(raw4(192, 0, 2, 5), 5060, 7) == "Net");
  CHECK(*table.nameOf(raw4(203, 0, 113, 1), 5060, 7) == "Probe");
  CHECK(table.nameOf(raw4(203, 0, 113, 1), 5060, 8) == nullptr);
  CHECK(table.nameOfAddress(raw4(203, 0, 113, 1), 5060) == nullptr);
  CHECK(*table.nameOf(raw4(198, 51, 100, 1), 1, 0) == "SBC");
  CHECK(table.nameOf(std::string(16, '\0'), 5060, 0) == nullptr);  // IPv6 never matches an IPv4 prefix
  CHECK(table.targetsOf("SBC").size() == 2);
  CHECK(table.targetsOf("sbc").empty());
  CHECK(table.names() == std::vector<std::string>{"Half", "Net", "Probe", "SBC"});
}

TEST_CASE("a prefix spans its first to last address", "[store][alias]") {
  const AliasTarget t = target("10.0.0.0/15");
  CHECK(t.firstAddress() == raw4(10, 0, 0, 0));
  CHECK(t.lastAddress() == raw4(10, 1, 255, 255));
  CHECK(t.contains(raw4(10, 0, 3, 4)));
  CHECK_FALSE(t.contains(raw4(10, 2, 0, 0)));
}
