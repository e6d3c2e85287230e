// Custom headers and correlation rules (issue 14) through the real pipeline: the loader's parser
// runs with kParserHeaderConfig (api_test_env.h), the writer stores the values in sip_headers, and
// the api searches them (header.<name>=value) and follows the link values in a call's flow.
#include <Poco/JSON/Array.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "api_test_env.h"

using namespace sipvault::apitest;

namespace {

const std::string kAll = "from=0s&to=4102444800000ms";

std::set<std::string> callIds(const HttpResult& r) {
  std::set<std::string> out;
  auto items = r.json()->getArray("items");
  for (size_t i = 0; i < items->size(); ++i)
    out.insert(items->getObject(static_cast<unsigned>(i))->getValue<std::string>("call_id"));
  return out;
}

struct Leg {
  std::string relation, rule, value;
};

std::map<std::string, Leg> legsOf(const std::string& call_id) {
  HttpResult r = admin().get("/api/v1/calls/" + enc(call_id) + "/flow?" + kAll);
  REQUIRE(r.status == 200);
  std::map<std::string, Leg> out;
  auto legs = r.json()->getArray("legs");
  for (size_t i = 0; i < legs->size(); ++i) {
    auto l = legs->getObject(static_cast<unsigned>(i));
    Leg leg{l->getValue<std::string>("relation"), "", ""};
    if (auto why = l->getObject("linked_by")) {
      leg.rule = why->getValue<std::string>("rule");
      leg.value = why->getValue<std::string>("value");
    }
    out[l->getValue<std::string>("call_id")] = leg;
  }
  return out;
}

}  // namespace

TEST_CASE("header.<name>= finds messages by a custom header value, exact and with * patterns",
          "[api][headers][integration]") {
  // pai_user: the regex capture of the PAI URI's user part; only leg A's INVITE carries a PAI.
  HttpResult exact = admin().get("/api/v1/messages?" + kAll + "&header.pai_user=" + enc("+4960111"));
  REQUIRE(exact.status == 200);
  CHECK(callIds(exact) == std::set<std::string>{kIcidA});
  CHECK(exact.json()->getArray("items")->size() == 1);
  // Names are case-insensitive; `*` patterns scan the range.
  HttpResult pattern = admin().get("/api/v1/messages?" + kAll + "&header.P-Asserted-Identity=" + enc("*Icid <A>*"));
  REQUIRE(pattern.status == 200);
  CHECK(callIds(pattern) == std::set<std::string>{kIcidA});
  CHECK(callIds(admin().get("/api/v1/messages?" + kAll + "&header.pai_user=" + enc("+4960*"))) ==
        std::set<std::string>{kIcidA});
  CHECK(callIds(admin().get("/api/v1/messages?" + kAll + "&header.pai_user=4960111")).empty());
  // Calls and exports take the same filter.
  HttpResult calls = admin().get("/api/v1/calls?" + kAll + "&header.pai_user=" + enc("+4960111"));
  REQUIRE(calls.status == 200);
  CHECK(callIds(calls) == std::set<std::string>{kIcidA});
  HttpResult text = admin().get("/api/v1/export.txt?" + kAll + "&header.pai_user=" + enc("+4960111"));
  REQUIRE(text.status == 200);
  CHECK(text.body.find(kIcidA) != std::string::npos);
  CHECK(text.body.find(kIcidB) == std::string::npos);
  // Link values are not header fields.
  CHECK(callIds(admin().get("/api/v1/messages?" + kAll + "&header.icid=" + enc(kIcidValue))).empty());

  // The values come with each message of a list and in the message detail.
  auto m = exact.json()->getArray("items")->getObject(0);
  auto fields = m->getArray("custom_headers");
  REQUIRE(fields->size() == 2);
  CHECK(fields->getObject(0)->getValue<std::string>("name") == "p-asserted-identity");
  CHECK(fields->getObject(0)->getValue<std::string>("value") == "\"Icid <A>\" <sip:+4960111@ims.example.net>");
  CHECK(fields->getObject(1)->getValue<std::string>("value") == "+4960111");
  HttpResult detail = admin().get("/api/v1/messages/" + m->getValue<std::string>("id"));
  REQUIRE(detail.status == 200);
  auto links = detail.json()->getArray("links");
  REQUIRE(links->size() == 1);
  CHECK(links->getObject(0)->getValue<std::string>("rule") == "icid");
  CHECK(links->getObject(0)->getValue<std::string>("value") == kIcidValue);
}

TEST_CASE("a message stored without header values says so (flags 8) and lists none, one with values keeps them",
          "[api][headers][integration]") {
  auto flagsAndHeaders = [](const std::string& call_id) {
    HttpResult r = admin().get("/api/v1/messages?" + kAll + "&call_id=" + enc(call_id));
    REQUIRE(r.status == 200);
    std::vector<std::pair<int, size_t>> out;  // (flags & 8, custom header fields)
    auto items = r.json()->getArray("items");
    for (size_t i = 0; i < items->size(); ++i) {
      auto m = items->getObject(static_cast<unsigned>(i));
      out.emplace_back(m->getValue<int>("flags") & 8, m->getArray("custom_headers")->size());
    }
    return out;
  };
  // Leg A of the B2BUA pair carries no PAI, P-Charging-Vector or Session-ID: every message is marked.
  const auto plain = flagsAndHeaders(kLegA);
  REQUIRE(!plain.empty());
  for (const auto& [flag, fields] : plain) {
    CHECK(flag == 8);
    CHECK(fields == 0);
  }
  // The icid call's messages all carry a link value (its INVITE two fields as well): none is marked.
  const auto icid = flagsAndHeaders(kIcidA);
  REQUIRE(icid.size() == 2);
  for (const auto& [flag, fields] : icid) CHECK(flag == 0);
  CHECK(std::count_if(icid.begin(), icid.end(), [](const auto& m) { return m.second == 2; }) == 1);
}

TEST_CASE("a hostile header.<name> or value is a 400 or a bound parameter, never SQL", "[api][headers][integration]") {
  CHECK(admin().get("/api/v1/messages?" + kAll + "&header.=x").status == 400);
  CHECK(admin().get("/api/v1/messages?" + kAll + "&" + enc("header.a' OR 1=1 --") + "=x").status == 400);
  CHECK(admin().get("/api/v1/messages?" + kAll + "&header.a=1&header.A=2").status == 400);
  CHECK(admin().get("/api/v1/messages?" + kAll + "&header.a=1&header.b=1&header.c=1&header.d=1&header.e=1").status ==
        400);
  HttpResult quote = admin().get("/api/v1/messages?" + kAll + "&header.pai_user=" + enc("x' OR '1'='1"));
  REQUIRE(quote.status == 200);
  CHECK(callIds(quote).empty());
}

TEST_CASE("a flow links two B2BUA legs that share only a P-Charging-Vector icid-value, and says why",
          "[api][flow][correlation][integration]") {
  for (const char* self : {kIcidA, kIcidB}) {
    const auto legs = legsOf(self);
    REQUIRE(legs.size() == 2);
    const char* other = std::string(self) == kIcidA ? kIcidB : kIcidA;
    REQUIRE(legs.count(other));
    CHECK(legs.at(self).relation == "self");
    CHECK(legs.at(other).relation == "rule");
    CHECK(legs.at(other).rule == "icid");
    CHECK(legs.at(other).value == kIcidValue);
  }
  // Exports of the flow carry every linked leg.
  HttpResult linked = admin().get("/api/v1/messages?" + kAll + "&call_id=" + enc(kIcidA) + "&legs=linked");
  REQUIRE(linked.status == 200);
  CHECK(linked.json()->getArray("items")->size() == 4);
  HttpResult pcap = admin().get("/api/v1/export.pcap?" + kAll + "&call_id=" + enc(kIcidA) + "&legs=linked");
  REQUIRE(pcap.status == 200);
  CHECK(pcap.headers["x-sipvault-messages"] == "4");
}

TEST_CASE("a flow links two B2BUA legs that share only a Session-ID UUID", "[api][flow][correlation][integration]") {
  const auto legs = legsOf(kSessionA);
  REQUIRE(legs.size() == 2);
  REQUIRE(legs.count(kSessionB));
  CHECK(legs.at(kSessionB).relation == "rule");
  CHECK(legs.at(kSessionB).rule == "session-id");
  CHECK(legs.at(kSessionB).value == kSessionUuidA);
  // From B's side too (its 200 carries both UUIDs, its INVITE A's).
  CHECK(legsOf(kSessionB).count(kSessionA) == 1);
  // The icid call and the Session-ID call are not linked to each other.
  CHECK(legsOf(kIcidA).count(kSessionA) == 0);
}
