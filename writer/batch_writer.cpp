#include "writer/batch_writer.h"

#include <algorithm>

namespace sipvault::writer {

using namespace sipvault::store;
namespace {

using Clock = std::chrono::steady_clock;

int64_t nowNs() { return Clock::now().time_since_epoch().count(); }

}  // namespace

BatchWriter::BatchWriter(RowQueue& queue, RowSink& sink, BatchPolicy policy, InsertMetrics& metrics,
                         Gauge& queue_rows, Log log, DurableListener on_durable)
    : queue_(queue),
      sink_(sink),
      policy_(policy),
      metrics_(metrics),
      queue_rows_(queue_rows),
      log_(log),
      on_durable_(std::move(on_durable)) {}

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
  std::vector<BatchRef> pending_acks;  // acked once `pending` is durable
  Clock::time_point first_at{};
  bool sink_busy = false;  // the sink has background work it can do now: do not wait for batches
  while (true) {
    const auto idle_wait = sink_busy ? std::chrono::milliseconds(0) : std::chrono::milliseconds(100);
    const auto deadline = pending.empty() ? Clock::now() + idle_wait : first_at + policy_.flush;
    std::optional<QueuedBatch> got = queue_.pop(deadline);
    queue_rows_.set(static_cast<int64_t>(queue_.rows()));
    if (got) {
      if (got->rows.empty()) {
        // No rows: durable as soon as what came before is.
        if (pending.empty()) {
          durable(got->acks);
        } else {
          pending_acks.insert(pending_acks.end(), got->acks.begin(), got->acks.end());
        }
      } else {
        if (pending.empty()) first_at = Clock::now();
        pending.append(std::move(got->rows));
        pending_acks.insert(pending_acks.end(), got->acks.begin(), got->acks.end());
      }
    }
    const bool finishing = !got && queue_.closed();
    if (!pending.empty() &&
        (pending.size() >= policy_.batch_rows || Clock::now() >= first_at + policy_.flush || finishing)) {
      if (flush(pending) != FlushOutcome::Abandoned) durable(pending_acks);
      pending.clear();
      pending_acks.clear();
    }
    sink_busy = !got && pending.empty() && !finishing && sink_.idle();
    if (finishing && pending.empty() && queue_.rows() == 0) break;
  }
}

void BatchWriter::durable(std::vector<BatchRef>& acks) {
  // After the drain gave up, even a batch without rows stays unacked: its records may have been
  // duplicates of rows that were just dropped.
  if (!acks.empty() && on_durable_ && !abandon_) on_durable_(acks);
  acks.clear();
}

BatchWriter::FlushOutcome BatchWriter::flush(RowBatch& pending) {
  const size_t rows = pending.size();
  auto backoff = policy_.retry_initial;
  int rejected = 0;
  for (int attempt = 0;; ++attempt) {
    if (abandon_) {
      metrics_.rows_dropped_shutdown.inc(rows);
      return FlushOutcome::Abandoned;
    }
    if (attempt > 0) metrics_.insert_retries.inc();
    std::string error;
    const SinkResult result = sink_.write(pending, error);
    if (result == SinkResult::Written) {
      // "durable": committed, or taken by the spool (which logs that itself).
      if (attempt > 0) log_.info("batch_durable_after_retries", {{"rows", rows}, {"attempts", attempt + 1}});
      return FlushOutcome::Written;
    }
    if (result == SinkResult::Rejected && ++rejected >= policy_.rejected_attempts) {
      log_.error("batch_dropped", {{"reason", "db_rejected"}, {"rows", rows}, {"error", error}});
      metrics_.rows_dropped_rejected.inc(rows);
      return FlushOutcome::Refused;
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
      return FlushOutcome::Abandoned;
    }
    backoff = std::min(backoff * 2, policy_.retry_max);
  }
}

}  // namespace sipvault::writer
