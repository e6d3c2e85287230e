#pragma once
// Writes a RowBatch into its tables (the messages' custom header values into sip_headers, the
// call-quality reports into sip_qos) in one transaction, after giving every row its id
// (store/row_ids.h: blocks from the database, so any number of writers can insert side by side),
// and adds its summaries to sip_summaries, its messages' per-minute counts to sip_minute_stats
// and per-hour ones to sip_hour_stats (minute_stats.h) and their call keys to sip_call_keys
// (call_key_index.h) in the same transaction.
//
// Three ways, chosen by InsertMethod (bench/writer_bench.cpp measures them):
//   Bulk            (default) one prepared INSERT per table, executed with array binding: the rows
//                   travel as binary values in one round trip per ~4 MB and the server parses no
//                   text. MariaDB only: on MySQL the writer falls back to MultiRowInsert.
//   LoadData        LOAD DATA LOCAL INFILE per table. Connector/C++ has no hook for an in-memory
//                   stream, so the rows are written as tab-separated text to a memfd (an anonymous
//                   in-memory file) whose /proc/self/fd path the client library then reads. No disk.
//                   Falls back to MultiRowInsert where memfd_create is missing.
//   MultiRowInsert  INSERT INTO t (...) VALUES (...),(...),... statements of up to ~4 MB each.
// All are all-or-nothing per call: START TRANSACTION ... COMMIT, rolled back on error, so a
// failed batch can be retried as it is. (A connection lost during COMMIT leaves it unknown whether
// the batch landed: a retry may then store it twice. At-least-once, never lost.)
//
// Not thread-safe; one RowInserter per DB thread.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/db_connection.h"
#include "store/row_ids.h"
#include "store/stored_rows.h"
#include "writer/call_key_index.h"
#include "writer/minute_stats.h"

namespace sipvault::writer {

enum class InsertMethod { Bulk, LoadData, MultiRowInsert };

// "bulk" / "load_data" / "insert"; nullopt for anything else.
[[nodiscard]] std::optional<InsertMethod> parseInsertMethod(std::string_view text);
[[nodiscard]] std::string_view insertMethodName(InsertMethod method);

class RowInserter {
 public:
  // `shard_id`: this capture node's number, the top 16 bits of every id (writer.shard_id).
  // `max_agents_per_minute`: writer.stats_max_agents_per_minute (minute_stats.h).
  explicit RowInserter(InsertMethod method, uint16_t shard_id = 0,
                       size_t max_agents_per_minute = kDefaultMaxAgentsPerMinute);
  ~RowInserter();
  RowInserter(const RowInserter&) = delete;
  RowInserter& operator=(const RowInserter&) = delete;

  // Numbers the rows of `batch` (their packet.id) and inserts them; false (and rolled back) with
  // `error` set on failure. A retry numbers the rows again.
  // `rows_skipped` gets how many rows the server acknowledged less than it was sent (LOAD DATA
  // turns a per-row problem into a warning and skips the row); normally 0.
  [[nodiscard]] bool insert(store::DbConnection& db, store::RowBatch& batch, store::DbError& error,
                            uint64_t& rows_skipped);

  [[nodiscard]] InsertMethod method() const { return method_; }
  // Messages whose User-Agent counted under "(other)" in sip_minute_stats (minute_stats.h).
  [[nodiscard]] uint64_t agentsFolded() const { return minute_stats_.agentsFolded(); }

 private:
  template <typename Row>
  bool loadTable(store::DbConnection& db, std::string_view table, std::string_view columns,
                 const std::vector<Row>& rows, store::DbError& error, uint64_t& rows_skipped);
  template <typename Row>
  bool bulkTable(store::DbConnection& db, std::string_view table, std::string_view columns,
                 const std::vector<Row>& rows, std::vector<store::DbBulkColumn>& values,
                 store::DbError& error, uint64_t& rows_skipped);
  template <typename Row>
  bool insertTable(store::DbConnection& db, std::string_view table, std::string_view columns,
                   const std::vector<Row>& rows, store::DbError& error);

  // sip_summaries: INSERT ... ON DUPLICATE KEY UPDATE count = count + VALUES(count), in the
  // same transaction as the rows, so a count is as durable as the batch's ack.
  bool addSummaries(store::DbConnection& db, const std::vector<store::SummaryRow>& rows, store::DbError& error);
  // sip_minute_stats and sip_hour_stats: the batch's messages counted per minute (minute_stats_)
  // and per hour, upserted the same way.
  bool addMinuteStats(store::DbConnection& db, const std::vector<store::SipMessageRow>& messages,
                      store::DbError& error);
  // sip_call_keys: the keys of the batch's messages this writer has not stored lately
  // (call_keys_), added unless there (a no-op update: unlike INSERT IGNORE, other errors still fail).
  bool addCallKeys(store::DbConnection& db, const std::vector<store::SipMessageRow>& messages,
                   store::DbError& error);
  // INSERT INTO `table` (`columns`) VALUES ... ON DUPLICATE KEY UPDATE `on_duplicate`, statements
  // of up to ~4 MB; `rows` are distinct keys.
  template <typename Row>
  bool upsert(store::DbConnection& db, std::string_view table, std::string_view columns,
              const std::vector<Row>& rows, std::string_view on_duplicate, store::DbError& error);

  InsertMethod method_;
  store::RowIdAllocator ids_;
  int memfd_ = -1;
  std::string buffer_;
  // Array-binding values per table (messages, rejects, others, headers, qos), reused so their capacity stays.
  std::array<std::vector<store::DbBulkColumn>, 5> bulk_values_;
  std::vector<store::HeaderRow> header_rows_;  // sip_headers rows of the batch being inserted
  MinuteStatsAggregator minute_stats_;
  std::vector<store::MinuteStatRow> minute_rows_;  // sip_minute_stats rows of the batch being inserted
  std::vector<store::MinuteStatRow> hour_rows_;    // sip_hour_stats rows of the batch being inserted
  CallKeyIndex call_keys_;
  std::vector<store::CallKeyRow> call_key_rows_;  // sip_call_keys rows of the batch being inserted
};

}  // namespace sipvault::writer
