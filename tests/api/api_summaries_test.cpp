// GET /api/v1/summaries (issue 14): OPTIONS keep-alives and their 200/503 answers sent as HEP through
// the real collector -> parser -> writer, the parser running the SHIPPED ingest policy
// (deploy/config/parser.ini, OPTIONS summarized) into the api tests' database; the counts then
// read back through the real sipvault-api. The peers (198.51.100.1/.2) and minutes are this
// test's own: no other api test sends them, so the counts are exact.
#include <Poco/JSON/Array.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "api_test_env.h"
#include "child_process.h"
#include "proto/hep_codec.h"
#include "store/db_connection.h"
#include "tests/support/test_database.h"

using namespace sipvault::apitest;
using namespace std::chrono_literals;
namespace test = sipvault::test;

namespace {

constexpr uint64_t kMinuteUs = 60ull * 1000000;
const std::string kPeerA = "198.51.100.1";  // sends OPTIONS
const std::string kPeerB = "198.51.100.2";  // answers them

// A minute boundary 40 minutes ago, aligned to 2 minutes (for step=120); fixed per process.
uint64_t baseUs() {
  static const uint64_t base = [] {
    const uint64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    const uint64_t t = now - 40 * kMinuteUs;
    return t - t % (2 * kMinuteUs);
  }();
  return base;
}

std::string hep(const std::string& src, const std::string& dst, uint64_t t_us, const std::string& payload) {
  sipvault::PacketView p;
  p.src = *sipvault::IpAddress::parse(src);
  p.dst = *sipvault::IpAddress::parse(dst);
  p.src_port = 5060;
  p.dst_port = 5060;
  p.ip_proto = sipvault::kIpProtoUdp;
  p.ts_sec = static_cast<uint32_t>(t_us / 1000000);
  p.ts_usec = static_cast<uint32_t>(t_us % 1000000);
  p.capture_id = 3003;
  p.payload = payload;
  std::string out;
  if (!sipvault::encodeHep3(p, out)) throw std::runtime_error("encodeHep3 failed");
  return out;
}

std::string options(int n) {
  return "OPTIONS sip:" + kPeerB + " SIP/2.0\r\nVia: SIP/2.0/UDP " + kPeerA + ":5060;branch=z9hG4bKka" +
         std::to_string(n) + "\r\nFrom: <sip:ka@" + kPeerA + ">;tag=k" + std::to_string(n) +
         "\r\nTo: <sip:" + kPeerB + ">\r\nCall-ID: keepalive-" + std::to_string(n) + "@" + kPeerA +
         "\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
}

std::string answer(int n, int status, const std::string& reason) {
  return "SIP/2.0 " + std::to_string(status) + " " + reason + "\r\nVia: SIP/2.0/UDP " + kPeerA +
         ":5060;branch=z9hG4bKka" + std::to_string(n) + "\r\nFrom: <sip:ka@" + kPeerA + ">;tag=k" +
         std::to_string(n) + "\r\nTo: <sip:" + kPeerB + ">;tag=b" + std::to_string(n) +
         "\r\nCall-ID: keepalive-" + std::to_string(n) + "@" + kPeerA +
         "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
}

// Minute 0: 3 OPTIONS answered 200; minute 1: 2 answered 503; minute 2: 1 unanswered; then silence.
std::vector<std::string> keepAlives() {
  std::vector<std::string> out;
  int n = 0;
  const uint64_t b = baseUs();
  for (int i = 0; i < 3; ++i, ++n) {
    out.push_back(hep(kPeerA, kPeerB, b + i * 10000000ull, options(n)));
    out.push_back(hep(kPeerB, kPeerA, b + i * 10000000ull + 5000, answer(n, 200, "OK")));
  }
  for (int i = 0; i < 2; ++i, ++n) {
    out.push_back(hep(kPeerA, kPeerB, b + kMinuteUs + i * 10000000ull, options(n)));
    out.push_back(
        hep(kPeerB, kPeerA, b + kMinuteUs + i * 10000000ull + 5000, answer(n, 503, "Service Unavailable")));
  }
  out.push_back(hep(kPeerA, kPeerB, b + 2 * kMinuteUs + 1000, options(n)));
  return out;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string range(uint64_t from_us, uint64_t to_us) {
  return "from=" + std::to_string(from_us) + "us&to=" + std::to_string(to_us) + "us";
}

uint64_t total(const Poco::JSON::Array::Ptr& items) {
  uint64_t n = 0;
  for (size_t i = 0; i < items->size(); ++i) n += items->getObject(i)->getValue<uint64_t>("count");
  return n;
}

// Sends the keep-alives through a pipeline of its own (shipped policy) once per process and waits
// until the api sees all 11 counted.
void loadKeepAlives() {
  static std::once_flag once;
  std::call_once(once, [] {
    (void)api();  // the shared data and the api process first
    const std::string shipped = readFile(std::string(SIPVAULT_SOURCE_DIR) + "/deploy/config/parser.ini");
    const size_t from = shipped.find("[policy.rule.");
    const size_t to = shipped.find("[metrics]");
    REQUIRE(from != std::string::npos);
    REQUIRE(to != std::string::npos);
    const std::string logs = std::string(SIPVAULT_BINARY_DIR) + "/tests/api/summaries-logs";
    std::filesystem::create_directories(logs);
    std::ofstream(logs + "/parser.ini") << shipped.substr(from, to - from);
    {  // a test binary run again: its peers' earlier counts go first, so the counts stay exact
      sipvault::store::DbOptions o = test::testServerOptions();
      o.name = kDatabase;
      sipvault::store::DbError error;
      auto db = sipvault::store::DbConnection::open(o, error);
      REQUIRE(db);
      REQUIRE(db->execute("DELETE FROM sip_summaries WHERE src_ip IN (X'c6336401', X'c6336402')", error));
    }

    CapturePipeline pipeline(logs, {"--config", logs + "/parser.ini"});
    const int hep_port = pipeline.hepPort();
    for (const std::string& packet : keepAlives()) sendUdp(hep_port, packet);

    const std::string target =
        "/api/v1/summaries?" + range(baseUs(), baseUs() + 10 * kMinuteUs) + "&ip=" + kPeerA;
    const auto until = std::chrono::steady_clock::now() + 60s;
    uint64_t seen = 0;
    while (std::chrono::steady_clock::now() < until) {
      HttpResult r = admin().get(target);
      if (r.status == 200) seen = total(r.json()->getArray("items"));
      if (seen >= 11) break;
      std::this_thread::sleep_for(200ms);
    }
    REQUIRE(seen == 11);
    pipeline.stop();
  });
}

struct Item {
  uint64_t time_us;
  std::string src, dst, method;
  int status;
  uint64_t count;
};

std::vector<Item> items(const HttpResult& r) {
  REQUIRE(r.status == 200);
  std::vector<Item> out;
  auto a = r.json()->getArray("items");
  for (size_t i = 0; i < a->size(); ++i) {
    auto o = a->getObject(i);
    out.push_back({o->getValue<uint64_t>("time_us"), o->getValue<std::string>("src_ip"),
                   o->getValue<std::string>("dst_ip"), o->getValue<std::string>("method"),
                   o->getValue<int>("status"), o->getValue<uint64_t>("count")});
  }
  return out;
}

std::string badParameter(const std::string& target) {
  HttpResult r = admin().get(target);
  return r.status == 400 ? r.json()->getObject("error")->getValue<std::string>("parameter") : std::string();
}

void checkPerMinute() {
  const uint64_t b = baseUs();
  auto got = items(admin().get("/api/v1/summaries?" + range(b, b + 10 * kMinuteUs) + "&ip=" + kPeerA));
  REQUIRE(got.size() == 5);
  const std::vector<Item> want{{b, kPeerA, kPeerB, "OPTIONS", 0, 3},
                               {b, kPeerB, kPeerA, "OPTIONS", 200, 3},
                               {b + kMinuteUs, kPeerA, kPeerB, "OPTIONS", 0, 2},
                               {b + kMinuteUs, kPeerB, kPeerA, "OPTIONS", 503, 2},
                               {b + 2 * kMinuteUs, kPeerA, kPeerB, "OPTIONS", 0, 1}};
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("item " << i);
    CHECK(got[i].time_us == want[i].time_us);
    CHECK(got[i].src == want[i].src);
    CHECK(got[i].dst == want[i].dst);
    CHECK(got[i].method == want[i].method);
    CHECK(got[i].status == want[i].status);
    CHECK(got[i].count == want[i].count);
  }
  // Summarized: no message row for them.
  HttpResult m = admin().get("/api/v1/messages?" + range(b, b + 10 * kMinuteUs) + "&ip=" + kPeerA);
  REQUIRE(m.status == 200);
  CHECK(m.json()->getArray("items")->size() == 0);
}

void checkFilters() {
  const uint64_t b = baseUs();
  const std::string all = "/api/v1/summaries?" + range(b, b + 10 * kMinuteUs);
  auto s503 = items(admin().get(all + "&ip=" + kPeerA + "&status=5xx"));
  REQUIRE(s503.size() == 1);
  CHECK(s503[0].status == 503);
  CHECK(s503[0].count == 2);
  CHECK(s503[0].time_us == b + kMinuteUs);
  CHECK(s503[0].src == kPeerB);

  auto from_a = items(admin().get(all + "&src_ip=" + kPeerA + "&method=options"));
  CHECK(from_a.size() == 3);
  auto to_a = items(admin().get(all + "&dst_ip=" + kPeerA));
  CHECK(to_a.size() == 2);

  // Time: a `from` inside a minute still counts that minute; `to` before a minute's start leaves it out.
  auto later = items(admin().get("/api/v1/summaries?" + range(b + kMinuteUs + 30000000, b + 10 * kMinuteUs) +
                                 "&ip=" + kPeerA));
  REQUIRE(later.size() == 3);
  CHECK(later[0].time_us == b + kMinuteUs);
  auto first = items(admin().get("/api/v1/summaries?" + range(b, b + kMinuteUs - 1) + "&ip=" + kPeerA));
  CHECK(first.size() == 2);
  auto after = items(
      admin().get("/api/v1/summaries?" + range(b + 3 * kMinuteUs, b + 10 * kMinuteUs) + "&ip=" + kPeerA));
  CHECK(after.empty());  // the keep-alives stopped: nothing after minute 2

  auto stepped = items(admin().get(all + "&ip=" + kPeerA + "&step=120"));
  REQUIRE(stepped.size() == 4);
  CHECK(stepped[0].time_us == b);
  CHECK(stepped[0].status == 0);
  CHECK(stepped[0].count == 5);
  CHECK(stepped[3].time_us == b + 2 * kMinuteUs);
  CHECK(stepped[3].count == 1);

  HttpResult cut = admin().get(all + "&ip=" + kPeerA + "&limit=2");
  CHECK(items(cut).size() == 2);
  CHECK(cut.json()->getValue<bool>("truncated"));
}

void checkHostile() {
  CHECK(badParameter("/api/v1/summaries?src_ip=" + enc("1.1.1.1' OR '1'='1")) == "src_ip");
  CHECK(badParameter("/api/v1/summaries?status=" + enc("200) OR (1=1")) == "status");
  CHECK(badParameter("/api/v1/summaries?method=" + enc("OPTIONS'--")) == "method");
  CHECK(badParameter("/api/v1/summaries?step=61") == "step");
  CHECK(badParameter("/api/v1/summaries?step=" + enc("60; DROP TABLE sip_summaries")) == "step");
  CHECK(badParameter("/api/v1/summaries?from=" + enc("now'")) == "from");
  CHECK(badParameter("/api/v1/summaries?limit=0") == "limit");
  CHECK(badParameter("/api/v1/summaries?call_id=x") == "call_id");
  CHECK(ApiClient(api().port).get("/api/v1/summaries").status == 401);
  // Still there.
  const uint64_t b = baseUs();
  CHECK(items(admin().get("/api/v1/summaries?" + range(b, b + 10 * kMinuteUs) + "&ip=" + kPeerA)).size() ==
        5);
}

}  // namespace

// One test case (one process under ctest): the keep-alives are sent once, the sections read them.
TEST_CASE(
    "Summaries count a peer's OPTIONS per minute with their answers, filter, and refuse hostile parameters",
    "[api][summaries]") {
  loadKeepAlives();
  SECTION("per minute, 503 included, in time order") { checkPerMinute(); }
  SECTION("filters by status, address and time, aggregates by step, cuts at limit") { checkFilters(); }
  SECTION("hostile or unknown parameters: 400 naming them") { checkHostile(); }
}
