// Share links (issue 16) against the real sipvault-api: create, open without a login, scope
// (one call's flow, messages and exports; nothing else), expiry, revocation, tampering, and who
// may list and revoke.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <sstream>
#include <thread>

#include "api_test_env.h"

using namespace sipvault::apitest;

namespace {

const std::string kFrom = "1970-01-01T00:00:01Z";
const std::string kTo = "2099-12-31T00:00:00Z";

std::string errorCode(const HttpResult& r) {
  return r.json()->getObject("error")->getValue<std::string>("code");
}

// A share of `call_id` over the whole data set, made by `client`; the 201 answer.
Poco::JSON::Object::Ptr share(const ApiClient& client, const std::string& call_id, int expires_s = 600) {
  HttpResult r = client.post("/api/v1/shares", json({{"call_id", call_id},
                                                     {"from", kFrom},
                                                     {"to", kTo},
                                                     {"expires_s", expires_s},
                                                     {"note", "for the carrier"}}));
  INFO(r.body);
  REQUIRE(r.status == 201);
  return r.json();
}

// A logged-in viewer unique to this process.
ApiClient viewer(const std::string& base) {
  const std::string name = base + "-" + std::to_string(getpid());
  const std::string password = "viewer-password-1";
  HttpResult r =
      admin().post("/api/v1/users", json({{"username", name}, {"password", password}, {"role", "viewer"}}));
  REQUIRE((r.status == 201 || r.status == 409));
  const std::string token = login(name, password);
  REQUIRE(!token.empty());
  return ApiClient(api().port, token);
}

std::set<std::string> messageIds(const Poco::JSON::Object::Ptr& flow) {
  std::set<std::string> ids;
  auto messages = flow->getArray("messages");
  for (size_t i = 0; i < messages->size(); ++i)
    ids.insert(messages->getObject(i)->getValue<std::string>("id"));
  return ids;
}

}  // namespace

TEST_CASE("a share link opens one call's flow, messages and exports without a login",
          "[api][share][integration]") {
  auto link = share(admin(), kLegA);
  const std::string token = link->getValue<std::string>("token");
  CHECK(token.rfind("svl_", 0) == 0);
  CHECK(link->getValue<std::string>("url") == "/#/share?t=" + token);
  CHECK(link->getValue<std::string>("call_id") == kLegA);
  CHECK(link->getValue<std::string>("created_by") == "admin");
  CHECK(link->getValue<std::string>("note") == "for the carrier");

  const ApiClient anonymous(api().port);
  HttpResult info = anonymous.get("/api/v1/shared/" + token);
  REQUIRE(info.status == 200);
  CHECK(info.json()->getValue<std::string>("call_id") == kLegA);
  CHECK_FALSE(info.json()->has("created_by"));

  // The same flow the logged-in view shows (legs included).
  HttpResult flow = anonymous.get("/api/v1/shared/" + token + "/flow");
  REQUIRE(flow.status == 200);
  HttpResult truth_flow =
      admin().get("/api/v1/calls/" + enc(kLegA) + "/flow?from=" + enc(kFrom) + "&to=" + enc(kTo));
  REQUIRE(truth_flow.status == 200);
  const auto ids = messageIds(flow.json());
  CHECK(ids == messageIds(truth_flow.json()));
  CHECK(flow.json()->getArray("legs")->size() == truth_flow.json()->getArray("legs")->size());
  CHECK(flow.json()->getArray("legs")->size() > 1);
  CHECK(flow.json()->getObject("share")->getValue<std::string>("call_id") == kLegA);

  for (const std::string& id : ids) {
    HttpResult m = anonymous.get("/api/v1/shared/" + token + "/messages/" + enc(id));
    INFO(id);
    REQUIRE(m.status == 200);
    CHECK(m.json()->getValue<std::string>("id") == id);
    CHECK(m.json()->has("raw"));
  }

  HttpResult pcap = anonymous.get("/api/v1/shared/" + token + "/export.pcap");
  REQUIRE(pcap.status == 200);
  CHECK(pcap.headers["content-type"] == "application/vnd.tcpdump.pcap");
  CHECK(pcap.headers["x-sipvault-messages"] == std::to_string(ids.size()));
  HttpResult text = anonymous.get("/api/v1/shared/" + token + "/export.txt");
  REQUIRE(text.status == 200);
  CHECK(text.body.find(kLegA) != std::string::npos);
  CHECK(text.body.find(kBusyLate) == std::string::npos);
}

TEST_CASE("a share token reads nothing but its call: other calls, search, stats and admin are refused",
          "[api][share][integration]") {
  const std::string token = share(admin(), kLegA)->getValue<std::string>("token");
  const ApiClient anonymous(api().port);
  const ApiClient as_bearer(api().port, token);
  for (const std::string& target : std::vector<std::string>{
           "/api/v1/messages?from=0s", "/api/v1/calls", "/api/v1/calls/" + enc(kLegA) + "/flow",
           "/api/v1/calls/" + enc(kBusyLate) + "/flow", "/api/v1/export.pcap", "/api/v1/stats",
           "/api/v1/rejects", "/api/v1/me", "/api/v1/users", "/api/v1/shares", "/metrics"}) {
    INFO(target);
    CHECK(as_bearer.get(target).status == 401);
  }
  // A message of another call, through this share: 404 (the flow is the scope, whatever the id).
  HttpResult other =
      admin().get("/api/v1/messages?call_id=" + enc(kBusyLate) + "&from=" + enc(kFrom) + "&to=" + enc(kTo));
  REQUIRE(other.status == 200);
  auto items = other.json()->getArray("items");
  REQUIRE(items->size() > 0);
  const std::string other_id = items->getObject(0)->getValue<std::string>("id");
  CHECK(anonymous.get("/api/v1/shared/" + token + "/messages/" + enc(other_id)).status == 404);
  // No filter can widen it: every query parameter is refused.
  for (const std::string& suffix :
       std::vector<std::string>{"/flow?call_id=" + enc(kBusyLate), "/export.pcap?call_id=" + enc(kBusyLate),
                                "/export.txt?from=0s", "?x=1"}) {
    INFO(suffix);
    HttpResult r = anonymous.get("/api/v1/shared/" + token + suffix);
    CHECK(r.status == 400);
  }
  // Neither other paths under /shared nor writes.
  CHECK(anonymous.get("/api/v1/shared/" + token + "/calls").status == 404);
  CHECK(anonymous.get("/api/v1/shared/" + token + "/messages").status == 404);
  CHECK(anonymous.request("DELETE", "/api/v1/shared/" + token, "").status == 405);
  // Creating and listing links needs a login.
  CHECK(anonymous.get("/api/v1/shares").status == 401);
  CHECK(anonymous.post("/api/v1/shares", json({{"call_id", kLegA}})).status == 401);
}

TEST_CASE("a tampered, forged or unknown share token is a 404", "[api][share][integration]") {
  const std::string token = share(admin(), kLegA)->getValue<std::string>("token");
  const ApiClient anonymous(api().port);
  REQUIRE(anonymous.get("/api/v1/shared/" + token).status == 200);
  const size_t dot = token.rfind('.');
  REQUIRE(dot != std::string::npos);
  const size_t underscore = token.find('_', 4);
  std::vector<std::string> bad;
  std::string flipped_sig = token;
  flipped_sig[dot + 5] = flipped_sig[dot + 5] == 'A' ? 'B' : 'A';
  bad.push_back(flipped_sig);
  std::string flipped_nonce = token;
  flipped_nonce[underscore + 3] = flipped_nonce[underscore + 3] == 'A' ? 'B' : 'A';
  bad.push_back(flipped_nonce);
  // Another row's id with this token's nonce and signature.
  const uint64_t id = std::stoull(token.substr(4, underscore - 4));
  bad.push_back("svl_" + std::to_string(id + 1000) + token.substr(underscore));
  bad.push_back(token.substr(0, dot));
  bad.push_back(token + "A");
  bad.push_back("svl_1_AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  bad.push_back("svs_" + token.substr(4));
  bad.push_back(std::string(300, 'x'));
  for (const std::string& t : bad) {
    INFO(t);
    HttpResult r = anonymous.get("/api/v1/shared/" + enc(t) + "/flow");
    CHECK(r.status == 404);
    CHECK(errorCode(r) == "not_found");
  }
}

TEST_CASE("an expired share link is refused with 410 and leaves the admin list",
          "[api][share][integration]") {
  auto link = share(admin(), kLegB, 1);
  const std::string token = link->getValue<std::string>("token");
  const std::string id = link->getValue<std::string>("id");
  const ApiClient anonymous(api().port);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  HttpResult r = anonymous.get("/api/v1/shared/" + token + "/flow");
  CHECK(r.status == 410);
  CHECK(errorCode(r) == "gone");
  CHECK(r.json()->getObject("error")->getValue<std::string>("message").find("expired") != std::string::npos);
  CHECK(anonymous.get("/api/v1/shared/" + token + "/export.pcap").status == 410);
  HttpResult list = admin().get("/api/v1/shares");
  REQUIRE(list.status == 200);
  auto items = list.json()->getArray("items");
  for (size_t i = 0; i < items->size(); ++i) CHECK(items->getObject(i)->getValue<std::string>("id") != id);
}

TEST_CASE("share links are revoked by their creator or an admin - admins list every active one",
          "[api][share][integration]") {
  const ApiClient alice = viewer("share-alice");
  const ApiClient bob = viewer("share-bob");
  auto a = share(alice, kLegA);
  auto b = share(bob, kLegX);
  const std::string a_id = a->getValue<std::string>("id"), b_id = b->getValue<std::string>("id");
  const std::string a_token = a->getValue<std::string>("token");
  const ApiClient anonymous(api().port);

  auto ids = [](const HttpResult& r) {
    std::set<std::string> out;
    auto items = r.json()->getArray("items");
    for (size_t i = 0; i < items->size(); ++i) out.insert(items->getObject(i)->getValue<std::string>("id"));
    return out;
  };
  HttpResult all = admin().get("/api/v1/shares");
  REQUIRE(all.status == 200);
  CHECK(ids(all).count(a_id) == 1);
  CHECK(ids(all).count(b_id) == 1);
  // Who made it, which call, until when.
  auto items = all.json()->getArray("items");
  for (size_t i = 0; i < items->size(); ++i) {
    auto item = items->getObject(i);
    if (item->getValue<std::string>("id") != a_id) continue;
    CHECK(item->getValue<std::string>("created_by") == "share-alice-" + std::to_string(getpid()));
    CHECK(item->getValue<std::string>("call_id") == kLegA);
    CHECK(item->getValue<std::string>("expires_at") > "2026-");
    CHECK_FALSE(item->has("token"));
  }
  // A viewer sees their own links only, and cannot revoke another's.
  HttpResult mine = alice.get("/api/v1/shares");
  REQUIRE(mine.status == 200);
  CHECK(ids(mine).count(a_id) == 1);
  CHECK(ids(mine).count(b_id) == 0);
  CHECK(alice.del("/api/v1/shares/" + b_id).status == 403);
  CHECK(alice.del("/api/v1/shares/999999999").status == 404);
  CHECK(alice.del("/api/v1/shares/abc").status == 404);

  // The creator revokes: the link stops working at once.
  REQUIRE(anonymous.get("/api/v1/shared/" + a_token + "/flow").status == 200);
  HttpResult revoked = alice.del("/api/v1/shares/" + a_id);
  REQUIRE(revoked.status == 200);
  CHECK(revoked.json()->getValue<std::string>("revoked") == a_id);
  HttpResult gone = anonymous.get("/api/v1/shared/" + a_token + "/flow");
  CHECK(gone.status == 410);
  CHECK(gone.json()->getObject("error")->getValue<std::string>("message").find("revoked") !=
        std::string::npos);
  CHECK(anonymous.get("/api/v1/shared/" + a_token + "/messages/1-1").status == 410);
  CHECK(ids(admin().get("/api/v1/shares")).count(a_id) == 0);

  // An admin revokes another's link.
  const std::string b_token = b->getValue<std::string>("token");
  REQUIRE(admin().del("/api/v1/shares/" + b_id).status == 200);
  CHECK(anonymous.get("/api/v1/shared/" + b_token).status == 410);
}

TEST_CASE("creating a share link validates the call, the range and the lifetime",
          "[api][share][integration]") {
  auto code = [](const HttpResult& r) {
    return r.json()->getObject("error")->getValue<std::string>("parameter");
  };
  HttpResult none = admin().post("/api/v1/shares",
                                 json({{"call_id", "no-such-call@nowhere"}, {"from", kFrom}, {"to", kTo}}));
  CHECK(none.status == 404);
  HttpResult missing = admin().post("/api/v1/shares", json({{"from", kFrom}}));
  CHECK(missing.status == 400);
  CHECK(code(missing) == "call_id");
  HttpResult bad_time = admin().post("/api/v1/shares", json({{"call_id", kLegA}, {"from", "yesterday"}}));
  CHECK(bad_time.status == 400);
  CHECK(code(bad_time) == "from");
  HttpResult long_life = admin().post(
      "/api/v1/shares", json({{"call_id", kLegA}, {"from", kFrom}, {"to", kTo}, {"expires_s", 999999999}}));
  CHECK(long_life.status == 400);
  CHECK(code(long_life) == "expires_s");
  HttpResult zero = admin().post("/api/v1/shares",
                                 json({{"call_id", kLegA}, {"from", kFrom}, {"to", kTo}, {"expires_s", 0}}));
  CHECK(zero.status == 400);
  // Outside the range the call has no message: nothing to share.
  HttpResult empty =
      admin().post("/api/v1/shares", json({{"call_id", kLegA}, {"from", "0s"}, {"to", "1000ms"}}));
  CHECK(empty.status == 404);
  CHECK(admin().post("/api/v1/shares", "{not json").status == 400);
}

TEST_CASE("deleting a user ends their share links, as their sessions", "[api][share][integration]") {
  const ApiClient dave = viewer("share-dave");
  auto link = share(dave, kLegA);
  const std::string token = link->getValue<std::string>("token");
  const ApiClient anonymous(api().port);
  REQUIRE(anonymous.get("/api/v1/shared/" + token + "/flow").status == 200);
  REQUIRE(admin().del("/api/v1/users/share-dave-" + std::to_string(getpid())).status == 200);
  CHECK(anonymous.get("/api/v1/shared/" + token + "/flow").status == 410);
  HttpResult list = admin().get("/api/v1/shares");
  REQUIRE(list.status == 200);
  auto items = list.json()->getArray("items");
  for (size_t i = 0; i < items->size(); ++i)
    CHECK(items->getObject(i)->getValue<std::string>("id") != link->getValue<std::string>("id"));
}

TEST_CASE("the OpenAPI document lists the share link endpoints", "[api][share][openapi][integration]") {
  HttpResult r = ApiClient(api().port).get("/api/v1/openapi.json");
  REQUIRE(r.status == 200);
  auto paths = r.json()->getObject("paths");
  for (const char* p : {"/api/v1/shares", "/api/v1/shares/{id}", "/api/v1/shared/{token}", "/api/v1/shared/{token}/flow",
                        "/api/v1/shared/{token}/messages/{id}", "/api/v1/shared/{token}/export.pcap",
                        "/api/v1/shared/{token}/export.txt"}) {
    INFO(p);
    CHECK(paths->has(p));
  }
}
