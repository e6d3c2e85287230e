#include "writer/batch_writer.h"

#include <algorithm>

namespace sipvault {
namespace {

using Clock = std::chrono::steady_clock;

int64_t nowNs() { return Clock::now().time_since_epoch().count(); }

}  // namespace

BatchWriter::BatchWriter(RowQueue& queue, RowSink& sink, BatchPolicy policy, WriterMetrics& metrics, Log log)
    : queue_(queue), sink_(sink), policy_(policy), metrics_(metrics), log_(log) {}

BatchWriter::~BatchWriter() {
  if (thread_.joinable()) {
    queue_.close();
    beginDrain();
    thread_.join();
  }
}

void BatchWriter::start() { thread_ = std::thread([this] { run(); }); }

void BatchWriter::beginDrain() {
  int64_t expected = 0;
  const int64_t deadline = nowNs() + std::chrono::duration_cast<Clock::duration>(policy_.drain_timeout).count();
  drain_deadline_ns_.compare_exchange_strong(expected, deadline);
}

void BatchWriter::join() {
  if (thread_.joinable()) thread_.join();
}

bool BatchWriter::drainExpired() const {
  const int64_t d = drain_deadline_ns_.load();
  return d != 0 && nowNs() >= d;
}

void BatchWriter::run() {
  RowBatch pending;
  Clock::time_point first_at{};
  while (true) {
    const auto deadline = pending.empty() ? Clock::now() + std::chrono::milliseconds(100) : first_at + policy_.flush;
    std::optional<RowBatch> got = queue_.pop(deadline);
    metrics_.queue_rows.set(static_cast<int64_t>(queue_.rows()));
    if (got) {
      if (pending.empty()) first_at = Clock::now();
      pending.append(std::move(*got));
    }
    const bool finishing = !got && queue_.closed();
    if (!pending.empty() &&
        (pending.size() >= policy_.batch_rows || Clock::now() >= first_at + policy_.flush || finishing)) {
      flush(pending);
      pending.clear();
    }
    if (finishing && pending.empty() && queue_.rows() == 0) break;
  }
}

void BatchWriter::flush(RowBatch& pending) {
  const size_t rows = pending.size();
  auto backoff = policy_.retry_initial;
  int rejected = 0;
  for (int attempt = 0;; ++attempt) {
    if (abandon_) {
      metrics_.rows_dropped_shutdown.inc(rows);
      return;
    }
    if (attempt > 0) metrics_.insert_retries.inc();
    std::string error;
    const SinkResult result = sink_.write(pending, error);
    if (result == SinkResult::Written) {
      if (attempt > 0) log_.info("insert_recovered", {{"rows", rows}, {"attempts", attempt + 1}});
      return;
    }
    if (result == SinkResult::Rejected && ++rejected >= policy_.rejected_attempts) {
      log_.error("batch_dropped", {{"reason", "db_rejected"}, {"rows", rows}, {"error", error}});
      metrics_.rows_dropped_rejected.inc(rows);
      return;
    }
    uint64_t suppressed = 0;
    if (retry_log_.allow(suppressed))
      log_.warn("insert_failed", {{"error", error},
                                  {"rows", rows},
                                  {"attempt", attempt + 1},
                                  {"retry_in_ms", backoff.count()},
                                  {"queued_rows", queue_.rows()},
                                  {"suppressed", suppressed}});
    // Sleep in slices so that a drain deadline is noticed promptly.
    const auto wake = Clock::now() + backoff;
    while (Clock::now() < wake && !drainExpired())
      std::this_thread::sleep_for(std::min<Clock::duration>(wake - Clock::now(), std::chrono::milliseconds(50)));
    if (drainExpired()) {
      abandon_ = true;
      log_.error("batch_dropped", {{"reason", "shutdown_db_down"},
                                   {"rows", rows},
                                   {"queued_rows", queue_.rows()},
                                   {"error", error},
                                   {"fix", "the database stayed unreachable for writer.drain_timeout_s"}});
      metrics_.rows_dropped_shutdown.inc(rows);
      return;
    }
    backoff = std::min(backoff * 2, policy_.retry_max);
  }
}

}  // namespace sipvault
