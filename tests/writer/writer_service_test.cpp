#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <thread>

#include "common/bus.h"
#include "tests/writer/test_database.h"
#include "tests/writer/writer_corpus.h"
#include "tests/writer/writer_test_util.h"
#include "writer/writer_service.h"

using namespace sipvault;
using namespace std::chrono_literals;

namespace {

// Records built from the RFC 4475 valid messages, cycled, with increasing capture times now.
std::vector<wire::SipRecord> corpusRecords(size_t n) {
  static const auto files = test::rfc4475Valid();
  std::vector<wire::SipRecord> out;
  const uint64_t now = systemNowUs();
  for (size_t i = 0; i < n; ++i) out.push_back(test::sipRecordFor(files[i % files.size()].bytes, now + i));
  return out;
}

WriterOptions optionsFor(const DbOptions& db) {
  WriterOptions o;
  o.db = db;
  o.listen = "bind:tcp://127.0.0.1:*";
  o.batch.retry_initial = 20ms;
  o.batch.retry_max = 200ms;
  o.batch.drain_timeout = 20s;
  return o;
}

struct Pipeline {
  MetricsRegistry registry;
  WriterMetrics metrics{registry};
  WriterService service;
  zmq::context_t ctx{1};
  std::unique_ptr<BusSocket> push;
  uint64_t sequence = 0;

  explicit Pipeline(const WriterOptions& o) : service(o, metrics, Log::get("writer-test")) {
    auto failure = service.start();
    if (failure) FAIL("start: " << failure->problem);
    REQUIRE(service.boundAddresses().size() == 1);
    push = std::make_unique<BusSocket>(ctx, BusSocket::Kind::Push,
                                       std::vector<BusEndpoint>{{false, service.boundAddresses()[0]}}, 10);
  }
  void send(const std::vector<wire::SipRecord>& records) {
    REQUIRE(push->send(test::serializeBatch(records, ++sequence), 10s) == SendResult::Sent);
  }
};

}  // namespace

TEST_CASE("Writer writes a batch once batch_rows rows have arrived, without waiting for the flush time",
          "[writer][service][batching][db]") {
  test::TestDatabase db("svc_size");
  WriterOptions o = optionsFor(db.options());
  o.batch.batch_rows = 100;
  o.batch.flush = 60s;
  Pipeline p(o);
  const auto records = corpusRecords(250);
  for (size_t i = 0; i < records.size(); i += 50)
    p.send(std::vector<wire::SipRecord>(records.begin() + i, records.begin() + i + 50));
  CHECK(test::waitFor([&] { return db.count("SELECT COUNT(*) FROM sip_messages") == 200; }, 10s));
  CHECK(test::waitFor([&] { return p.metrics.insert_batches.value() == 2; }, 5s));  // counted just after COMMIT
  std::this_thread::sleep_for(200ms);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == 200);  // the last 50 wait for more rows or the flush time
  p.service.stop();  // drain
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == 250);
  CHECK(p.metrics.rows_sip.value() == 250);
  CHECK(p.metrics.bus_records.value() == 250);
}

TEST_CASE("Writer writes a partial batch after flush_ms", "[writer][service][batching][db]") {
  test::TestDatabase db("svc_time");
  WriterOptions o = optionsFor(db.options());
  o.batch.batch_rows = 10000;
  o.batch.flush = 400ms;
  Pipeline p(o);
  const auto sent_at = std::chrono::steady_clock::now();
  p.send(corpusRecords(10));
  std::this_thread::sleep_for(150ms);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == 0);
  CHECK(test::waitFor([&] { return db.count("SELECT COUNT(*) FROM sip_messages") == 10; }, 10s));
  CHECK(std::chrono::steady_clock::now() - sent_at >= 400ms);
  CHECK(test::waitFor([&] { return p.metrics.insert_batches.value() == 1; }, 5s));
}

TEST_CASE("Frames that are not a SipBatch are counted and dropped, the rest is stored", "[writer][service][db]") {
  test::TestDatabase db("svc_bad");
  WriterOptions o = optionsFor(db.options());
  o.batch.flush = 50ms;
  Pipeline p(o);
  REQUIRE(p.push->send(std::string("\xff\xff\xff\xff not protobuf", 17), 5s) == SendResult::Sent);
  p.send(corpusRecords(5));
  CHECK(test::waitFor([&] { return db.count("SELECT COUNT(*) FROM sip_messages") == 5; }, 10s));
  CHECK(p.metrics.bus_bad_messages.value() == 1);
}

TEST_CASE("Writer keeps rows in memory while the database is away and stores them when it is back",
          "[writer][service][outage][db]") {
  // A private server of our own, so that stopping it does not disturb other tests.
  const std::filesystem::path dir = std::filesystem::path(SIPVAULT_BINARY_DIR) / "test-mariadb-outage" /
                                    std::to_string(getpid());
  const int port = test::freeTcpPort();
  const std::string script = std::string(SIPVAULT_SOURCE_DIR) + "/deploy/mariadb.sh";
  const std::string start = script + " start " + dir.string() + " " + std::to_string(port) + " >/dev/null";
  const std::string stop = script + " stop " + dir.string() + " >/dev/null";
  REQUIRE(std::system(start.c_str()) == 0);
  struct Cleanup {
    std::string stop;
    std::filesystem::path dir;
    ~Cleanup() {
      (void)std::system(stop.c_str());
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{stop, dir};

  DbOptions db = test::testServerOptions();
  db.socket.clear();
  db.port = static_cast<uint16_t>(port);
  db.name = "sipvault";
  db.connect_timeout = 2s;
  WriterOptions o = optionsFor(db);
  o.batch.batch_rows = 50;
  o.batch.flush = 50ms;
  o.queue_rows = 200;  // small, so that the outage shows up as backpressure quickly
  o.bus_hwm = 2;
  o.batch.drain_timeout = 30s;
  Pipeline p(o);
  DbError error;
  auto count = [&]() -> uint64_t {
    auto c = DbConnection::open(db, error);
    if (!c) return 0;
    auto v = c->queryValue("SELECT COUNT(*) FROM sip_messages", error);
    return v ? std::stoull(*v) : 0;
  };

  p.send(corpusRecords(100));
  REQUIRE(test::waitFor([&] { return count() == 100; }, 10s));

  REQUIRE(std::system(stop.c_str()) == 0);
  // Keep sending while the database is down: the writer holds what fits in its queue, then stops
  // pulling, and ZeroMQ (after its own and the kernel's buffers) makes the sender wait. The sender
  // stops once it has felt that, or after 60000 rows (then the test fails).
  std::atomic<size_t> sent{100};
  std::atomic<int> would_block{0};
  std::thread sender([&] {
    for (uint64_t seq = 1; would_block.load() == 0 && sent.load() < 60000; ++seq) {
      const std::string frame = test::serializeBatch(corpusRecords(100), seq);
      while (p.push->send(frame, 100ms) != SendResult::Sent) ++would_block;
      sent += 100;
    }
  });
  CHECK(test::waitFor([&] { return p.metrics.backpressure_waits.value() > 0; }, 30s));
  CHECK(test::waitFor([&] { return would_block.load() > 0; }, 60s));  // upstream feels it
  CHECK(p.metrics.insert_errors.value() > 0);
  CHECK(p.metrics.db_up.value() == 0);

  REQUIRE(std::system(start.c_str()) == 0);
  sender.join();
  const size_t total = sent.load();
  CHECK(total < 60000);
  CHECK(test::waitFor([&] { return count() == total; }, 60s));
  p.service.stop();
  CHECK(count() == total);
  CHECK(p.metrics.rows_sip.value() == total);
  CHECK(p.metrics.rows_dropped_rejected.value() == 0);
  CHECK(p.metrics.rows_dropped_shutdown.value() == 0);
  CHECK(p.metrics.insert_retries.value() > 0);
  CHECK(p.metrics.db_up.value() == 1);
}
