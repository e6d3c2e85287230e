#include "writer/row_sink.h"

#include <chrono>

namespace sipvault::writer {

using namespace sipvault::store;

DbSink::DbSink(DbOptions db, InsertMethod method, InsertMetrics& metrics, SessionPreparer prepare,
               uint16_t shard_id, size_t max_agents_per_minute)
    : db_options_(std::move(db)),
      shard_id_(shard_id),
      max_agents_per_minute_(max_agents_per_minute),
      inserter_(std::make_unique<RowInserter>(method, shard_id, max_agents_per_minute)),
      metrics_(metrics),
      prepare_(std::move(prepare)) {}

DbSink::~DbSink() = default;

SinkResult DbSink::write(RowBatch& batch, std::string& error) {
  DbError db_error;
  if (!db_) {
    db_ = DbConnection::open(db_options_, db_error);
    if (!db_) {
      metrics_.db_up.set(0);
      error = "connect " + db_options_.describe() + ": " + db_error.describe();
      return SinkResult::RetryLater;
    }
    metrics_.db_reconnects.inc();
    if (prepare_) {
      InsertMethod method = inserter_->method();
      if (!prepare_(*db_, method, error)) {
        db_.reset();
        metrics_.db_up.set(0);
        return SinkResult::RetryLater;
      }
      prepare_ = nullptr;
      if (method != inserter_->method())
        inserter_ = std::make_unique<RowInserter>(method, shard_id_, max_agents_per_minute_);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  uint64_t skipped = 0;
  const uint64_t folded_before = inserter_->agentsFolded();
  if (!inserter_->insert(*db_, batch, db_error, skipped)) {
    metrics_.insert_errors.inc();
    error = db_error.describe();
    if (db_error.dataRejected()) return SinkResult::Rejected;
    // Any other failure may have left the session in an unknown state: start a fresh one.
    db_.reset();
    metrics_.db_up.set(0);
    return SinkResult::RetryLater;
  }
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  metrics_.db_up.set(1);
  metrics_.insert_batches.inc();
  metrics_.insert_latency_us.inc(static_cast<uint64_t>(us));
  metrics_.insert_latency_last_us.set(us);
  if (us > metrics_.insert_latency_max_us.value()) metrics_.insert_latency_max_us.set(us);
  metrics_.rows_sip.inc(batch.messages.size());
  metrics_.rows_rejects.inc(batch.rejects.size());
  metrics_.rows_other.inc(batch.others.size());
  metrics_.rows_qos.inc(batch.qos.size());
  metrics_.rows_skipped.inc(skipped);
  metrics_.stats_agents_folded.inc(inserter_->agentsFolded() - folded_before);
  return SinkResult::Written;
}

}  // namespace sipvault::writer
