// The ingest policy: rule parsing, first-match-wins matching, and the shipped parser.ini defaults.
#include <Poco/AutoPtr.h>
#include <Poco/Util/IniFileConfiguration.h>

#include <catch2/catch.hpp>

#include "parser/ingest_policy.h"
#include "parser/parser_options.h"

using namespace sipvault;
using namespace sipvault::parser;

namespace {

PolicyRule rule(const std::map<std::string, std::string>& keys) {
  std::string error;
  auto r = parsePolicyRule("r", keys, error);
  INFO(error);
  REQUIRE(r);
  return *r;
}

std::string ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return std::string{char(a), char(b), char(c), char(d)}; }

struct Subject {
  std::string method = "INVITE";
  bool is_request = true;
  uint32_t status = 0;
  std::string src = ip4(192, 0, 2, 10), dst = ip4(198, 51, 100, 20);
  uint32_t src_port = 5060, dst_port = 5080, capture_id = 101;
  std::string node = "sbc-1", ua = "Acme SBC 4.2";
  PolicySubject view() const {
    return {method, is_request, status, src, dst, src_port, dst_port, capture_id, node, ua};
  }
};

}  // namespace

TEST_CASE("a policy rule with no criteria matches everything and one criterion narrows it", "[parser][policy]") {
  Subject s;
  CHECK(rule({{"action", "drop"}}).matches(s.view()));
  CHECK(rule({{"action", "drop"}, {"match.method", "options, invite"}}).matches(s.view()));
  CHECK_FALSE(rule({{"action", "drop"}, {"match.method", "OPTIONS"}}).matches(s.view()));
  CHECK(rule({{"action", "drop"}, {"match.kind", "request"}}).matches(s.view()));
  CHECK_FALSE(rule({{"action", "drop"}, {"match.kind", "response"}}).matches(s.view()));
  CHECK(rule({{"action", "drop"}, {"match.port", "5080"}}).matches(s.view()));
  CHECK_FALSE(rule({{"action", "drop"}, {"match.src_port", "5080"}}).matches(s.view()));
  CHECK(rule({{"action", "drop"}, {"match.dst_port", "5080,5081"}}).matches(s.view()));
  CHECK(rule({{"action", "drop"}, {"match.capture_id", "100,101"}}).matches(s.view()));
  CHECK_FALSE(rule({{"action", "drop"}, {"match.capture_id", "100"}}).matches(s.view()));
  CHECK(rule({{"action", "drop"}, {"match.node", "sbc-1"}}).matches(s.view()));
  CHECK_FALSE(rule({{"action", "drop"}, {"match.node", "sbc"}}).matches(s.view()));
  CHECK(rule({{"action", "drop"}, {"match.user_agent", "acme sbc"}}).matches(s.view()));
  CHECK_FALSE(rule({{"action", "drop"}, {"match.user_agent", "friendly-scanner"}}).matches(s.view()));
  // All criteria must hold.
  CHECK_FALSE(rule({{"action", "drop"}, {"match.method", "INVITE"}, {"match.node", "other"}}).matches(s.view()));
}

TEST_CASE("policy status criteria take codes, classes and ranges and never match a request", "[parser][policy]") {
  Subject s;
  const PolicyRule fivexx = rule({{"action", "drop"}, {"match.status", "5xx, 486"}});
  CHECK_FALSE(fivexx.matches(s.view()));
  s.is_request = false;
  s.status = 503;
  CHECK(fivexx.matches(s.view()));
  s.status = 486;
  CHECK(fivexx.matches(s.view()));
  s.status = 487;
  CHECK_FALSE(fivexx.matches(s.view()));
  CHECK(rule({{"action", "drop"}, {"match.status", "480-489"}}).matches(s.view()));
}

TEST_CASE("policy address criteria take IPv4 and IPv6 addresses and CIDR prefixes", "[parser][policy]") {
  Subject s;
  CHECK(rule({{"action", "drop"}, {"match.src", "192.0.2.0/24"}}).matches(s.view()));
  CHECK(rule({{"action", "drop"}, {"match.src", "192.0.2.10"}}).matches(s.view()));
  CHECK_FALSE(rule({{"action", "drop"}, {"match.src", "192.0.2.11"}}).matches(s.view()));
  CHECK(rule({{"action", "drop"}, {"match.src", "192.0.0.0/22"}}).matches(s.view()));
  CHECK_FALSE(rule({{"action", "drop"}, {"match.src", "192.0.4.0/22"}}).matches(s.view()));
  CHECK(rule({{"action", "drop"}, {"match.dst", "0.0.0.0/0"}}).matches(s.view()));
  CHECK_FALSE(rule({{"action", "drop"}, {"match.dst", "2001:db8::/32"}}).matches(s.view()));
  auto v6 = parseIpPrefix("2001:db8::/33");
  REQUIRE(v6);
  std::string a = v6->address;
  CHECK(v6->contains(a));
  a[4] = static_cast<char>(0x7f);
  CHECK(v6->contains(a));
  a[4] = static_cast<char>(0x80);
  CHECK_FALSE(v6->contains(a));
  CHECK_FALSE(v6->contains(ip4(32, 1, 13, 184)));  // an IPv4 address is never in an IPv6 prefix
}

TEST_CASE("policy rules refuse bad values and unknown keys, naming the key", "[parser][policy]") {
  auto refused = [](const std::map<std::string, std::string>& keys, const std::string& key) {
    std::string error;
    CHECK_FALSE(parsePolicyRule("r", keys, error));
    CHECK(error.rfind(key, 0) == 0);
  };
  refused({{"match.method", "OPTIONS"}}, "action");
  refused({{"action", "store:forever"}}, "action");
  refused({{"action", "keep"}}, "action");
  refused({{"action", "drop"}, {"match.status", "7xx"}}, "match.status");
  refused({{"action", "drop"}, {"match.status", "99"}}, "match.status");
  refused({{"action", "drop"}, {"match.src", "10.0.0.0/33"}}, "match.src");
  refused({{"action", "drop"}, {"match.dst", "example.com"}}, "match.dst");
  refused({{"action", "drop"}, {"match.port", "70000"}}, "match.port");
  refused({{"action", "drop"}, {"match.kind", "both"}}, "match.kind");
  refused({{"action", "drop"}, {"match.methd", "INVITE"}}, "match.methd");
  refused({{"action", "drop"}, {"name", "a\"b"}}, "name");
}

TEST_CASE("the first matching rule wins and no match means the default", "[parser][policy]") {
  IngestPolicy policy({rule({{"action", "drop"}, {"match.user_agent", "scanner"}}),
                       rule({{"action", "summarize"}, {"match.method", "OPTIONS"}}),
                       rule({{"action", "store:registrations"}, {"match.method", "REGISTER"}})});
  Subject s;
  CHECK(policy.match(s.view()) == -1);
  s.method = "OPTIONS";
  CHECK(policy.match(s.view()) == 1);
  s.ua = "friendly-SCANNER";
  CHECK(policy.match(s.view()) == 0);
  s.ua = "";
  s.method = "register";  // methods compare case-insensitively
  CHECK(policy.match(s.view()) == 2);
  CHECK(policy.rules()[2].storage_class == StorageClass::Registrations);
}

TEST_CASE("the shipped parser.ini summarizes OPTIONS, keeps REGISTER apart and calls as calls", "[parser][policy]") {
  Poco::AutoPtr<Poco::Util::IniFileConfiguration> ini(
      new Poco::Util::IniFileConfiguration(std::string(SIPVAULT_SOURCE_DIR) + "/deploy/config/parser.ini"));
  const ParserOptions options = ParserOptions::fromConfig(*ini);
  REQUIRE(options.policy_rules.size() == 3);
  IngestPolicy policy(options.policy_rules);
  Subject s;
  CHECK(policy.match(s.view()) == -1);  // INVITE: no rule, stored as a call
  s.method = "OPTIONS";
  s.is_request = false;
  s.status = 503;
  const int options_rule = policy.match(s.view());
  REQUIRE(options_rule >= 0);
  CHECK(policy.rules()[static_cast<size_t>(options_rule)].name == "options");
  CHECK(policy.rules()[static_cast<size_t>(options_rule)].action == PolicyAction::Summarize);
  s.method = "REGISTER";
  const int register_rule = policy.match(s.view());
  REQUIRE(register_rule >= 0);
  CHECK(policy.rules()[static_cast<size_t>(register_rule)].storage_class == StorageClass::Registrations);
  s.method = "NOTIFY";
  CHECK(policy.rules()[static_cast<size_t>(policy.match(s.view()))].storage_class == StorageClass::Other);
}
