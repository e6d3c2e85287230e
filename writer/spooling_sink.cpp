#include "writer/spooling_sink.h"

#include <algorithm>

#include "writer/row_batch_codec.h"

namespace sipvault::writer {

using namespace sipvault::store;

SpoolingSink::SpoolingSink(RowSink& inner, std::unique_ptr<RowSpool> spool, SpoolPolicy policy,
                           SpoolMetrics& metrics, InsertMetrics& insert, Log log)
    : inner_(inner),
      spool_(std::move(spool)),
      policy_(policy),
      metrics_(metrics),
      insert_(insert),
      log_(log),
      probe_backoff_(policy.probe_initial) {
  updateMetrics();
}

SpoolingSink::~SpoolingSink() {
  std::string error;
  if (!spool_->sync(error)) log_.error("spool_sync_failed", {{"error", error}});
}

SinkResult SpoolingSink::write(RowBatch& batch, std::string& error) {
  if (!spool_->empty()) {
    replay(Clock::now() + policy_.replay_slice);
    if (!spool_->empty()) return append(batch, error);  // behind the older batches
  }
  const SinkResult result = inner_.write(batch, error);
  if (result == SinkResult::Written) outage_since_.reset();
  if (result != SinkResult::RetryLater) return result;
  const auto now = Clock::now();
  if (!outage_since_) outage_since_ = now;
  if (now - *outage_since_ < policy_.spool_after) return SinkResult::RetryLater;
  const std::string db_error = error;
  const SinkResult spooled = append(batch, error);
  if (spooled == SinkResult::Written) {
    if (spool_->records() == 1) {
      replayed_since_spooling_ = 0;
      log_.warn("spooling", {{"why", db_error},
                             {"since_ms", std::chrono::duration_cast<std::chrono::milliseconds>(now - *outage_since_).count()},
                             {"dir", spool_->options().dir.string()}});
    }
    probeLater(db_error);
  }
  return spooled;
}

bool SpoolingSink::idle() {
  if (!spool_->empty()) replay(Clock::now() + policy_.replay_slice);
  std::string error;
  if (!spool_->syncIfDue(error)) {
    metrics_.spool_errors.inc();
    log_.error("spool_sync_failed", {{"error", error}});
  }
  return !spool_->empty() && Clock::now() >= next_probe_;
}

SinkResult SpoolingSink::append(const RowBatch& batch, std::string& error) {
  encoded_.clear();
  encodeRowBatch(batch, encoded_);
  std::string spool_error;
  const RowSpool::AppendResult r = spool_->append(encoded_, spool_error);
  uint64_t suppressed = 0;
  switch (r) {
    case RowSpool::AppendResult::Appended:
      metrics_.spool_batches.inc();
      metrics_.spool_rows.inc(batch.size());
      metrics_.spool_appended_bytes.inc(encoded_.size());
      updateMetrics();
      return SinkResult::Written;
    case RowSpool::AppendResult::Full:
      metrics_.spool_full.inc();
      error = "spool full (" + std::to_string(spool_->bytes()) + " bytes, writer.spool_max_mb)";
      if (log_limit_.allow(suppressed))
        log_.error("spool_full", {{"bytes", spool_->bytes()},
                                  {"records", spool_->records()},
                                  {"effect", "backpressure: batches wait in memory, upstream slows"},
                                  {"suppressed", suppressed}});
      break;
    case RowSpool::AppendResult::IoError:
      metrics_.spool_errors.inc();
      error = "spool: " + spool_error;
      if (log_limit_.allow(suppressed)) log_.error("spool_append_failed", {{"error", spool_error}, {"suppressed", suppressed}});
      break;
  }
  return SinkResult::RetryLater;
}

void SpoolingSink::probeLater(const std::string& error) {
  next_probe_ = Clock::now() + probe_backoff_;
  probe_backoff_ = std::min(probe_backoff_ * 2, policy_.probe_max);
  uint64_t suppressed = 0;
  if (log_limit_.allow(suppressed))
    log_.warn("spool_replay_waiting", {{"error", error},
                                       {"records", spool_->records()},
                                       {"bytes", spool_->bytes()},
                                       {"suppressed", suppressed}});
}

void SpoolingSink::replay(Clock::time_point until) {
  while (!spool_->empty() && Clock::now() < until && Clock::now() >= next_probe_) {
    std::string error;
    const RowSpool::ReadResult read = spool_->front(record_, error);
    if (read == RowSpool::ReadResult::Empty) break;
    if (read == RowSpool::ReadResult::IoError) {
      metrics_.spool_errors.inc();
      probeLater(error);
      break;
    }
    if (!decodeRowBatch(record_, replay_batch_)) {
      // The CRC held, so the bytes are what was written; a record this build cannot read.
      metrics_.spool_corrupt_records.inc();
      log_.error("spool_record_unreadable", {{"bytes", record_.size()}, {"effect", "skipped"}});
      (void)spool_->pop(error);
      continue;
    }
    const SinkResult result = inner_.write(replay_batch_, error);
    if (result == SinkResult::RetryLater) {
      probeLater(error);
      break;
    }
    if (result == SinkResult::Rejected && ++rejected_ < policy_.rejected_attempts) {
      probeLater(error);
      break;
    }
    if (result == SinkResult::Rejected) {
      log_.error("batch_dropped", {{"reason", "db_rejected"}, {"rows", replay_batch_.size()}, {"from", "spool"}, {"error", error}});
      insert_.rows_dropped_rejected.inc(replay_batch_.size());
    } else {
      metrics_.spool_replayed_batches.inc();
      metrics_.spool_replayed_rows.inc(replay_batch_.size());
      replayed_since_spooling_ += replay_batch_.size();
    }
    rejected_ = 0;
    probe_backoff_ = policy_.probe_initial;
    outage_since_.reset();
    std::string cursor_error;
    if (!spool_->pop(cursor_error)) {
      metrics_.spool_errors.inc();
      log_.error("spool_cursor_failed", {{"error", cursor_error}, {"risk", "batches replayed twice after a restart"}});
    }
    if (spool_->empty()) log_.info("spool_replayed", {{"rows", replayed_since_spooling_}});
  }
  updateMetrics();
}

void SpoolingSink::updateMetrics() {
  metrics_.spool_bytes.set(static_cast<int64_t>(spool_->bytes()));
  metrics_.spool_records.set(static_cast<int64_t>(spool_->records()));
  // The spool counts damage it skipped; the metrics get the difference since the last look.
  metrics_.spool_corrupt_records.inc(spool_->corruptRecords() - corrupt_records_seen_);
  metrics_.spool_corrupt_bytes.inc(spool_->corruptBytes() - corrupt_bytes_seen_);
  corrupt_records_seen_ = spool_->corruptRecords();
  corrupt_bytes_seen_ = spool_->corruptBytes();
}

}  // namespace sipvault::writer
