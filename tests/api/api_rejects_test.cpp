// GET /api/v1/rejects and /rejects/{id} (issue 12, "Missing 7"): SIP that failed to parse, sent
// through the real collector -> parser -> writer (api_test_env.cpp rejectTruth()).
#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Array.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "api_test_env.h"

using namespace sipvault::apitest;

namespace {

const std::string kRange = "from=2026-11-26T12:00:00Z&to=2026-11-26T14:00:00Z";

std::string base64Decode(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder decoder(in);
  return std::string(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
}

// The test's rejects in an answer, in order.
std::vector<Poco::JSON::Object::Ptr> ours(const HttpResult& r) {
  std::vector<Poco::JSON::Object::Ptr> out;
  auto items = r.json()->getArray("items");
  for (size_t i = 0; i < items->size(); ++i) {
    auto o = items->getObject(static_cast<unsigned>(i));
    if (o->getValue<uint32_t>("capture_id") == kRejectCaptureId) out.push_back(o);
  }
  return out;
}

}  // namespace

TEST_CASE("rejects lists SIP that failed to parse, with time, addresses and the parser's reason",
          "[api][rejects][integration]") {
  HttpResult r = admin().get("/api/v1/rejects?" + kRange);
  REQUIRE(r.status == 200);
  auto found = ours(r);
  REQUIRE(found.size() == rejectTruth().size());
  for (size_t i = 0; i < found.size(); ++i) {
    const TruthReject& t = rejectTruth()[i];
    CHECK(found[i]->getValue<uint64_t>("time_us") == t.time_us);
    CHECK(found[i]->getValue<std::string>("src_ip") == t.src_ip);
    CHECK(found[i]->getValue<uint16_t>("src_port") == t.src_port);
    CHECK(found[i]->getValue<std::string>("dst_ip") == t.dst_ip);
    CHECK(found[i]->getValue<uint16_t>("dst_port") == t.dst_port);
    CHECK(found[i]->getValue<std::string>("transport") == "udp");
    CHECK(found[i]->getValue<std::string>("reason").find(t.reason_part) != std::string::npos);
    CHECK(found[i]->getValue<uint32_t>("raw_len") == t.payload.size());
    CHECK_FALSE(found[i]->has("raw"));
  }
  CHECK(r.json()->isNull("next_cursor"));
}

TEST_CASE("rejects filter by address, port and reason, and page with a cursor",
          "[api][rejects][integration]") {
  auto only = [](const std::string& query) {
    HttpResult r = admin().get("/api/v1/rejects?" + kRange + "&" + query);
    REQUIRE(r.status == 200);
    return ours(r);
  };
  CHECK(only("src_ip=192.0.2.60").size() == 1);
  CHECK(only("dst_ip=192.0.2.60").size() == 1);
  CHECK(only("ip=192.0.2.60").size() == 2);
  CHECK(only("ip=192.0.2.99").empty());
  CHECK(only("port=5070").size() == 1);
  auto by_reason = only("reason=MISSING_CALL");  // case-insensitive substring
  REQUIRE(by_reason.size() == 1);
  CHECK(by_reason[0]->getValue<std::string>("src_ip") == "192.0.2.61");
  CHECK(only("reason=no-such-reason").empty());
  // Outside the time range: nothing.
  HttpResult early =
      admin().get("/api/v1/rejects?from=2026-11-26T13:00:00Z&to=2026-11-26T13:00:29Z&ip=192.0.2.60");
  REQUIRE(early.status == 200);
  CHECK(ours(early).empty());

  HttpResult page1 = admin().get("/api/v1/rejects?" + kRange + "&ip=192.0.2.60&limit=1");
  REQUIRE(page1.status == 200);
  REQUIRE(ours(page1).size() == 1);
  const std::string cursor = page1.json()->getValue<std::string>("next_cursor");
  HttpResult page2 =
      admin().get("/api/v1/rejects?" + kRange + "&ip=192.0.2.60&limit=1&cursor=" + enc(cursor));
  REQUIRE(page2.status == 200);
  auto second = ours(page2);
  REQUIRE(second.size() == 1);
  CHECK(second[0]->getValue<uint64_t>("time_us") == rejectTruth()[1].time_us);
  CHECK(page2.json()->isNull("next_cursor"));
}

TEST_CASE("one reject shows its raw text (invalid UTF-8 replaced) and the exact bytes in raw_base64",
          "[api][rejects][integration]") {
  auto found = ours(admin().get("/api/v1/rejects?" + kRange + "&ip=192.0.2.60"));
  REQUIRE(found.size() == rejectTruth().size());
  for (size_t i = 0; i < found.size(); ++i) {
    HttpResult r = admin().get("/api/v1/rejects/" + enc(found[i]->getValue<std::string>("id")));
    REQUIRE(r.status == 200);
    auto o = r.json();
    CHECK(o->getValue<bool>("raw_ok"));
    CHECK(base64Decode(o->getValue<std::string>("raw_base64")) == rejectTruth()[i].payload);
    CHECK(o->getValue<std::string>("reason") == found[i]->getValue<std::string>("reason"));
  }
  const std::string raw0 = admin()
                               .get("/api/v1/rejects/" + enc(found[0]->getValue<std::string>("id")))
                               .json()
                               ->getValue<std::string>("raw");
  CHECK(raw0.find("<script>") == 0);
  CHECK(raw0.find("HELLO \xEF\xBF\xBD\xEF\xBF\xBD\r\n") != std::string::npos);
  CHECK(admin().get("/api/v1/rejects/1-1").status == 404);
  CHECK(admin().get("/api/v1/rejects/not-an-id").status == 404);
  CHECK(admin().get("/api/v1/rejects/" + enc(found[0]->getValue<std::string>("id")) + "?x=1").status == 400);
}

TEST_CASE("rejects answer a 400 naming a bad parameter, and need a token", "[api][rejects][integration]") {
  auto badParam = [](const std::string& query) {
    HttpResult r = admin().get("/api/v1/rejects?" + query);
    CHECK(r.status == 400);
    return r.status == 400 ? r.json()->getObject("error")->getValue<std::string>("parameter") : std::string();
  };
  CHECK(badParam("from=1795698000") == "from");
  CHECK(badParam("src_ip=not-an-ip") == "src_ip");
  CHECK(badParam("port=70000") == "port");
  CHECK(badParam("limit=0") == "limit");
  CHECK(badParam("cursor=zzz") == "cursor");
  CHECK(badParam("call_id=x") == "call_id");  // a message filter, not a reject's
  CHECK(badParam("reason=a%0Ab") == "reason");
  CHECK(badParam("reason=a&reason=b") == "reason");
  CHECK(badParam("bogus=1") == "bogus");
  CHECK(ApiClient(api().port).get("/api/v1/rejects?" + kRange).status == 401);
}
