#pragma once
// Where the DB thread sends a flushed RowBatch. DbSink is the real one (MariaDB); tests use a
// recording fake. The outage spool (a later issue) fits here as a decorator: a sink that, when
// its inner DbSink answers RetryLater for long enough, appends the batch to disk, reports Written,
// and replays the spool once the database is back.
#include <memory>
#include <string>

#include "common/log.h"
#include "writer/db_connection.h"
#include "writer/row_inserter.h"
#include "writer/stored_rows.h"
#include "writer/writer_metrics.h"

namespace sipvault {

enum class SinkResult {
  Written,     // committed; the batch can be released
  RetryLater,  // not written (database away, timeout, lock...): keep it and try again
  Rejected,    // the database refused the data itself; retrying the same rows will not help
};

class RowSink {
 public:
  virtual ~RowSink() = default;
  // Writes the whole batch or nothing. `error` describes a failure.
  [[nodiscard]] virtual SinkResult write(const RowBatch& batch, std::string& error) = 0;
};

// Inserts through one DbConnection, (re)connecting lazily. Used by one thread.
class DbSink : public RowSink {
 public:
  DbSink(DbOptions db, InsertMethod method, WriterMetrics& metrics);
  ~DbSink() override;
  [[nodiscard]] SinkResult write(const RowBatch& batch, std::string& error) override;

 private:
  DbOptions db_options_;
  RowInserter inserter_;
  WriterMetrics& metrics_;
  std::unique_ptr<DbConnection> db_;
};

}  // namespace sipvault
