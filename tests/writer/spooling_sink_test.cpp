// The spool decorator against a fake database sink: when it spools, what it replays, in which order.
#include <catch2/catch.hpp>

#include <thread>

#include "tests/writer/spool_test_dir.h"
#include "writer/spooling_sink.h"

using namespace sipvault::writer;

using namespace sipvault;
using namespace sipvault::store;
using namespace std::chrono_literals;

namespace {

// A batch whose rows carry capture times first .. first+n-1 (the order is checked through them).
RowBatch rows(size_t n, uint64_t first) {
  RowBatch b;
  for (size_t i = 0; i < n; ++i) {
    SipMessageRow& r = b.messages.emplace_back();
    r.packet.capture_us = first + i;
    r.packet.raw = "INVITE sip:bob@example.com SIP/2.0\r\nCall-ID: " + std::to_string(first + i) + "\r\n\r\n";
    r.packet.raw_len = static_cast<uint32_t>(r.packet.raw.size());
  }
  return b;
}

// A database that is up or down; records the capture times it committed.
class FakeDatabase : public RowSink {
 public:
  SinkResult write(RowBatch& batch, std::string& error) override {
    ++attempts;
    if (refuse) {
      error = "refused";
      return SinkResult::Rejected;
    }
    if (down) {
      error = "database away";
      return SinkResult::RetryLater;
    }
    for (const auto& m : batch.messages) committed.push_back(m.packet.capture_us);
    return SinkResult::Written;
  }
  bool down = false;
  bool refuse = false;
  int attempts = 0;
  std::vector<uint64_t> committed;
};

std::vector<uint64_t> iota(uint64_t from, uint64_t to) {
  std::vector<uint64_t> v;
  for (uint64_t i = from; i < to; ++i) v.push_back(i);
  return v;
}

struct Harness {
  test::SpoolTestDir dir{"sink"};
  MetricsRegistry registry;
  WriterMetrics metrics{registry};
  FakeDatabase db;
  SpoolPolicy policy;
  std::unique_ptr<SpoolingSink> sink;

  explicit Harness(std::chrono::milliseconds spool_after = 0ms, uint64_t max_bytes = 1ull << 30) {
    policy.spool_after = spool_after;
    policy.probe_initial = 1ms;
    policy.probe_max = 1ms;
    open(max_bytes);
  }
  void open(uint64_t max_bytes = 1ull << 30) {
    sink.reset();
    std::string error;
    auto spool = RowSpool::open({dir.path(), max_bytes, 64 * 1024, 0ms}, error);
    REQUIRE(spool);
    sink = std::make_unique<SpoolingSink>(db, std::move(spool), policy, metrics.spool, metrics.insert,
                                          Log::get("test"));
  }
  SinkResult write(RowBatch b) {
    std::string error;
    return sink->write(b, error);
  }
  // What the BatchWriter does: retry until written.
  void writeUntilDone(RowBatch b) {
    for (int i = 0; i < 1000 && write(b) != SinkResult::Written; ++i) std::this_thread::sleep_for(1ms);
  }
};

}  // namespace

TEST_CASE("Spooling sink writes straight to the database while it answers", "[writer][spool][sink]") {
  Harness h;
  CHECK(h.write(rows(10, 0)) == SinkResult::Written);
  CHECK(h.db.committed == iota(0, 10));
  CHECK(h.sink->spool().empty());
  CHECK(h.metrics.spool.spool_batches.value() == 0);
}

TEST_CASE("Spooling sink answers RetryLater until spool_after, then spools and answers Written",
          "[writer][spool][sink]") {
  Harness h(300ms);
  h.db.down = true;
  const auto start = std::chrono::steady_clock::now();
  CHECK(h.write(rows(10, 0)) == SinkResult::RetryLater);
  std::this_thread::sleep_for(100ms);
  CHECK(h.write(rows(10, 0)) == SinkResult::RetryLater);
  h.writeUntilDone(rows(10, 0));
  CHECK(std::chrono::steady_clock::now() - start >= 300ms);
  CHECK(h.sink->spool().records() == 1);
  CHECK(h.metrics.spool.spool_batches.value() == 1);
  CHECK(h.metrics.spool.spool_rows.value() == 10);
  CHECK(h.metrics.spool.spool_records.value() == 1);
  CHECK(h.metrics.spool.spool_bytes.value() > 0);
  // The database is only probed now: the next batch goes behind the first without waiting.
  CHECK(h.write(rows(10, 10)) == SinkResult::Written);
  CHECK(h.sink->spool().records() == 2);
}

TEST_CASE("Spooling sink replays in order, older batches before newer ones, once the database is back",
          "[writer][spool][sink]") {
  Harness h;
  h.db.down = true;
  for (uint64_t b = 0; b < 5; ++b) h.writeUntilDone(rows(100, b * 100));
  CHECK(h.sink->spool().records() == 5);
  CHECK(h.db.committed.empty());
  h.db.down = false;
  std::this_thread::sleep_for(5ms);              // past the probe backoff
  CHECK(h.write(rows(100, 500)) == SinkResult::Written);
  CHECK(h.db.committed == iota(0, 600));         // the spool first, then the new batch
  CHECK(h.sink->spool().empty());
  CHECK(h.metrics.spool.spool_replayed_batches.value() == 5);
  CHECK(h.metrics.spool.spool_replayed_rows.value() == 500);
  CHECK(h.metrics.spool.spool_records.value() == 0);
  CHECK(h.metrics.spool.spool_bytes.value() == 0);
}

TEST_CASE("Spooling sink replays while idle", "[writer][spool][sink]") {
  Harness h;
  h.db.down = true;
  h.writeUntilDone(rows(10, 0));
  h.sink->idle();
  CHECK(h.db.committed.empty());
  h.db.down = false;
  std::this_thread::sleep_for(5ms);
  h.sink->idle();
  CHECK(h.db.committed == iota(0, 10));
}

TEST_CASE("A restarted writer replays the spool it left before anything newer", "[writer][spool][sink]") {
  Harness h;
  h.db.down = true;
  for (uint64_t b = 0; b < 3; ++b) h.writeUntilDone(rows(50, b * 50));
  h.open();  // a new process: the spool is recovered from disk
  CHECK(h.sink->spool().records() == 3);
  CHECK(h.metrics.spool.spool_records.value() == 3);
  h.db.down = false;
  CHECK(h.write(rows(50, 150)) == SinkResult::Written);
  CHECK(h.db.committed == iota(0, 200));
}

TEST_CASE("Spooling sink with a full spool answers RetryLater and keeps nothing half", "[writer][spool][sink][bound]") {
  Harness h(0ms, 16 * 1024);
  h.db.down = true;
  uint64_t next = 0;
  int written = 0;
  while (written < 1000 && h.write(rows(20, next)) == SinkResult::Written) {
    next += 20;
    ++written;
  }
  REQUIRE(written < 1000);
  CHECK(h.metrics.spool.spool_full.value() == 1);
  CHECK(h.write(rows(20, next)) == SinkResult::RetryLater);  // still full: the caller keeps the batch
  h.db.down = false;
  std::this_thread::sleep_for(5ms);
  h.writeUntilDone(rows(20, next));
  h.sink->idle();
  CHECK(h.db.committed == iota(0, next + 20));  // everything, once, in order
}

TEST_CASE("A spooled batch the database refuses as data is dropped after the attempts, counted",
          "[writer][spool][sink]") {
  Harness h;
  h.db.down = true;
  h.writeUntilDone(rows(7, 0));
  h.writeUntilDone(rows(3, 7));
  h.db.down = false;
  h.db.refuse = true;
  for (int i = 0; i < 10 && h.metrics.insert.rows_dropped_rejected.value() == 0; ++i) {
    std::this_thread::sleep_for(2ms);
    h.sink->idle();
  }
  CHECK(h.metrics.insert.rows_dropped_rejected.value() == 7);
  h.db.refuse = false;
  std::this_thread::sleep_for(2ms);
  h.sink->idle();
  CHECK(h.db.committed == iota(7, 10));
}
