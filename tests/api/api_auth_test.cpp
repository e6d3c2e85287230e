// Authentication, roles, users and API tokens, the login rate limit, HTTP limits, the static UI,
// health, metrics and the OpenAPI document, against the real sipvault-api process.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "api_test_env.h"

using namespace sipvault::apitest;

namespace {

// A user name unique to this process, so parallel test processes do not collide.
std::string uniqueName(const std::string& base) { return base + "-" + std::to_string(getpid()); }

}  // namespace

TEST_CASE("every endpoint but login, health and the OpenAPI document needs a valid bearer token",
          "[api][auth][integration]") {
  const ApiClient anonymous(api().port);
  const ApiClient forged(api().port, "svs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  for (std::string target : {"/api/v1/messages?from=0s", "/api/v1/messages/1-1", "/api/v1/calls",
                             "/api/v1/calls/x/flow", "/api/v1/export.pcap", "/api/v1/export.txt",
                             "/api/v1/stats", "/api/v1/me", "/api/v1/users", "/api/v1/tokens", "/metrics"}) {
    INFO(target);
    HttpResult r = anonymous.get(target);
    CHECK(r.status == 401);
    CHECK(r.headers["www-authenticate"] == "Bearer");
    CHECK(r.json()->getObject("error")->getValue<std::string>("code") == "unauthorized");
    CHECK(forged.get(target).status == 401);
    CHECK(anonymous.request("GET", target, "", {{"Authorization", "Basic YWRtaW46YWRtaW4="}}).status == 401);
  }
  CHECK(anonymous.post("/api/v1/logout", "").status == 401);
  // Documentation, not data (issue 12): generators and Swagger tools read it without a token.
  CHECK(anonymous.get("/api/v1/openapi.json").status == 200);
  HttpResult health = anonymous.get("/api/v1/health");
  CHECK(health.status == 200);
  CHECK(health.json()->getValue<std::string>("status") == "ok");
  CHECK(health.json()->getValue<std::string>("database") == "ok");
}

TEST_CASE("login checks the password and returns an expiring token - logout ends the session",
          "[api][auth][integration]") {
  const ApiClient anonymous(api().port);
  HttpResult r = anonymous.post("/api/v1/login", json({{"username", "admin"}, {"password", api().admin_password}}));
  REQUIRE(r.status == 200);
  auto o = r.json();
  const std::string token = o->getValue<std::string>("token");
  CHECK(token.size() >= 40);
  CHECK(o->getValue<std::string>("role") == "admin");
  CHECK(o->getValue<std::string>("expires_at") > "2026-");
  const ApiClient session(api().port, token);
  HttpResult me = session.get("/api/v1/me");
  REQUIRE(me.status == 200);
  CHECK(me.json()->getValue<std::string>("username") == "admin");
  CHECK(me.json()->getValue<std::string>("role") == "admin");
  CHECK(session.post("/api/v1/logout", "").status == 200);
  CHECK(session.get("/api/v1/me").status == 401);

  CHECK(anonymous.post("/api/v1/login", json({{"username", "admin"}, {"password", "wrong password"}})).status == 401);
  CHECK(anonymous.post("/api/v1/login", json({{"username", "nobody"}, {"password", "whatever1"}})).status == 401);
  HttpResult bad = anonymous.post("/api/v1/login", "{not json");
  CHECK(bad.status == 400);
  CHECK(bad.json()->getObject("error")->getValue<std::string>("parameter") == "body");
  HttpResult missing = anonymous.post("/api/v1/login", json({{"username", "admin"}}));
  CHECK(missing.status == 400);
  CHECK(missing.json()->getObject("error")->getValue<std::string>("parameter") == "password");
  CHECK(anonymous.post("/api/v1/login", std::string(100, '[') + std::string(100, ']')).status == 400);
  CHECK(anonymous.get("/api/v1/login").status == 405);
}

TEST_CASE("ten failed logins for one user and address within a minute give 429", "[api][auth][integration]") {
  const std::string user = uniqueName("victim");
  REQUIRE(admin().post("/api/v1/users", json({{"username", user}, {"password", "correct horse"}, {"role", "viewer"}}))
              .status == 201);
  const ApiClient anonymous(api().port);
  for (int i = 0; i < 10; ++i)
    CHECK(anonymous.post("/api/v1/login", json({{"username", user}, {"password", "guess" + std::to_string(i)}})).status ==
          401);
  HttpResult limited = anonymous.post("/api/v1/login", json({{"username", user}, {"password", "guess"}}));
  CHECK(limited.status == 429);
  CHECK(std::stoi(limited.headers["retry-after"]) > 0);
  // Even the right password waits now; other users are not affected.
  CHECK(anonymous.post("/api/v1/login", json({{"username", user}, {"password", "correct horse"}})).status == 429);
  CHECK_FALSE(login("admin", api().admin_password).empty());
  CHECK(admin().del("/api/v1/users/" + user).status == 200);
}

TEST_CASE("a viewer can search but not manage users or tokens (403)", "[api][auth][integration]") {
  const std::string user = uniqueName("viewer");
  HttpResult created =
      admin().post("/api/v1/users", json({{"username", user}, {"password", "viewer password"}, {"role", "viewer"}}));
  REQUIRE(created.status == 201);
  CHECK(admin().post("/api/v1/users", json({{"username", user}, {"password", "other password"}, {"role", "viewer"}}))
            .status == 409);
  const std::string token = login(user, "viewer password");
  REQUIRE_FALSE(token.empty());
  const ApiClient viewer(api().port, token);
  CHECK(viewer.get("/api/v1/messages?from=0s").status == 200);
  CHECK(viewer.get("/api/v1/me").json()->getValue<std::string>("role") == "viewer");
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/v1/users"}, {"POST", "/api/v1/users"}, {"DELETE", "/api/v1/users/admin"},
           {"GET", "/api/v1/tokens"}, {"POST", "/api/v1/tokens"}, {"DELETE", "/api/v1/tokens/1"}}) {
    INFO(method << " " << target);
    HttpResult r = viewer.request(method, target, method == "POST" ? "{}" : "");
    CHECK(r.status == 403);
    CHECK(r.json()->getObject("error")->getValue<std::string>("code") == "forbidden");
  }
  // Bad user input is named.
  HttpResult bad_name = admin().post("/api/v1/users", json({{"username", "a b"}, {"password", "long enough"}, {"role", "viewer"}}));
  CHECK(bad_name.status == 400);
  CHECK(bad_name.json()->getObject("error")->getValue<std::string>("parameter") == "username");
  CHECK(admin().post("/api/v1/users", json({{"username", uniqueName("x")}, {"password", "short"}, {"role", "viewer"}}))
            .json()->getObject("error")->getValue<std::string>("parameter") == "password");
  CHECK(admin().post("/api/v1/users", json({{"username", uniqueName("x")}, {"password", "long enough"}, {"role", "root"}}))
            .json()->getObject("error")->getValue<std::string>("parameter") == "role");
  // Deleting the user ends their sessions at once.
  HttpResult list = admin().get("/api/v1/users");
  REQUIRE(list.status == 200);
  bool listed = false;
  auto items = list.json()->getArray("items");
  for (size_t i = 0; i < items->size(); ++i) listed |= items->getObject(static_cast<unsigned>(i))->getValue<std::string>("username") == user;
  CHECK(listed);
  CHECK(admin().del("/api/v1/users/" + user).status == 200);
  CHECK(viewer.get("/api/v1/messages?from=0s").status == 401);
  CHECK(admin().del("/api/v1/users/" + user).status == 404);
}

TEST_CASE("API tokens are shown once, work until revoked, and carry their own role", "[api][auth][integration]") {
  HttpResult created = admin().post("/api/v1/tokens", json({{"name", "script " + uniqueName("t")}, {"role", "viewer"},
                                                            {"expires_days", 30}}));
  REQUIRE(created.status == 201);
  auto t = created.json();
  const std::string token = t->getValue<std::string>("token");
  const std::string id = t->getValue<std::string>("id");
  CHECK(t->getValue<std::string>("role") == "viewer");
  CHECK_FALSE(t->get("expires_at").isEmpty());
  const ApiClient script(api().port, token);
  CHECK(script.get("/api/v1/calls?from=0s").status == 200);
  CHECK(script.get("/api/v1/users").status == 403);
  HttpResult me = script.get("/api/v1/me");
  CHECK(me.json()->getValue<std::string>("auth") == "token");

  HttpResult list = admin().get("/api/v1/tokens");
  REQUIRE(list.status == 200);
  CHECK(list.body.find(token) == std::string::npos);  // the secret is never listed
  CHECK(list.body.find("\"id\":\"" + id + "\"") != std::string::npos);

  CHECK(admin().del("/api/v1/tokens/" + id).status == 200);
  CHECK(script.get("/api/v1/calls?from=0s").status == 401);
  CHECK(admin().del("/api/v1/tokens/" + id).status == 404);
  HttpResult never = admin().post("/api/v1/tokens", json({{"name", "forever"}}));
  REQUIRE(never.status == 201);
  CHECK(never.json()->get("expires_at").isEmpty());
  CHECK(admin().del("/api/v1/tokens/" + never.json()->getValue<std::string>("id")).status == 200);
  CHECK(admin().post("/api/v1/tokens", json({{"name", "x"}, {"expires_days", -1}})).status == 400);
  CHECK(admin().post("/api/v1/tokens", json({{"name", ""}})).status == 400);
}

TEST_CASE("HTTP limits: a long request target is 414, a large body 413", "[api][limits][integration]") {
  HttpResult uri = admin().get("/api/v1/messages?call_id=" + std::string(9000, 'a'));
  CHECK(uri.status == 414);
  CHECK(uri.json()->getObject("error")->getValue<std::string>("code") == "uri_too_long");
  HttpResult body = admin().post("/api/v1/users", "{\"username\":\"" + std::string(70000, 'a') + "\"}");
  CHECK(body.status == 413);
  // Header lines beyond Poco's limits are refused before any handler runs.
  HttpResult header = admin().request("GET", "/api/v1/health", "", {{"X-Big", std::string(10000, 'h')}});
  CHECK(header.status == 400);
  CHECK(admin().get("/api/v1/health").status == 200);
}

TEST_CASE("the UI is served from its directory with content types and CSP, and nothing outside it",
          "[api][ui][integration]") {
  const ApiClient anonymous(api().port);
  HttpResult index = anonymous.get("/");
  REQUIRE(index.status == 200);
  CHECK(index.headers["content-type"] == "text/html; charset=utf-8");
  CHECK(index.headers["content-security-policy"] ==
        "default-src 'self'; frame-ancestors 'none'; base-uri 'none'");
  CHECK(index.headers["x-content-type-options"] == "nosniff");
  CHECK(index.body.find("sipvault") != std::string::npos);
  CHECK(anonymous.get("/ui/").body == index.body);
  CHECK(anonymous.get("/ui/js/app.js").headers["content-type"] == "text/javascript; charset=utf-8");
  CHECK(anonymous.get("/js/app.js").status == 200);
  CHECK(anonymous.get("/ui/style.css").headers["content-type"] == "text/css; charset=utf-8");
  for (std::string target :
       {"/ui/../secret.txt", "/../secret.txt", "/ui/%2e%2e/secret.txt", "/ui/..%2fsecret.txt", "/%2e%2e%2fsecret.txt",
        "/ui/js/../../secret.txt", "/ui/..\\secret.txt", "/ui/.hidden", "/ui/js", "/ui/nope.html",
        "/ui/index.html%00.js", "//etc/passwd", "/ui/%2fetc%2fpasswd"}) {
    INFO(target);
    HttpResult r = anonymous.get(target);
    CHECK((r.status == 404 || r.status == 400));
    CHECK(r.body.find("top secret") == std::string::npos);
  }
  CHECK(anonymous.post("/ui/index.html", "x").status == 405);
  // API answers carry their own strict policy.
  HttpResult health = anonymous.get("/api/v1/health");
  CHECK(health.headers["content-security-policy"] ==
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
  CHECK(health.headers["x-content-type-options"] == "nosniff");
  CHECK(health.headers["cache-control"] == "no-store");
}

TEST_CASE("/metrics has request, latency, error and database pool metrics in Prometheus text",
          "[api][metrics][integration]") {
  REQUIRE(admin().get("/api/v1/messages?from=0s&limit=1").status == 200);
  REQUIRE(admin().get("/api/v1/messages?bogus=1").status == 400);
  HttpResult r = admin().get("/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "text/plain; version=0.0.4");
  for (const char* series : {"sipvault_api_requests_total{route=\"messages\"}", "sipvault_api_responses_total{code=\"4xx\"}",
                             "sipvault_api_request_duration_seconds_bucket{le=\"+Inf\"}",
                             "sipvault_api_request_duration_seconds_sum", "sipvault_api_request_errors_total",
                             "sipvault_api_db_pool_connections{state=\"idle\"}", "sipvault_api_db_pool_size",
                             "sipvault_api_db_queries_total", "sipvault_api_login_failures_total"}) {
    INFO(series);
    CHECK(r.body.find(series) != std::string::npos);
  }
  const size_t at = r.body.find("sipvault_api_requests_total{route=\"messages\"} ");
  REQUIRE(at != std::string::npos);
  CHECK(std::stoul(r.body.substr(at + std::string("sipvault_api_requests_total{route=\"messages\"} ").size())) >= 2);
}

TEST_CASE("the bearer scheme is case-insensitive (RFC 7235) and nothing else passes for it",
          "[api][auth][integration]") {
  const ApiClient anonymous(api().port);
  HttpResult r =
      anonymous.post("/api/v1/login", json({{"username", "admin"}, {"password", api().admin_password}}));
  REQUIRE(r.status == 200);
  const std::string token = r.json()->getValue<std::string>("token");
  for (const char* scheme : {"Bearer ", "bearer ", "BEARER ", "bEaReR ", "Bearer   "}) {
    INFO(scheme);
    CHECK(anonymous.request("GET", "/api/v1/me", "", {{"Authorization", scheme + token}}).status == 200);
  }
  for (const std::string& value : std::vector<std::string>{
           "Bearer" + token, "Bearerx " + token, "Basic " + token, "Bearer ", "bearer", "Bearer x" + token}) {
    INFO(value);
    CHECK(anonymous.request("GET", "/api/v1/me", "", {{"Authorization", value}}).status == 401);
  }
}

TEST_CASE("the OpenAPI document is served as JSON and lists every endpoint", "[api][openapi][integration]") {
  HttpResult r = admin().get("/api/v1/openapi.json");
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "application/json");
  auto doc = r.json();
  CHECK(doc->getValue<std::string>("openapi").rfind("3.", 0) == 0);
  auto paths = doc->getObject("paths");
  for (const char* p :
       {"/api/v1/login", "/api/v1/logout", "/api/v1/me", "/api/v1/users", "/api/v1/users/{username}",
        "/api/v1/tokens", "/api/v1/tokens/{id}", "/api/v1/messages", "/api/v1/messages/{id}", "/api/v1/calls",
        "/api/v1/calls/{call_id}/flow", "/api/v1/export.pcap", "/api/v1/export.txt", "/api/v1/rejects",
        "/api/v1/rejects/{id}", "/api/v1/stats", "/api/v1/summaries", "/api/v1/health", "/api/v1/openapi.json", "/metrics"}) {
    INFO(p);
    CHECK(paths->has(p));
  }
  // The file in the source tree is what is served.
  std::ifstream in(std::string(SIPVAULT_SOURCE_DIR) + "/api/openapi.json");
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(r.body == ss.str());
}

TEST_CASE("unknown API paths are 404 and wrong methods 405, as JSON errors", "[api][integration]") {
  HttpResult r = admin().get("/api/v1/nope");
  CHECK(r.status == 404);
  CHECK(r.json()->getObject("error")->getValue<std::string>("code") == "not_found");
  HttpResult m = admin().request("PUT", "/api/v1/messages", "");
  CHECK(m.status == 405);
  CHECK(m.headers["allow"] == "GET");
}
