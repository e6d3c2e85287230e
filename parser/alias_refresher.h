#pragma once
// The parser's read-only view of the aliases (issue 14) for its KPI labels: a thread that reads
// api_aliases through store/ (alias_reader.h) at start and every `period`, and publishes the
// table. Why the database and not a file: the aliases are managed in the UI/API and stored there
// already; a file would have to be copied to every parser host on each change. The parser never
// waits for it: while the database is away the last table stays (empty before the first read:
// every peer is "other"), each failure is counted and logged once per failure streak.
//
// Thread-safe: current() from any thread; start()/stop() from the owner.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "common/metrics.h"
#include "store/alias_table.h"
#include "store/db_connection.h"

namespace sipvault::parser {

class AliasRefresher {
 public:
  AliasRefresher(store::DbOptions db, std::chrono::milliseconds period, MetricsRegistry& metrics, Log log);
  ~AliasRefresher();
  AliasRefresher(const AliasRefresher&) = delete;
  AliasRefresher& operator=(const AliasRefresher&) = delete;

  [[nodiscard]] std::shared_ptr<const store::AliasTable> current() const;
  void start();
  void stop();
  // One read now (the thread's step; tests call it directly). False when the database failed.
  bool refreshOnce();

 private:
  store::DbOptions db_;
  std::chrono::milliseconds period_;
  Log log_;
  Counter& reloads_;
  Counter& failures_;
  Counter& skipped_;
  mutable std::mutex mu_;
  std::shared_ptr<const store::AliasTable> table_;
  std::unique_ptr<store::DbConnection> conn_;  // the thread's
  bool failing_ = false;
  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sipvault::parser
