#include <catch2/catch.hpp>

#include <deque>
#include <mutex>
#include <thread>

#include "tests/writer/writer_test_util.h"
#include "writer/batch_writer.h"

using namespace sipvault::writer;

using namespace sipvault;
using namespace sipvault::store;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

RowBatch rows(size_t n, uint64_t first_capture_us = 0) {
  RowBatch b;
  for (size_t i = 0; i < n; ++i) b.messages.emplace_back().packet.capture_us = first_capture_us + i;
  return b;
}

// Records what reaches the sink; answers from a script (then Written).
class FakeSink : public RowSink {
 public:
  SinkResult write(RowBatch& batch, std::string& error) override {
    std::lock_guard lock(mu_);
    ++attempts_;
    if (!script_.empty()) {
      const SinkResult r = script_.front();
      script_.pop_front();
      if (r != SinkResult::Written) {
        error = "scripted failure";
        return r;
      }
    } else if (always_fail_) {
      error = "database away";
      return SinkResult::RetryLater;
    }
    written_.push_back({batch.size(), Clock::now()});
    for (const auto& m : batch.messages) captures_.push_back(m.packet.capture_us);
    return SinkResult::Written;
  }
  void script(std::initializer_list<SinkResult> r) {
    std::lock_guard lock(mu_);
    script_.assign(r);
  }
  void alwaysFail() { always_fail_ = true; }
  struct Write {
    size_t rows;
    Clock::time_point at;
  };
  std::vector<Write> writes() {
    std::lock_guard lock(mu_);
    return written_;
  }
  std::vector<uint64_t> captures() {
    std::lock_guard lock(mu_);
    return captures_;
  }
  int attempts() {
    std::lock_guard lock(mu_);
    return attempts_;
  }

 private:
  std::mutex mu_;
  std::deque<SinkResult> script_;
  std::atomic<bool> always_fail_{false};
  std::vector<Write> written_;
  std::vector<uint64_t> captures_;
  int attempts_ = 0;
};

struct Harness {
  MetricsRegistry registry;
  WriterMetrics metrics{registry};
  RowQueue queue{100000};
  FakeSink sink;
  std::unique_ptr<BatchWriter> writer;
  struct Ack {
    uint64_t sequence;
    size_t rows_written_before;  // what the sink had written when the ack was given
  };
  std::mutex acks_mu;
  std::vector<Ack> acks;

  explicit Harness(BatchPolicy policy) {
    writer = std::make_unique<BatchWriter>(queue, sink, policy, metrics.insert, metrics.receiver.queue_rows,
                                           Log::get("test"), [this](std::span<const BatchRef> refs) {
                                             std::lock_guard lock(acks_mu);
                                             for (const BatchRef& r : refs)
                                               acks.push_back({r.sequence, sink.captures().size()});
                                           });
    writer->start();
  }
  void push(QueuedBatch b) {
    bool waited = false;
    REQUIRE(queue.push(std::move(b), waited));
  }
  std::vector<Ack> acked() {
    std::lock_guard lock(acks_mu);
    return acks;
  }
  std::vector<uint64_t> ackedSequences() {
    std::vector<uint64_t> out;
    for (const Ack& a : acked()) out.push_back(a.sequence);
    return out;
  }
  void finish() {
    writer->beginDrain();
    queue.close();
    writer->join();
  }
};

BatchPolicy policy(size_t batch_rows, std::chrono::milliseconds flush) {
  BatchPolicy p;
  p.batch_rows = batch_rows;
  p.flush = flush;
  p.retry_initial = 10ms;
  p.retry_max = 40ms;
  p.drain_timeout = 5s;
  return p;
}

}  // namespace

TEST_CASE("Batch writer writes a batch as soon as it holds batch_rows rows", "[writer][batching]") {
  Harness h(policy(100, 60s));
  for (int i = 0; i < 5; ++i) h.push(rows(50, i * 50));
  // Two full batches must go out long before the 60 s flush time.
  const auto deadline = Clock::now() + 5s;
  while (h.sink.writes().size() < 2 && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  auto writes = h.sink.writes();
  REQUIRE(writes.size() == 2);
  CHECK(writes[0].rows == 100);
  CHECK(writes[1].rows == 100);
  h.finish();  // the last 50 rows are written by the drain
  writes = h.sink.writes();
  REQUIRE(writes.size() == 3);
  CHECK(writes[2].rows == 50);
  auto caps = h.sink.captures();
  REQUIRE(caps.size() == 250);
  for (size_t i = 0; i < caps.size(); ++i) CHECK(caps[i] == i);  // in order, none twice
}

TEST_CASE("Batch writer writes a partial batch flush_ms after its first row", "[writer][batching]") {
  Harness h(policy(1000, 300ms));
  const auto pushed_at = Clock::now();
  h.push(rows(10));
  std::this_thread::sleep_for(100ms);
  CHECK(h.sink.writes().empty());  // not yet: neither full nor due
  const auto deadline = Clock::now() + 5s;
  while (h.sink.writes().empty() && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  const auto writes = h.sink.writes();
  REQUIRE(writes.size() == 1);
  CHECK(writes[0].rows == 10);
  CHECK(writes[0].at - pushed_at >= 300ms);
  CHECK(writes[0].at - pushed_at < 2s);
  h.finish();
}

TEST_CASE("Batch writer retries a batch the sink could not write, and loses nothing", "[writer][batching][retry]") {
  Harness h(policy(10, 20ms));
  h.sink.script({SinkResult::RetryLater, SinkResult::RetryLater, SinkResult::RetryLater});
  h.push(rows(10));
  h.push(rows(10, 10));
  h.finish();
  CHECK(h.sink.attempts() == 5);  // 3 failures, then both batches
  CHECK(h.sink.captures().size() == 20);
  CHECK(h.metrics.insert.insert_retries.value() == 3);
  CHECK(h.metrics.insert.rows_dropped_rejected.value() == 0);
  CHECK(h.metrics.insert.rows_dropped_shutdown.value() == 0);
}

TEST_CASE("Batch writer drops a batch the database refuses as data, loudly and counted", "[writer][batching][retry]") {
  Harness h(policy(10, 20ms));
  h.sink.script({SinkResult::Rejected, SinkResult::Rejected, SinkResult::Rejected});
  h.push(rows(10));
  h.push(rows(7, 100));
  h.finish();
  CHECK(h.metrics.insert.rows_dropped_rejected.value() == 10);
  CHECK(h.sink.captures().size() == 7);  // the next batch goes through
}

TEST_CASE("Batch writer gives up at the drain timeout when the sink stays down, counting the rest",
          "[writer][batching][retry]") {
  BatchPolicy p = policy(10, 20ms);
  p.drain_timeout = 300ms;
  Harness h(p);
  h.sink.alwaysFail();
  h.push(rows(10));
  h.push(rows(10));
  h.push(rows(5));
  std::this_thread::sleep_for(100ms);
  const auto t = Clock::now();
  h.finish();
  CHECK(Clock::now() - t < 3s);
  CHECK(h.sink.captures().empty());
  CHECK(h.metrics.insert.rows_dropped_shutdown.value() == 25);
}

TEST_CASE("Batch writer acks a batch only once the insert batch holding its rows is written",
          "[writer][batching][acks]") {
  Harness h(policy(10, 20ms));
  h.sink.script({SinkResult::RetryLater, SinkResult::RetryLater});
  h.push(QueuedBatch(rows(10, 0), {{7, 1}}));
  h.push(QueuedBatch(rows(10, 10), {{7, 2}, {8, 1}}));
  h.finish();
  const auto acks = h.acked();
  REQUIRE(acks.size() == 3);
  CHECK(acks[0].sequence == 1);
  CHECK(acks[0].rows_written_before >= 10);  // after its rows, never before
  CHECK(acks[1].sequence == 2);
  CHECK(acks[1].rows_written_before == 20);
  CHECK(acks[2].sequence == 1);
  CHECK(h.metrics.insert.insert_retries.value() == 2);
}

TEST_CASE("Batch writer acks a batch without rows with the insert batch pending when it came, or at once",
          "[writer][batching][acks]") {
  Harness h(policy(1000, 60s));  // nothing flushes by size or time during the test
  h.push(QueuedBatch(RowBatch{}, {{1, 1}}));  // nothing pending: acked at once
  REQUIRE(test::waitFor([&] { return h.acked().size() == 1; }, 5s));
  CHECK(h.acked()[0].rows_written_before == 0);
  h.push(QueuedBatch(rows(10, 0), {{1, 2}}));
  h.push(QueuedBatch(RowBatch{}, {{1, 3}}));  // all its records were duplicates: behind sequence 2
  std::this_thread::sleep_for(200ms);
  CHECK(h.acked().size() == 1);  // 2 and 3 wait for the insert batch
  h.finish();
  CHECK(h.ackedSequences() == std::vector<uint64_t>{1, 2, 3});
  CHECK(h.acked()[2].rows_written_before == 10);
}

TEST_CASE("Batch writer acks batches the database refused as data, but not rows dropped at the drain timeout",
          "[writer][batching][acks]") {
  {
    Harness h(policy(10, 20ms));
    h.sink.script({SinkResult::Rejected, SinkResult::Rejected, SinkResult::Rejected});
    h.push(QueuedBatch(rows(10, 0), {{1, 1}}));
    h.finish();
    CHECK(h.metrics.insert.rows_dropped_rejected.value() == 10);
    CHECK(h.ackedSequences() == std::vector<uint64_t>{1});  // resending cannot help
  }
  {
    BatchPolicy p = policy(10, 20ms);
    p.drain_timeout = 200ms;
    Harness h(p);
    h.sink.alwaysFail();
    h.push(QueuedBatch(rows(10, 0), {{1, 1}}));
    h.push(QueuedBatch(RowBatch{}, {{1, 2}}));
    h.finish();
    CHECK(h.metrics.insert.rows_dropped_shutdown.value() == 10);
    CHECK(h.acked().empty());  // the collector resends them to a writer that works
  }
}
