#include "writer/writer_service.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "common/batch_ack.h"
#include "common/bus.h"
#include "tests/support/test_database.h"
#include "tests/writer/writer_corpus.h"
#include "tests/writer/writer_test_util.h"

using namespace sipvault::writer;

using namespace sipvault;
using namespace sipvault::store;
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
  // The corpus is cycled, so one message repeats microseconds apart: without this the duplicate
  // window would (rightly) store it once. These tests are about batching and outages.
  o.dedup.window_us = 0;
  return o;
}

// A private MariaDB of one test's own (deploy/mariadb.sh), so that stopping it does not disturb
// other tests; stopped and removed at the end.
class PrivateMariaDb {
 public:
  explicit PrivateMariaDb(const std::string& tag)
      : dir_(std::filesystem::path(SIPVAULT_BINARY_DIR) / ("test-mariadb-" + tag) / std::to_string(getpid())),
        port_(test::freeTcpPort()) {
    REQUIRE(start());
  }
  ~PrivateMariaDb() {
    (void)stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  [[nodiscard]] bool start() { return run("start " + dir_.string() + " " + std::to_string(port_)); }
  [[nodiscard]] bool stop() { return run("stop " + dir_.string()); }
  [[nodiscard]] DbOptions options() const {
    DbOptions db = test::testServerOptions();
    db.socket.clear();
    db.port = static_cast<uint16_t>(port_);
    db.name = "sipvault";
    db.connect_timeout = 2s;
    return db;
  }
  // COUNT(*) of `table`, 0 while the server is away.
  [[nodiscard]] uint64_t count(const std::string& table) const {
    DbError error;
    auto c = DbConnection::open(options(), error);
    if (!c) return 0;
    auto v = c->queryValue("SELECT COUNT(*) FROM " + table, error);
    return v ? std::stoull(*v) : 0;
  }

 private:
  static bool run(const std::string& args) {
    const std::string cmd = std::string(SIPVAULT_SOURCE_DIR) + "/deploy/mariadb.sh " + args + " >/dev/null";
    return std::system(cmd.c_str()) == 0;
  }
  std::filesystem::path dir_;
  int port_;
};

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
  // A SipBatch made from PacketBatch (sender_id, origin_sequence), as a parser forwards it.
  void sendWithOrigin(const std::vector<wire::SipRecord>& records, uint64_t sender_id, uint64_t origin_sequence) {
    wire::SipBatch batch;
    batch.ParseFromString(test::serializeBatch(records, ++sequence));
    wire::BatchRef* origin = batch.add_origins();
    origin->set_sender_id(sender_id);
    origin->set_sequence(origin_sequence);
    REQUIRE(push->send(batch.SerializeAsString(), 10s) == SendResult::Sent);
  }
};

// Distinct packets (one call's worth each): corpus messages with their own source port, so that
// the duplicate window keeps them all.
std::vector<wire::SipRecord> distinctRecords(size_t n, uint32_t first_port) {
  auto records = corpusRecords(n);
  for (size_t i = 0; i < n; ++i) records[i].mutable_packet()->set_src_port(first_port + static_cast<uint32_t>(i));
  return records;
}

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
  CHECK(test::waitFor([&] { return p.metrics.insert.insert_batches.value() == 2; },
                      5s));  // counted just after COMMIT
  std::this_thread::sleep_for(200ms);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == 200);  // the last 50 wait for more rows or the flush time
  p.service.stop();  // drain
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == 250);
  CHECK(p.metrics.insert.rows_sip.value() == 250);
  CHECK(p.metrics.receiver.bus_records.value() == 250);
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
  CHECK(test::waitFor([&] { return p.metrics.insert.insert_batches.value() == 1; }, 5s));
}

TEST_CASE("Frames that are not a SipBatch are counted and dropped, the rest is stored", "[writer][service][db]") {
  test::TestDatabase db("svc_bad");
  WriterOptions o = optionsFor(db.options());
  o.batch.flush = 50ms;
  Pipeline p(o);
  REQUIRE(p.push->send(std::string("\xff\xff\xff\xff not protobuf", 17), 5s) == SendResult::Sent);
  p.send(corpusRecords(5));
  CHECK(test::waitFor([&] { return db.count("SELECT COUNT(*) FROM sip_messages") == 5; }, 10s));
  CHECK(p.metrics.receiver.bus_bad_messages.value() == 1);
}

TEST_CASE("The duplicate window keys a record of reports alone on its reports: resent once, distinct kept",
          "[writer][service][dedup][qos][db]") {
  test::TestDatabase db("svc_qos_dedup");
  WriterOptions o = optionsFor(db.options());
  o.dedup = {};  // on, as shipped
  o.batch.flush = 50ms;
  Pipeline p(o);
  // Two RTCP reports of one stream, same addresses, 10 ms apart, payload dropped by the parser.
  auto report = [](uint64_t t, uint32_t highest_seq) {
    wire::SipRecord r;
    auto* pk = r.mutable_packet();
    pk->set_capture_time_us(t);
    pk->set_src_ip(std::string("\x0a\x00\x00\x05", 4));
    pk->set_dst_ip(std::string("\x0a\x00\x00\x06", 4));
    pk->set_src_port(40001);
    pk->set_dst_port(30001);
    pk->set_payload_type(5);
    pk->set_correlation_id("dedup-call");
    wire::QosFields* q = r.add_qos();
    q->set_source(1);
    q->set_report_type(201);
    q->set_ssrc(7);
    q->set_has_highest_seq(true);
    q->set_highest_seq(highest_seq);
    return r;
  };
  const uint64_t now = systemNowUs();
  const wire::SipRecord a = report(now, 1000), b = report(now + 10000, 1250);
  p.send({a, b});
  p.send({a});  // a resend of the first: dropped
  CHECK(test::waitFor([&] { return p.metrics.receiver.duplicates_dropped.value() == 1; }, 10s));
  CHECK(test::waitFor([&] { return db.count("SELECT COUNT(*) FROM sip_qos") == 2; }, 10s));
  CHECK(db.count("SELECT COUNT(DISTINCT highest_seq) FROM sip_qos") == 2);
  CHECK(test::waitFor([&] { return p.metrics.insert.rows_qos.value() == 2; }, 5s));
}

TEST_CASE("Writer keeps rows in memory while the database is away and stores them when it is back",
          "[writer][service][outage][db]") {
  PrivateMariaDb server("outage");
  const DbOptions db = server.options();
  WriterOptions o = optionsFor(db);
  o.batch.batch_rows = 50;
  o.batch.flush = 50ms;
  o.queue_rows = 200;  // small, so that the outage shows up as backpressure quickly
  o.bus_hwm = 2;
  o.batch.drain_timeout = 30s;
  Pipeline p(o);
  auto count = [&] { return server.count("sip_messages"); };

  p.send(corpusRecords(100));
  REQUIRE(test::waitFor([&] { return count() == 100; }, 10s));

  REQUIRE(server.stop());
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
  CHECK(test::waitFor([&] { return p.metrics.receiver.backpressure_waits.value() > 0; }, 30s));
  CHECK(test::waitFor([&] { return would_block.load() > 0; }, 60s));  // upstream feels it
  CHECK(p.metrics.insert.insert_errors.value() > 0);
  CHECK(p.metrics.insert.db_up.value() == 0);

  REQUIRE(server.start());
  sender.join();
  const size_t total = sent.load();
  CHECK(total < 60000);
  CHECK(test::waitFor([&] { return count() == total; }, 60s));
  p.service.stop();
  CHECK(count() == total);
  CHECK(p.metrics.insert.rows_sip.value() == total);
  CHECK(p.metrics.insert.rows_dropped_rejected.value() == 0);
  CHECK(p.metrics.insert.rows_dropped_shutdown.value() == 0);
  CHECK(p.metrics.insert.insert_retries.value() > 0);
  CHECK(p.metrics.insert.db_up.value() == 1);
}

TEST_CASE("Writer with a spool acks batches once spooled while the database is away, and replays them after a restart",
          "[writer][service][outage][spool][acks][db]") {
  PrivateMariaDb server("spool");
  const std::filesystem::path spool_dir =
      std::filesystem::path(SIPVAULT_BINARY_DIR) / "test-spool" / ("service-" + std::to_string(getpid()));
  std::filesystem::remove_all(spool_dir);
  WriterOptions o = optionsFor(server.options());
  o.dedup = {};  // on, as shipped: every record below is a distinct packet
  o.batch.flush = 50ms;
  o.spool_files.dir = spool_dir;
  o.spool.spool_after = 300ms;
  o.spool.probe_initial = 20ms;
  o.spool.probe_max = 200ms;
  const int ack_port = test::freeTcpPort();
  o.ack_output = "connect:tcp://127.0.0.1:" + std::to_string(ack_port);
  constexpr uint64_t kSender = 0x5eed;
  zmq::context_t ctx(1);
  AckSubscriber acks(ctx, {{true, "tcp://127.0.0.1:" + std::to_string(ack_port)}}, kSender);
  std::vector<uint64_t> acked;
  auto ackedUpTo = [&](size_t n) {
    return test::waitFor([&] {
      (void)acks.receive(acked, 20ms);
      return acked.size() >= n;
    }, 20s);
  };

  std::vector<std::vector<wire::SipRecord>> batches;  // [seq - 1]
  for (uint32_t seq = 1; seq <= 6; ++seq) batches.push_back(distinctRecords(20, 10000 + 100 * seq));
  auto p = std::make_unique<Pipeline>(o);
  std::this_thread::sleep_for(300ms);  // the writer's PUB connects to our SUB (slow joiner)
  for (uint64_t seq = 1; seq <= 3; ++seq) p->sendWithOrigin(batches[seq - 1], kSender, seq);
  REQUIRE(ackedUpTo(3));
  CHECK(server.count("sip_messages") == 60);  // acked only once committed

  REQUIRE(server.stop());
  for (uint64_t seq = 4; seq <= 6; ++seq) p->sendWithOrigin(batches[seq - 1], kSender, seq);
  // Durable in the spool: acked while the database is still down.
  REQUIRE(ackedUpTo(6));
  CHECK(p->metrics.spool.spool_rows.value() == 60);
  // A resend of batch 4 (its ack "came late"): every record a duplicate; acked, nothing stored twice.
  p->sendWithOrigin(batches[3], kSender, 4);
  REQUIRE(ackedUpTo(7));
  CHECK(acked == std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 4});
  CHECK(p->metrics.receiver.duplicates_dropped.value() == 20);

  // Stopped with the database down: returns promptly, the spool keeps what it has.
  const auto t = std::chrono::steady_clock::now();
  p->service.stop();
  CHECK(std::chrono::steady_clock::now() - t < 5s);
  CHECK(p->metrics.insert.rows_dropped_shutdown.value() == 0);
  p.reset();

  REQUIRE(server.start());
  Pipeline restarted(o);
  CHECK(test::waitFor([&] { return server.count("sip_messages") == 120; }, 30s));
  // The rows commit before the replay counter moves: wait for it rather than race it.
  CHECK(test::waitFor([&] { return restarted.metrics.spool.spool_replayed_rows.value() == 60; }, 5s));
  CHECK(test::waitFor([&] { return restarted.metrics.spool.spool_records.value() == 0; }, 5s));
  restarted.service.stop();
  CHECK(server.count("sip_messages") == 120);
  std::filesystem::remove_all(spool_dir);
}

TEST_CASE("Writer with a spool starts while the database is away and migrates once it answers",
          "[writer][service][outage][spool][startup][db]") {
  PrivateMariaDb server("spool_start");
  REQUIRE(server.stop());
  const std::filesystem::path spool_dir =
      std::filesystem::path(SIPVAULT_BINARY_DIR) / "test-spool" / ("service-start-" + std::to_string(getpid()));
  std::filesystem::remove_all(spool_dir);
  WriterOptions o = optionsFor(server.options());
  o.dedup = {};
  o.batch.flush = 50ms;
  o.spool_files.dir = spool_dir;
  o.spool.spool_after = 300ms;
  o.spool.probe_initial = 20ms;
  o.spool.probe_max = 200ms;
  const int ack_port = test::freeTcpPort();
  o.ack_output = "connect:tcp://127.0.0.1:" + std::to_string(ack_port);
  zmq::context_t ctx(1);
  AckSubscriber acks(ctx, {{true, "tcp://127.0.0.1:" + std::to_string(ack_port)}}, 42);
  std::vector<uint64_t> acked;

  Pipeline p(o);  // starts: no database, but a spool
  CHECK(p.metrics.insert.db_up.value() == 0);
  std::this_thread::sleep_for(300ms);
  for (uint64_t seq = 1; seq <= 3; ++seq) p.sendWithOrigin(distinctRecords(10, 20000 + 100 * seq), 42, seq);
  CHECK(test::waitFor([&] {
    (void)acks.receive(acked, 20ms);
    return acked.size() == 3;
  }, 20s));
  CHECK(p.metrics.spool.spool_rows.value() == 30);

  REQUIRE(server.start());
  CHECK(test::waitFor([&] { return server.count("sip_messages") == 30; }, 30s));
  CHECK(p.service.migrationReport().version_after >= 1);
  // Maintenance ran right after the migration: hourly partitions besides p_past and p_future.
  CHECK(test::waitFor([&] {
    return server.count("information_schema.PARTITIONS WHERE TABLE_SCHEMA = 'sipvault' AND "
                        "TABLE_NAME = 'sip_messages'") > 2;
  }, 20s));
  p.send(distinctRecords(5, 30000));
  CHECK(test::waitFor([&] { return server.count("sip_messages") == 35; }, 20s));
  p.service.stop();
  std::filesystem::remove_all(spool_dir);
}
