#pragma once
// The api's database access: a bounded pool of MariaDB sessions that run prepared statements only
// (MySQL Connector/C++ 1.1, the legacy cppconn API). Connection settings, error values and the
// text-row result type are shared with the writer (store/db_connection.h).
//
// SqlSession: one connection plus a cache of its prepared statements (keyed by SQL text, bounded).
//   Not thread-safe; a session is used by one request at a time through the pool.
// SqlPool: at most `size` sessions, opened lazily. query()/execute() borrow a session for one
//   statement; a borrower waits up to `acquire_timeout` for a free one, then gets an error with
//   code kPoolExhausted (the HTTP layer answers 503). A statement that fails because the connection
//   was lost is retried once on a fresh connection (idle sessions die with wait_timeout or a server
//   restart). Thread-safe.
// Connector/C++ exceptions are caught in the .cpp; everything here returns error values.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/sql_query.h"
#include "common/metrics.h"
#include "store/db_connection.h"

namespace sipvault::api {

// DbError::code used when no pooled session became free in time.
inline constexpr int kPoolExhausted = -1;

class SqlSession {
 public:
  ~SqlSession();
  SqlSession(const SqlSession&) = delete;
  SqlSession& operator=(const SqlSession&) = delete;

  // Connects to options.name; sets a strict sql_mode, UTC and `statement_timeout` (MariaDB
  // max_statement_time, 0 = none) for the session. nullptr with `error` set when it cannot.
  [[nodiscard]] static std::unique_ptr<SqlSession> open(const store::DbOptions& options,
                                                        std::chrono::seconds statement_timeout,
                                                        store::DbError& error, const std::string& setup = "");

  // Prepares (or reuses) `sql`, binds `params` in order and runs it. Rows come back as text
  // (numbers in decimal, binary columns byte-exact), NULL as nullopt.
  [[nodiscard]] bool query(std::string_view sql, std::span<const SqlParam> params, store::DbRows& rows,
                           store::DbError& error);
  // For statements without a result set; `affected` gets the affected-row count when given.
  [[nodiscard]] bool execute(std::string_view sql, std::span<const SqlParam> params, store::DbError& error,
                             uint64_t* affected = nullptr);

  // `fn(session, error)` inside one transaction: committed when it returns true, rolled back
  // when it returns false or throws nothing but fails to commit.
  template <typename Fn>
  [[nodiscard]] bool transaction(store::DbError& error, Fn&& fn) {
    if (!begin(error)) return false;
    if (fn(*this, error) && commit(error)) return true;
    rollback();
    return false;
  }

 private:
  [[nodiscard]] bool begin(store::DbError& error);
  [[nodiscard]] bool commit(store::DbError& error);
  void rollback();

  struct Impl;
  explicit SqlSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct SqlPoolOptions {
  size_t size = 8;                                   // api.db_pool_size
  std::chrono::milliseconds acquire_timeout{2000};   // api.db_acquire_timeout_ms
  std::chrono::seconds statement_timeout{30};        // api.query_timeout_s
  // Metrics label value `pool="<name>"` (empty: no label; two pools in one registry need names).
  std::string name;
  // Run once on every new session, e.g. a cluster head's Spider timeouts (api_options.cpp); "" = none.
  std::string session_setup;
};

class SqlPool {
 public:
  // `metrics` must outlive the pool; the pool registers its gauges and counters there.
  SqlPool(store::DbOptions db, SqlPoolOptions options, MetricsRegistry& metrics);
  ~SqlPool();
  SqlPool(const SqlPool&) = delete;
  SqlPool& operator=(const SqlPool&) = delete;

  [[nodiscard]] bool query(const SqlQuery& q, store::DbRows& rows, store::DbError& error);
  [[nodiscard]] bool execute(const SqlQuery& q, store::DbError& error, uint64_t* affected = nullptr);
  // Statements that must share one session (LAST_INSERT_ID(), a transaction): `fn` gets the
  // session; no retry. False with `error` when no session could be had or `fn` returned false.
  template <typename Fn>
  [[nodiscard]] bool withSession(store::DbError& error, Fn&& fn) {
    std::unique_ptr<SqlSession> s = acquire(error);
    if (!s) return false;
    const bool ok = fn(*s, error);
    release(std::move(s), ok || !error.connectionLost());
    return ok;
  }
  // withSession + SqlSession::transaction.
  template <typename Fn>
  [[nodiscard]] bool withTransaction(store::DbError& error, Fn&& fn) {
    return withSession(error, [&](SqlSession& s, store::DbError& e) { return s.transaction(e, fn); });
  }

  // Opens one session now (start-up check). False with `error` when the database is unreachable.
  [[nodiscard]] bool ping(store::DbError& error);

  [[nodiscard]] const store::DbOptions& dbOptions() const { return db_; }

 private:
  std::unique_ptr<SqlSession> acquire(store::DbError& error);
  void release(std::unique_ptr<SqlSession> session, bool reusable);
  template <typename Fn>
  bool run(store::DbError& error, Fn&& fn);

  store::DbOptions db_;
  SqlPoolOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<SqlSession>> idle_;
  size_t open_ = 0;  // sessions that exist (idle + borrowed), plus ones being opened

  Gauge& in_use_;
  Gauge& idle_gauge_;
  Gauge& waiting_;
  Counter& acquire_timeouts_;
  Counter& connect_errors_;
  Counter& queries_;
  Counter& query_errors_;
};

}  // namespace sipvault::api
