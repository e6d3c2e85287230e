// Issue 18 (hardening) against the real sipvault-api process: the admin password file, user
// deletion and ids, the login limits behind (un)trusted proxies, the request deadline and the
// per-source connection cap, /health without a database round trip, the separate auth pool, the
// stats caps and the security headers.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "api_test_env.h"
#include "child_process.h"
#include "test_database.h"

using namespace sipvault;
using namespace sipvault::apitest;
using namespace std::chrono_literals;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string uniqueName(const std::string& base) { return base + "-" + std::to_string(getpid()); }

std::string scratchDir(const std::string& tag) {
  const std::string dir =
      std::string(SIPVAULT_BINARY_DIR) + "/tests/api/h18-" + tag + "-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A sipvault-api of the test's own, with `ini` as its config file ("[api]" section keys), over
// `database` (a fresh one: the admin is created there; kDatabase: the pipeline's data and admin).
struct OwnApi {
  std::string dir;
  std::string password_file;
  std::string log_path;
  int port = 0;
  std::string admin_password;
  std::unique_ptr<test::ChildProcess> proc;

  OwnApi(const std::string& tag, const std::string& database, const std::string& ini, bool create_admin) {
    dir = scratchDir(tag);
    password_file = dir + "/admin-password";
    log_path = dir + "/api.log";
    std::ofstream(dir + "/api.ini") << "[api]\n" << ini;
    for (int attempt = 0; attempt < 3 && !proc; ++attempt) {
      port = test::freePort();
      std::vector<std::string> args{test::binaryPath("api", "sipvault-api"),
                                    "--config",
                                    dir + "/api.ini",
                                    "--listen",
                                    "127.0.0.1:" + std::to_string(port),
                                    "--db-socket",
                                    SIPVAULT_TEST_DB_SOCKET,
                                    "--db-name",
                                    database};
      if (create_admin) {
        std::filesystem::remove(password_file);
        for (std::string a : {"--create-admin", "admin", "--admin-password-file"}) args.push_back(a);
        args.push_back(password_file);
      }
      auto p = std::make_unique<test::ChildProcess>(args, log_path);
      if (p->waitForLog("event=listening", 60s)) proc = std::move(p);
    }
    REQUIRE(proc);
    admin_password = create_admin ? slurp(password_file) : api().admin_password;
    while (!admin_password.empty() && admin_password.back() == '\n') admin_password.pop_back();
  }
  ~OwnApi() {
    if (proc) proc->stop();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  [[nodiscard]] ApiClient client(const std::string& token = "") const { return ApiClient(port, token); }
  [[nodiscard]] std::string login(const std::string& user, const std::string& password) const {
    HttpResult r = client().post("/api/v1/login", json({{"username", user}, {"password", password}}));
    return r.status == 200 ? r.json()->getValue<std::string>("token") : "";
  }
};

// A session on the pipeline's database, for looking behind the api's back.
std::unique_ptr<store::DbConnection> apiDatabase() {
  store::DbOptions o = test::testServerOptions();
  o.name = kDatabase;
  store::DbError error;
  auto db = store::DbConnection::open(o, error);
  if (!db) throw std::runtime_error("cannot open " + std::string(kDatabase) + ": " + error.describe());
  return db;
}

uint64_t count(store::DbConnection& db, const std::string& sql) {
  store::DbError error;
  auto v = db.queryValue(sql, error);
  if (!v) throw std::runtime_error(sql + ": " + error.describe());
  return std::stoull(*v);
}

// The value of an unlabelled or labelled metric line of /metrics text ("name{labels} value").
std::optional<double> metric(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  return std::nullopt;
}

}  // namespace

TEST_CASE("a new admin's password goes to a 0600 file only, never to the log (issue 18 item 14)",
          "[api][admin][integration]") {
  test::TestDatabase db("h18_admin");
  OwnApi own("admin", db.name(), "", true);
  struct stat st {};
  REQUIRE(::stat(own.password_file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(own.admin_password.size() >= 16);
  const std::string log = slurp(own.log_path);
  CHECK(log.find("event=admin_created") != std::string::npos);
  CHECK(log.find(own.password_file) != std::string::npos);
  CHECK(log.find(own.admin_password) == std::string::npos);
  CHECK_FALSE(own.login("admin", own.admin_password).empty());
}

TEST_CASE("an admin password file that already exists stops the start and the new admin is removed again",
          "[api][admin][integration]") {
  test::TestDatabase db("h18_admin_exists");
  const std::string dir = scratchDir("admin-exists");
  const std::string file = dir + "/admin-password";
  std::ofstream(file) << "someone else's file\n";
  ::chmod(file.c_str(), 0644);
  test::ChildProcess proc(
      {test::binaryPath("api", "sipvault-api"), "--listen", "127.0.0.1:" + std::to_string(test::freePort()),
       "--db-socket", SIPVAULT_TEST_DB_SOCKET, "--db-name", db.name(), "--create-admin", "admin",
       "--admin-password-file", file},
      dir + "/api.log");
  const int status = proc.wait(60s);
  CHECK(status == 78);
  CHECK(proc.log().find("already exists") != std::string::npos);
  CHECK(slurp(file) == "someone else's file\n");
  // No admin whose password nobody knows: the next start (with a free path) creates it afresh.
  CHECK(db.count("SELECT COUNT(*) FROM api_users") == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE(
    "sessions and tokens are bound to the user's id: a re-created user of the same name gets none of them",
    "[api][auth][integration]") {
  const std::string user = uniqueName("revenant");
  const std::string body = json({{"username", user}, {"password", "correct horse"}, {"role", "admin"}});
  REQUIRE(admin().post("/api/v1/users", body).status == 201);
  const std::string session = login(user, "correct horse");
  REQUIRE_FALSE(session.empty());
  HttpResult made =
      ApiClient(api().port, session).post("/api/v1/tokens", json({{"name", "ci"}, {"role", "viewer"}}));
  REQUIRE(made.status == 201);
  const std::string token = made.json()->getValue<std::string>("token");
  CHECK(ApiClient(api().port, token).get("/api/v1/me").status == 200);

  // What a login or token creation racing the delete leaves: the user gone, their rows not.
  auto db = apiDatabase();
  store::DbError error;
  REQUIRE(db->execute("DELETE FROM api_users WHERE username = '" + user + "'", error));
  CHECK(ApiClient(api().port, session).get("/api/v1/me").status == 401);
  REQUIRE(admin().post("/api/v1/users", body).status == 201);
  CHECK(ApiClient(api().port, session).get("/api/v1/me").status == 401);
  CHECK(ApiClient(api().port, token).get("/api/v1/me").status == 401);

  // The API's delete takes sessions and tokens with the user, in one transaction.
  const std::string fresh = login(user, "correct horse");
  REQUIRE_FALSE(fresh.empty());
  REQUIRE(ApiClient(api().port, fresh).post("/api/v1/tokens", json({{"name", "ci2"}})).status == 201);
  const uint64_t id = count(*db, "SELECT id FROM api_users WHERE username = '" + user + "'");
  CHECK(count(*db, "SELECT COUNT(*) FROM api_sessions WHERE user_id = " + std::to_string(id)) == 1);
  CHECK(count(*db, "SELECT COUNT(*) FROM api_tokens WHERE user_id = " + std::to_string(id)) == 1);
  CHECK(admin().del("/api/v1/users/" + user).status == 200);
  CHECK(count(*db, "SELECT COUNT(*) FROM api_sessions WHERE user_id = " + std::to_string(id)) == 0);
  CHECK(count(*db, "SELECT COUNT(*) FROM api_tokens WHERE user_id = " + std::to_string(id)) == 0);
  CHECK(ApiClient(api().port, fresh).get("/api/v1/me").status == 401);
  CHECK(admin().del("/api/v1/users/" + user).status == 404);
  (void)db->execute("DELETE FROM api_sessions WHERE username = '" + user + "'", error);
  (void)db->execute("DELETE FROM api_tokens WHERE username = '" + user + "'", error);
}

TEST_CASE("X-Forwarded-For from a peer that is not a trusted proxy changes nothing (issue 18 item 8)",
          "[api][auth][integration]") {
  const std::string user = uniqueName("xff");
  REQUIRE(admin()
              .post("/api/v1/users",
                    json({{"username", user}, {"password", "correct horse"}, {"role", "viewer"}}))
              .status == 201);
  const ApiClient anonymous(api().port);
  const std::string guess = json({{"username", user}, {"password", "guess"}});
  for (int i = 0; i < 10; ++i)
    CHECK(
        anonymous
            .request("POST", "/api/v1/login", guess, {{"X-Forwarded-For", "198.51.100." + std::to_string(i)}})
            .status == 401);
  CHECK(anonymous.request("POST", "/api/v1/login", guess, {{"X-Forwarded-For", "198.51.100.99"}}).status ==
        429);
  CHECK(admin().del("/api/v1/users/" + user).status == 200);
}

TEST_CASE("behind a trusted proxy each forwarded client has its own login limit",
          "[api][auth][integration]") {
  OwnApi own("proxy", kDatabase, "trusted_proxies = 127.0.0.1\nlogin_user_free_failures = 1000\n", false);
  const std::string user = uniqueName("proxied");
  const ApiClient admin_client = own.client(own.login("admin", own.admin_password));
  REQUIRE(admin_client
              .post("/api/v1/users",
                    json({{"username", user}, {"password", "correct horse"}, {"role", "viewer"}}))
              .status == 201);
  const ApiClient anonymous = own.client();
  const std::string guess = json({{"username", user}, {"password", "guess"}});
  for (int i = 0; i < 10; ++i)
    CHECK(anonymous.request("POST", "/api/v1/login", guess, {{"X-Forwarded-For", "1.2.3.4, 198.51.100.1"}})
              .status == 401);
  CHECK(anonymous.request("POST", "/api/v1/login", guess, {{"X-Forwarded-For", "9.9.9.9, 198.51.100.1"}})
            .status == 429);
  CHECK(anonymous.request("POST", "/api/v1/login", guess, {{"X-Forwarded-For", "198.51.100.2"}}).status ==
        401);
  CHECK(admin_client.del("/api/v1/users/" + user).status == 200);
}

TEST_CASE("password checks beyond api.login_max_concurrent are refused with 503, not queued",
          "[api][auth][integration]") {
  OwnApi own("busy", kDatabase,
             "login_max_concurrent = 1\nlogin_max_failures = 1000\nlogin_user_free_failures = 1000\n"
             "max_connections_per_source = 64\n",
             false);
  std::vector<std::future<int>> answers;
  for (int i = 0; i < 16; ++i)
    answers.push_back(std::async(std::launch::async, [&own, i] {
      return own.client()
          .post("/api/v1/login",
                json({{"username", "nobody" + std::to_string(i)}, {"password", "whatever1"}}))
          .status;
    }));
  std::map<int, int> statuses;
  for (auto& a : answers) ++statuses[a.get()];
  INFO("401: " << statuses[401] << ", 503: " << statuses[503]);
  CHECK(statuses[401] + statuses[503] == 16);
  CHECK(statuses[401] >= 1);
  CHECK(statuses[503] >= 1);
}

TEST_CASE(
    "a trickling client is cut off at the request deadline, and one address cannot hold every connection",
    "[api][limits][integration]") {
  OwnApi own("deadline", kDatabase, "request_deadline_s = 1\nmax_connections_per_source = 3\n", false);
  const Poco::Net::SocketAddress address("127.0.0.1", static_cast<uint16_t>(own.port));
  std::vector<Poco::Net::StreamSocket> stalled;
  const std::string partial = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n";  // the blank line never comes
  for (int i = 0; i < 3; ++i) {
    stalled.emplace_back(address);
    stalled.back().sendBytes(partial.data(), static_cast<int>(partial.size()));
  }
  std::this_thread::sleep_for(200ms);  // let the server threads take them

  Poco::Net::StreamSocket fourth(address);
  fourth.setReceiveTimeout(Poco::Timespan(5, 0));
  char buf[512];
  const int n = fourth.receiveBytes(buf, sizeof buf);
  REQUIRE(n > 0);
  CHECK(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 503", 0) == 0);

  // Poco's own timeout (60 s per read) would keep these; the deadline ends them after ~1 s.
  const auto started = std::chrono::steady_clock::now();
  for (auto& s : stalled) {
    s.setReceiveTimeout(Poco::Timespan(10, 0));
    int got = -1;
    try {
      got = s.receiveBytes(buf, sizeof buf);
    } catch (const Poco::Exception&) {
      got = 0;  // reset: closed too
    }
    CHECK(got == 0);
  }
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  // The address is free again (the server releases a slot just after the socket closes).
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    if (i) std::this_thread::sleep_for(20ms);
    status = own.client().get("/api/v1/health").status;
  }
  CHECK(status == 200);
  // Both are counted for operators.
  const std::string metrics = own.client(own.login("admin", own.admin_password)).get("/metrics").body;
  CHECK(metric(metrics, "sipvault_api_request_deadline_exceeded_total").value_or(0) >= 3);
  CHECK(metric(metrics, "sipvault_api_connections_refused_total").value_or(0) >= 1);
}

TEST_CASE("/health answers from the background check without touching the search pool",
          "[api][health][integration]") {
  const std::string before = admin().get("/metrics").body;
  for (int i = 0; i < 20; ++i) CHECK(ApiClient(api().port).get("/api/v1/health").status == 200);
  const std::string after = admin().get("/metrics").body;
  const auto q0 = metric(before, "sipvault_api_db_queries_total");
  const auto q1 = metric(after, "sipvault_api_db_queries_total");
  REQUIRE(q0);
  REQUIRE(q1);
  CHECK(*q1 == *q0);  // before issue 18: one SELECT 1 per /health
  HttpResult health = ApiClient(api().port).get("/api/v1/health");
  CHECK(health.json()->getValue<std::string>("database") == "ok");
  CHECK(health.json()->getValue<std::string>("database_checked_at") > "2026-");
}

TEST_CASE("searches holding every search session do not lock logins out (separate auth pool)",
          "[api][auth][integration]") {
  test::TestDatabase db("h18_pool");
  OwnApi own("pool", db.name(), "db_pool_size = 1\ndb_acquire_timeout_ms = 500\n", true);
  const std::string token = own.login("admin", own.admin_password);
  REQUIRE_FALSE(token.empty());
  store::DbError error;
  // A search stuck behind a table lock holds the only search session.
  REQUIRE(db.conn().execute("LOCK TABLES sip_messages WRITE", error));
  auto search = std::async(std::launch::async, [&] {
    return own.client(token).get("/api/v1/messages?from=0s&to=4102444800000ms").status;
  });
  std::this_thread::sleep_for(500ms);
  CHECK(own.client(token).get("/api/v1/messages?from=0s&to=4102444800000ms").status ==
        503);  // search pool busy
  CHECK_FALSE(own.login("admin", own.admin_password).empty());
  CHECK(own.client(token).get("/api/v1/me").status == 200);
  REQUIRE(db.conn().execute("UNLOCK TABLES", error));
  CHECK(search.get() == 200);
}

TEST_CASE("stats refuse a range beyond api.stats_max_range_s (issue 18 item 17)",
          "[api][stats][integration]") {
  const uint64_t t = truth().front().time_us / 1000;
  HttpResult r = admin().get("/api/v1/stats?from=" + std::to_string(t - 32ull * 86400000) +
                             "ms&to=" + std::to_string(t) + "ms&step=86400");
  REQUIRE(r.status == 400);
  CHECK(r.json()->getObject("error")->getValue<std::string>("parameter") == "to");
  CHECK(admin()
            .get("/api/v1/stats?from=" + std::to_string(t - 30ull * 86400000) + "ms&to=" + std::to_string(t) +
                 "ms&step=86400")
            .status == 200);
}

TEST_CASE(
    "stats give the top methods their own series, fold the rest into (other) and say so (issue 18 item 1)",
    "[api][stats][integration]") {
  OwnApi own("stats", kDatabase, "stats_top_methods = 1\n", false);
  const ApiClient client = own.client(own.login("admin", own.admin_password));
  // The kamailio capture (capture id 2001): 20 calls within a second.
  const uint64_t lo = truth().front().time_us / 1000000 * 1000000 - 60000000, hi = lo + 180000000;
  std::map<std::string, uint64_t> methods;
  for (const TruthMessage& m : truth())
    if (m.capture_id == 2001 && m.time_us >= lo && m.time_us <= hi && m.is_request) ++methods[m.method];
  REQUIRE(methods.size() >= 2);
  const auto top = std::max_element(methods.begin(), methods.end(),
                                    [](const auto& a, const auto& b) { return a.second < b.second; });
  const std::string query = "/api/v1/stats?capture_id=2001&step=60&from=" + std::to_string(lo) +
                            "us&to=" + std::to_string(hi) + "us";
  HttpResult r = client.get(query);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto o = r.json();
  CHECK(o->getValue<bool>("truncated"));
  CHECK(o->getValue<uint64_t>("methods_shown") == 1);
  std::map<std::string, uint64_t> got;
  auto series = o->getArray("series");
  for (size_t i = 0; i < series->size(); ++i)
    for (const auto& [name, v] : *series->getObject(static_cast<unsigned>(i))->getObject("methods"))
      got[name] += v.convert<uint64_t>();
  CHECK(got.size() == 2);
  CHECK(got[top->first] == top->second);
  uint64_t requests = 0;
  for (const auto& [name, n] : methods) requests += n;
  CHECK(got["(other)"] == requests - top->second);
  CHECK(o->getValue<uint64_t>("total") >= requests);

  // The shared api (default 20 methods) shows every method and is not cut.
  HttpResult whole = admin().get(query);
  REQUIRE(whole.status == 200);
  CHECK_FALSE(whole.json()->getValue<bool>("truncated"));
}

TEST_CASE("CSP forbids framing and <base> everywhere, and HSTS is not sent over plain HTTP",
          "[api][integration]") {
  for (const std::string target : {"/api/v1/health", "/index.html"}) {
    INFO(target);
    HttpResult r = ApiClient(api().port).get(target);
    CHECK(r.headers["content-security-policy"].find("frame-ancestors 'none'") != std::string::npos);
    CHECK(r.headers["content-security-policy"].find("base-uri 'none'") != std::string::npos);
    CHECK(r.headers.count("strict-transport-security") == 0);
  }
}

TEST_CASE(
    "flows and call lists say when they were cut at api.flow_max_messages instead of miscounting (issue 18 "
    "item 6)",
    "[api][calls][integration]") {
  std::map<std::string, size_t> per_call;
  for (const TruthMessage& m : truth()) ++per_call[m.call_id];
  const auto big = std::max_element(per_call.begin(), per_call.end(),
                                    [](const auto& a, const auto& b) { return a.second < b.second; });
  REQUIRE(big->second > 2);
  const std::string flow = "/api/v1/calls/" + enc(big->first) + "/flow?from=0s&to=4102444800000ms";
  const std::string calls = "/api/v1/calls?from=0s&to=4102444800000ms&call_id=" + enc(big->first);

  HttpResult whole = admin().get(flow);
  REQUIRE(whole.status == 200);
  CHECK_FALSE(whole.json()->getValue<bool>("truncated"));
  HttpResult listed = admin().get(calls);
  REQUIRE(listed.status == 200);
  CHECK_FALSE(listed.json()->getValue<bool>("truncated"));
  CHECK(listed.json()->getArray("items")->getObject(0)->getValue<size_t>("message_count") == big->second);

  OwnApi own("flowcap", kDatabase, "flow_max_messages = 2\n", false);
  const ApiClient client = own.client(own.login("admin", own.admin_password));
  HttpResult cut = client.get(flow);
  REQUIRE(cut.status == 200);
  CHECK(cut.json()->getValue<bool>("truncated"));
  CHECK(cut.json()->getArray("messages")->size() == 2);
  HttpResult cut_list = client.get(calls);
  REQUIRE(cut_list.status == 200);
  CHECK(cut_list.json()->getValue<bool>("truncated"));
}

TEST_CASE(
    "exports stream, and stop before api.export_max_bytes with the truncation header and a cursor that continues exactly",
    "[api][export][integration]") {
  const std::string query = "from=0s&to=4102444800000ms&capture_id=2001";
  HttpResult whole = admin().get("/api/v1/export.txt?" + query);
  REQUIRE(whole.status == 200);
  REQUIRE(whole.body.size() > 3 * 4096);
  CHECK(whole.headers.count("x-sipvault-truncated") == 0);
  // Streamed as it is read from the database: chunked, no length known up front.
  CHECK(whole.headers["transfer-encoding"] == "chunked");
  CHECK(whole.headers.count("content-length") == 0);
  HttpResult whole_pcap = admin().get("/api/v1/export.pcap?" + query);
  REQUIRE(whole_pcap.status == 200);
  CHECK(whole_pcap.headers["transfer-encoding"] == "chunked");
  CHECK(whole_pcap.body.size() > 24);
  CHECK(whole_pcap.body.substr(0, 4) == std::string("\xd4\xc3\xb2\xa1", 4));  // pcap magic, little-endian

  OwnApi own("export", kDatabase, "export_max_bytes = 4096\n", false);
  const ApiClient client = own.client(own.login("admin", own.admin_password));
  std::string joined;
  std::string cursor;
  int pages = 0;
  uint64_t messages = 0;
  for (; pages < 1000; ++pages) {
    HttpResult r =
        client.get("/api/v1/export.txt?" + query + (cursor.empty() ? "" : "&cursor=" + enc(cursor)));
    REQUIRE(r.status == 200);
    CHECK(r.body.size() <= 4096);
    messages += std::stoull(r.headers["x-sipvault-messages"]);
    joined += r.body;
    if (r.headers["x-sipvault-truncated"] != "true") break;
    cursor = r.headers["x-sipvault-next-cursor"];
    REQUIRE_FALSE(cursor.empty());
  }
  CHECK(pages >= 3);
  CHECK(joined == whole.body);  // nothing skipped, nothing twice
  CHECK(messages == std::stoull(whole.headers["x-sipvault-messages"]));

  HttpResult pcap = client.get("/api/v1/export.pcap?" + query);
  REQUIRE(pcap.status == 200);
  CHECK(pcap.body.size() <= 4096);
  CHECK(pcap.headers["x-sipvault-truncated"] == "true");
  CHECK(std::stoull(pcap.headers["x-sipvault-messages"]) >= 1);
  CHECK_FALSE(pcap.headers["x-sipvault-next-cursor"].empty());
}

TEST_CASE("stats without a filter answer from the per-minute counts, equal to the scan of sip_messages (issue 13)",
          "[api][stats][integration]") {
  OwnApi scan("scan", kDatabase, "stats_minute_counts = false\n", false);
  const ApiClient scanned = scan.client(scan.login("admin", scan.admin_password));
  // Whole minutes around the kamailio capture (20 calls at 12:49:45) and the derived messages
  // after it: `to` is the last microsecond of a minute, so both count the same messages.
  const uint64_t lo = truth().front().time_us / 60000000 * 60000000 - 60000000;
  const uint64_t hi = lo + 15 * 60000000 - 1;
  uint64_t in_range = 0;
  for (const TruthMessage& t : truth()) in_range += t.time_us >= lo && t.time_us <= hi;
  REQUIRE(in_range > 20);
  const std::string range = "from=" + std::to_string(lo) + "us&to=" + std::to_string(hi) + "us";
  // Whole hours around the same messages, for the per-hour counts (store/sql/015).
  const uint64_t hour_lo = lo - lo % 3600000000, hour_hi = hi - hi % 3600000000 + 3600000000 - 1;
  const std::string hours = "from=" + std::to_string(hour_lo) + "us&to=" + std::to_string(hour_hi) + "us";
  uint64_t in_hours = 0;
  for (const TruthMessage& t : truth()) in_hours += t.time_us >= hour_lo && t.time_us <= hour_hi;
  for (const auto& [window, step, source] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{range, "60", "minute_counts"},
                                                                      {range, "120", "minute_counts"},
                                                                      {range, "300", "minute_counts"},
                                                                      {range, "1800", "minute_counts"},
                                                                      {hours, "3600", "hour_counts"},
                                                                      {hours, "7200", "hour_counts"}}) {
    const std::string query = "/api/v1/stats?" + window + "&step=" + step;
    INFO(query);
    HttpResult minutes = admin().get(query), scans = scanned.get(query);
    REQUIRE(minutes.status == 200);
    REQUIRE(scans.status == 200);
    auto m = minutes.json(), s = scans.json();
    CHECK(m->getValue<std::string>("source") == source);
    CHECK(s->getValue<std::string>("source") == "messages");
    CHECK(m->getValue<uint64_t>("total") == (window == range ? in_range : in_hours));
    m->remove("source");
    s->remove("source");
    std::ostringstream mt, st;
    m->stringify(mt);
    s->stringify(st);
    CHECK(mt.str() == st.str());
  }
  // A `from` inside a minute starts at that minute; a filter, or a step of part of a minute, scans.
  HttpResult snapped = admin().get("/api/v1/stats?from=" + std::to_string(lo + 17000000) + "us&to=" +
                                   std::to_string(hi) + "us&step=60");
  REQUIRE(snapped.status == 200);
  CHECK(snapped.json()->getValue<std::string>("source") == "minute_counts");
  CHECK(snapped.json()->getArray("series")->getObject(0)->getValue<uint64_t>("time_us") == lo);
  CHECK(snapped.json()->getValue<uint64_t>("total") == in_range);
  // With whole-hour steps `from` starts at its hour, and the hour `to` falls in counts whole.
  HttpResult hour_snapped = admin().get("/api/v1/stats?from=" + std::to_string(lo + 17000000) + "us&to=" +
                                        std::to_string(hi) + "us&step=3600");
  REQUIRE(hour_snapped.status == 200);
  CHECK(hour_snapped.json()->getValue<std::string>("source") == "hour_counts");
  CHECK(hour_snapped.json()->getArray("series")->getObject(0)->getValue<uint64_t>("time_us") == hour_lo);
  CHECK(hour_snapped.json()->getValue<uint64_t>("total") == in_hours);
  // The longest range allowed, from inside an hour: snapping it to the hour does not make it too long.
  const uint64_t far_to = hi + 17000000;
  HttpResult longest = admin().get("/api/v1/stats?from=" + std::to_string(far_to - 2678400ull * 1000000) +
                                   "us&to=" + std::to_string(far_to) + "us&step=3600");
  INFO(longest.body);
  REQUIRE(longest.status == 200);
  CHECK(longest.json()->getValue<std::string>("source") == "hour_counts");
  CHECK(longest.json()->getValue<uint64_t>("total") == in_hours);
  for (const std::string other : {"&step=60&capture_id=2001", "&step=60&method=INVITE", "&step=30", "&step=90"}) {
    HttpResult r = admin().get("/api/v1/stats?" + range + other);
    INFO(other);
    REQUIRE(r.status == 200);
    CHECK(r.json()->getValue<std::string>("source") == "messages");
  }
  // The minute counts do not read sip_messages at all: they answer while it is locked.
  auto db = apiDatabase();
  store::DbError error;
  REQUIRE(db->execute("LOCK TABLES sip_messages WRITE", error));
  HttpResult locked = admin().get("/api/v1/stats?" + range + "&step=60");
  REQUIRE(db->execute("UNLOCK TABLES", error));
  CHECK(locked.status == 200);
  CHECK(locked.json()->getValue<uint64_t>("total") == in_range);
}

TEST_CASE("stats from the counts stay exact and bounded when senders invent more methods than one answer holds",
          "[api][stats][integration]") {
  OwnApi small("cells", kDatabase, "stats_max_cells = 1000\n", false);
  const ApiClient c = small.client(small.login("admin", small.admin_password));
  // 1200 invented methods in one hour of 2031 (far from the pipeline's data, in p_future), method
  // i counted i times, in the minute i % 60, as the writers count them: more rows than the one
  // statement may return (1000), so the api reads the top methods first.
  const uint64_t hour = 1924992000ull * 1000000;  // 2031-01-01 00:00 UTC
  auto db = apiDatabase();
  store::DbError error;
  std::string minutes, hours;
  uint64_t total = 0;
  for (uint64_t i = 1; i <= 1200; ++i) {
    const std::string name = "'M" + std::to_string(i) + "', " + std::to_string(i) + ")";
    minutes += std::string(i > 1 ? ", (" : "(") + std::to_string(hour + i % 60 * 60000000) + ", 0, " + name;
    hours += std::string(i > 1 ? ", (" : "(") + std::to_string(hour) + ", 0, " + name;
    total += i;
  }
  const auto clear = [&] {
    return db->execute("DELETE FROM sip_minute_stats WHERE minute_us >= " + std::to_string(hour), error) &&
           db->execute("DELETE FROM sip_hour_stats WHERE hour_us >= " + std::to_string(hour), error);
  };
  REQUIRE(clear());  // what a run stopped half-way left
  REQUIRE(db->execute("INSERT INTO sip_minute_stats (minute_us, kind, name, count) VALUES " + minutes, error));
  REQUIRE(db->execute("INSERT INTO sip_hour_stats (hour_us, kind, name, count) VALUES " + hours, error));
  for (const auto& [step, source, shown] :
       std::vector<std::tuple<std::string, std::string, uint64_t>>{{"60", "minute_counts", 9},  // 1000 / 60 - 7
                                                                   {"3600", "hour_counts", 20}}) {
    HttpResult r = c.get("/api/v1/stats?from=" + std::to_string(hour) + "us&to=" +
                         std::to_string(hour + 3600000000 - 1) + "us&step=" + step);
    INFO(step << " " << r.body.substr(0, 300));
    REQUIRE(r.status == 200);
    auto o = r.json();
    CHECK(o->getValue<std::string>("source") == source);
    CHECK(o->getValue<uint64_t>("total") == total);
    CHECK(o->getValue<bool>("truncated"));
    CHECK(o->getValue<uint64_t>("methods_shown") == shown);
    // The methods with the most requests have series of their own, every other one is "(other)".
    std::map<std::string, uint64_t> methods;
    auto series = o->getArray("series");
    for (size_t b = 0; b < series->size(); ++b) {
      auto m = series->getObject(b)->getObject("methods");
      for (const std::string& name : m->getNames()) methods[name] += m->getValue<uint64_t>(name);
    }
    uint64_t top = 0;
    for (uint64_t i = 1200; i > 1200 - shown; --i) {
      CHECK(methods["M" + std::to_string(i)] == i);
      top += i;
    }
    CHECK(methods.size() == shown + 1);
    CHECK(methods["(other)"] == total - top);
  }
  CHECK(clear());
}

