// Aliases in the api's pure parts: filter parsing, resolution, SQL, and the alias fields.
#include <catch2/catch.hpp>

#include "api/alias_cache.h"
#include "api/search_sql.h"

using namespace sipvault::api;
using namespace sipvault::store;

namespace {

AliasTarget target(const std::string& text) {
  std::string why;
  auto t = parseAliasTarget(text, why);
  REQUIRE(t);
  return *t;
}

SearchFilter parse(const QueryParams& params) {
  SearchFilter f;
  auto e = parseSearchFilter(params, 1000, FilterDefaults{}, {}, f);
  INFO((e ? e->parameter + ": " + e->message : ""));
  REQUIRE(!e);
  return f;
}

}  // namespace

TEST_CASE("alias filters parse as names and resolve to every target of the name", "[api][alias]") {
  AliasTable table({{1, "SBC", target("192.0.2.0/24")}, {2, "SBC", target("capture:9")}, {3, "Core", target("10.0.0.1:5060")}});
  SearchFilter f = parse({{"alias", "SBC"}, {"dst_alias", "Core"}});
  REQUIRE(f.aliases.size() == 2);
  CHECK_FALSE(f.aliases[0].resolved);
  REQUIRE(!resolveAliasFilters(f, table));
  CHECK(f.aliases[0].targets.size() == 2);
  CHECK(f.aliases[1].side == AliasFilter::Side::Dst);

  SearchFilter unknown = parse({{"src_alias", "Nope"}});
  auto e = resolveAliasFilters(unknown, table);
  REQUIRE(e);
  CHECK(e->parameter == "src_alias");

  SearchFilter bad;
  auto refused = parseSearchFilter({{"alias", std::string(65, 'a')}}, 1000, FilterDefaults{}, {}, bad);
  REQUIRE(refused);
  CHECK(refused->parameter == "alias");
}

TEST_CASE("alias conditions: a byte range per prefix, ip and port per endpoint, capture_id, all bound", "[api][alias]") {
  AliasTable table({{1, "SBC", target("192.0.2.0/24")}, {2, "SBC", target("capture:9")},
                    {3, "Core", target("10.0.0.1:5060")}, {4, "Host", target("198.51.100.7")}});
  SearchFilter f = parse({{"alias", "SBC"}, {"dst_alias", "Core"}, {"src_alias", "Host"}});
  REQUIRE(!resolveAliasFilters(f, table));
  const SqlQuery q = searchCondition(f);
  CHECK(q.sql.find("(LENGTH(src_ip) = ? AND src_ip BETWEEN UNHEX(?) AND UNHEX(?)) OR "
                   "(LENGTH(dst_ip) = ? AND dst_ip BETWEEN UNHEX(?) AND UNHEX(?))") != std::string::npos);
  CHECK(q.sql.find("capture_id = ?") != std::string::npos);
  CHECK(q.sql.find("(dst_ip = UNHEX(?) AND dst_port = ?)") != std::string::npos);
  CHECK(q.sql.find("src_ip = UNHEX(?)") != std::string::npos);
  CHECK(q.sql.find("SBC") == std::string::npos);  // names never reach SQL text
  bool low = false, high = false;
  for (const SqlParam& p : q.params) {
    if (const auto* s = std::get_if<std::string>(&p)) {
      low = low || *s == "C0000200";
      high = high || *s == "C00002FF";
    }
  }
  CHECK(low);
  CHECK(high);

  // Never resolved: matches nothing rather than everything.
  SearchFilter unresolved = parse({{"alias", "SBC"}});
  CHECK(searchCondition(unresolved).sql.find("AND 0 = 1") != std::string::npos);
}

TEST_CASE("messages and flows carry the alias of each side, hosts without one get none", "[api][alias]") {
  AliasTable table({{1, "Edge", target("192.0.2.10:5060")}, {2, "Probe", target("capture:4")}});
  MessageRecord m;
  m.src_ip = std::string("\xc0\x00\x02\x0a", 4);
  m.src_port = 5060;
  m.dst_ip = std::string("\xc6\x33\x64\x01", 4);
  m.dst_port = 5060;
  m.capture_id = 3;
  Poco::JSON::Object o;
  addAliasFields(o, m, table);
  CHECK(o.getValue<std::string>("src_alias") == "Edge");
  CHECK(o.get("dst_alias").isEmpty());
  const std::vector<std::string> hosts = {hostText(m.src_ip, 5060), hostText(m.dst_ip, 5060), "203.0.113.1:5060"};
  CHECK(hostAliases({m}, hosts, table) == std::vector<std::string>{"Edge", "", ""});
  m.capture_id = 4;  // the capture id names what no address alias does
  CHECK(hostAliases({m}, hosts, table) == std::vector<std::string>{"Edge", "Probe", ""});
}
