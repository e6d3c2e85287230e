// Aliases (issue 14) against the real sipvault-api and MariaDB: CRUD with roles, validation
// (hostile input is a 400 naming the member, never SQL text or HTML), search by alias resolved to
// address / prefix / capture-id conditions, alias fields in lists and the flow's column titles.
#include <Poco/JSON/Array.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "api_test_env.h"
#include "child_process.h"

using namespace sipvault::apitest;

namespace {

const std::string kAll = "from=0s&to=4102444800000ms";

std::string uniqueName(const std::string& base) { return base + "-" + std::to_string(getpid()); }

std::string errorOf(const HttpResult& r) {
  auto e = r.json()->getObject("error");
  return e->getValue<std::string>("code") + ":" + (e->has("parameter") ? e->getValue<std::string>("parameter") : "");
}

Poco::JSON::Object::Ptr createAlias(const std::string& name, const std::string& target) {
  HttpResult r = admin().post("/api/v1/aliases", json({{"name", name}, {"target", target}, {"note", "test"}}));
  INFO(r.body);
  REQUIRE(r.status == 201);
  return r.json();
}

void deleteAlias(const Poco::JSON::Object::Ptr& a) {
  HttpResult r = admin().del("/api/v1/aliases/" + a->getValue<std::string>("id"));
  CHECK(r.status == 200);
}

// Every message of a search (one page is enough for the test corpus).
std::vector<Poco::JSON::Object::Ptr> messages(const std::string& query) {
  HttpResult r = admin().get("/api/v1/messages?" + kAll + "&limit=10000&" + query);
  INFO(r.body);
  REQUIRE(r.status == 200);
  std::vector<Poco::JSON::Object::Ptr> out;
  auto items = r.json()->getArray("items");
  for (size_t i = 0; i < items->size(); ++i) out.push_back(items->getObject(static_cast<unsigned>(i)));
  return out;
}

size_t truthCount(const std::function<bool(const TruthMessage&)>& match) {
  size_t n = 0;
  for (const TruthMessage& t : truth()) n += match(t) ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("aliases: admins manage them, viewers read them", "[api][alias]") {
  const std::string viewer_name = uniqueName("alias-viewer");
  HttpResult made = admin().post("/api/v1/users",
                                 json({{"username", viewer_name}, {"password", "viewer-password-1"}, {"role", "viewer"}}));
  REQUIRE((made.status == 201 || made.status == 409));
  ApiClient viewer(api().port, login(viewer_name, "viewer-password-1"));

  auto a = createAlias(uniqueName("Lab"), "203.0.113.0/24");
  CHECK(a->getValue<std::string>("kind") == "prefix");
  CHECK(a->getValue<std::string>("target") == "203.0.113.0/24");

  HttpResult list = viewer.get("/api/v1/aliases");
  REQUIRE(list.status == 200);
  CHECK(list.body.find(uniqueName("Lab")) != std::string::npos);
  CHECK(viewer.post("/api/v1/aliases", json({{"name", "x"}, {"target", "203.0.114.0/24"}})).status == 403);
  CHECK(viewer.del("/api/v1/aliases/" + a->getValue<std::string>("id")).status == 403);
  CHECK(ApiClient(api().port).get("/api/v1/aliases").status == 401);

  // Rename and move it.
  HttpResult put = admin().request("PUT", "/api/v1/aliases/" + a->getValue<std::string>("id"),
                                   json({{"name", uniqueName("Lab2")}, {"target", "203.0.113.128/25"}}));
  INFO(put.body);
  REQUIRE(put.status == 200);
  CHECK(put.json()->getValue<std::string>("name") == uniqueName("Lab2"));
  CHECK(put.json()->getValue<std::string>("target") == "203.0.113.128/25");
  CHECK(admin().request("PUT", "/api/v1/aliases/999999999", json({{"name", "n"}, {"target", "10.9.9.9"}})).status ==
        404);

  // The same target twice is a conflict.
  HttpResult dup = admin().post("/api/v1/aliases", json({{"name", "other"}, {"target", "203.0.113.128/25"}}));
  CHECK(dup.status == 409);
  deleteAlias(a);
  CHECK(admin().del("/api/v1/aliases/" + a->getValue<std::string>("id")).status == 404);
  CHECK(admin().del("/api/v1/aliases/abc").status == 404);
}

TEST_CASE("aliases: hostile names and targets are a 400 naming the member", "[api][alias]") {
  struct Case {
    std::string name, target, parameter;
  };
  const std::vector<Case> cases = {
      {"ok", "'; DROP TABLE api_aliases; --", "target"},
      {"ok", "<img src=x onerror=alert(1)>", "target"},
      {"ok", "192.0.2.1/24", "target"},
      {"ok", "capture:99999999999", "target"},
      {"ok", std::string(100, '1'), "target"},
      {"", "192.0.2.1", "name"},
      {std::string(65, 'n'), "192.0.2.1", "name"},
      {"line\nbreak", "192.0.2.1", "name"},
      {" padded", "192.0.2.1", "name"},
  };
  for (const Case& c : cases) {
    HttpResult r = admin().post("/api/v1/aliases", json({{"name", c.name}, {"target", c.target}}));
    INFO(c.name << " / " << c.target << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(errorOf(r) == "bad_parameter:" + c.parameter);
    CHECK(r.body.find("SQL") == std::string::npos);
    CHECK(r.body.find("<img") == std::string::npos);
  }
  CHECK(admin().post("/api/v1/aliases", "{not json").status == 400);
  CHECK(admin().post("/api/v1/aliases", json({{"name", "n"}})).status == 400);
  CHECK(admin().post("/api/v1/aliases", json({{"name", 5}, {"target", "192.0.2.1"}})).status == 400);
  // Search parameters too.
  CHECK(admin().get("/api/v1/messages?alias=" + enc("no-such-alias-" + uniqueName("x"))).status == 400);
  CHECK(admin().get("/api/v1/messages?src_alias=" + enc("bad\x01name")).status == 400);
}

TEST_CASE("aliases: search by alias matches either side, src_alias and dst_alias one side", "[api][alias]") {
  const TruthMessage& first = truth().front();
  const std::string ip = first.src_ip;
  auto a = createAlias(uniqueName("Peer"), ip);  // one address (= /32 or /128)
  const std::string q = "alias=" + enc(uniqueName("Peer"));

  const size_t either = truthCount([&](const TruthMessage& t) { return t.src_ip == ip || t.dst_ip == ip; });
  const size_t src = truthCount([&](const TruthMessage& t) { return t.src_ip == ip; });
  const size_t dst = truthCount([&](const TruthMessage& t) { return t.dst_ip == ip; });
  REQUIRE(either > 0);
  CHECK(messages(q).size() == either);
  CHECK(messages("src_alias=" + enc(uniqueName("Peer"))).size() == src);
  CHECK(messages("dst_alias=" + enc(uniqueName("Peer"))).size() == dst);

  // The list shows the alias beside the address; the flow names the column.
  for (const auto& m : messages(q)) {
    const bool is_src = m->getValue<std::string>("src_ip") == ip;
    CHECK(m->getValue<std::string>(is_src ? "src_alias" : "dst_alias") == uniqueName("Peer"));
  }
  HttpResult flow = admin().get("/api/v1/calls/" + enc(first.call_id) + "/flow?" + kAll);
  REQUIRE(flow.status == 200);
  auto f = flow.json();
  auto hosts = f->getArray("hosts");
  auto names = f->getArray("host_aliases");
  REQUIRE(names);
  REQUIRE(names->size() == hosts->size());
  bool titled = false;
  for (size_t i = 0; i < hosts->size(); ++i) {
    const std::string host = hosts->getElement<std::string>(static_cast<unsigned>(i));
    if (host.rfind(ip + ":", 0) == 0 || host.rfind("[" + ip + "]:", 0) == 0) {
      CHECK(names->getElement<std::string>(static_cast<unsigned>(i)) == uniqueName("Peer"));
      titled = true;
    }
  }
  CHECK(titled);

  // Calls list: host_aliases beside hosts.
  HttpResult calls = admin().get("/api/v1/calls?" + kAll + "&" + q);
  REQUIRE(calls.status == 200);
  CHECK(calls.body.find("\"host_aliases\"") != std::string::npos);

  // A prefix alias and a capture-id alias resolve too.
  auto by_capture = createAlias(uniqueName("Probe"), "capture:" + std::to_string(first.capture_id));
  CHECK(messages("alias=" + enc(uniqueName("Probe"))).size() ==
        truthCount([&](const TruthMessage& t) { return t.capture_id == first.capture_id; }));
  deleteAlias(by_capture);
  deleteAlias(a);
  CHECK(admin().get("/api/v1/messages?" + q).status == 400);  // gone at once from this api's cache
}

TEST_CASE("aliases: a second api process sees a change within api.alias_refresh_s", "[api][alias]") {
  using namespace std::chrono_literals;
  (void)api();
  const std::string base = std::string(SIPVAULT_BINARY_DIR) + "/tests/api/alias-api-" + std::to_string(getpid());
  std::ofstream(base + ".ini") << "[api]\nalias_refresh_s = 1\n";
  const int port = sipvault::test::freePort();
  sipvault::test::ChildProcess second({sipvault::test::binaryPath("api", "sipvault-api"), "--config", base + ".ini",
                                       "--listen", "127.0.0.1:" + std::to_string(port), "--db-socket",
                                       SIPVAULT_TEST_DB_SOCKET, "--db-name", kDatabase},
                                      base + ".log");
  REQUIRE(second.waitForLog("event=listening", 30s));
  // The same session token works on both (sessions are in the database).
  const std::string token = login("admin", api().admin_password);
  ApiClient other(port, token);
  const std::string q = "/api/v1/messages?" + kAll + "&alias=" + enc(uniqueName("Shared"));
  REQUIRE(other.get(q).status == 400);  // unknown there too

  // A target of its own: the search-by-alias case runs in parallel and aliases the corpus addresses.
  const std::string target = "198.51.100." + std::to_string(getpid() % 254 + 1);
  auto a = createAlias(uniqueName("Shared"), target);  // made through the first api
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while ((status = other.get(q).status) != 200 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);
  CHECK(status == 200);
  deleteAlias(a);
  while ((status = other.get(q).status) != 400 && std::chrono::steady_clock::now() < deadline + 5s)
    std::this_thread::sleep_for(100ms);
  CHECK(status == 400);
  CHECK(second.stop() == 0);
}
