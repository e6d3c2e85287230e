#pragma once
// Where the DB thread sends a flushed RowBatch. DbSink is the real one (MariaDB); tests use a
// recording fake. SpoolingSink (spooling_sink.h) decorates a DbSink with the outage spool.
#include <functional>
#include <memory>
#include <string>

#include "common/log.h"
#include "store/db_connection.h"
#include "store/stored_rows.h"
#include "writer/row_inserter.h"
#include "writer/writer_metrics.h"

namespace sipvault::writer {

enum class SinkResult {
  Written,     // durable (committed, or appended to the spool); the batch can be released and acked
  RetryLater,  // not written (database away, timeout, lock...): keep it and try again
  Rejected,    // the database refused the data itself; retrying the same rows will not help
};

class RowSink {
 public:
  virtual ~RowSink() = default;
  // Writes the whole batch or nothing. `error` describes a failure.
  [[nodiscard]] virtual SinkResult write(store::RowBatch& batch, std::string& error) = 0;
  // Called by the DB thread when it has nothing to write: time for background work such as
  // replaying the spool. True when there is more to do right away (call again without waiting).
  virtual bool idle() { return false; }
};

// Runs on a new session before its first insert, until it has succeeded once: the schema
// migration of a writer that started (with a spool) while the database was away. It may change
// the insert method (LOAD DATA turned off on the server). False with `error` -> RetryLater.
using SessionPreparer =
    std::function<bool(store::DbConnection& db, InsertMethod& method, std::string& error)>;

// Inserts through one DbConnection, (re)connecting lazily. Used by one thread.
class DbSink : public RowSink {
 public:
  // `max_agents_per_minute`: writer.stats_max_agents_per_minute (minute_stats.h).
  DbSink(store::DbOptions db, InsertMethod method, InsertMetrics& metrics, SessionPreparer prepare = {},
         uint16_t shard_id = 0, size_t max_agents_per_minute = kDefaultMaxAgentsPerMinute);
  ~DbSink() override;
  [[nodiscard]] SinkResult write(store::RowBatch& batch, std::string& error) override;

 private:
  store::DbOptions db_options_;
  uint16_t shard_id_;
  size_t max_agents_per_minute_;
  std::unique_ptr<RowInserter> inserter_;
  InsertMetrics& metrics_;
  SessionPreparer prepare_;  // empty once it has succeeded
  std::unique_ptr<store::DbConnection> db_;
};

}  // namespace sipvault::writer
