#include "api/sql_pool.h"

#include "api/connector_session.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <unordered_map>

namespace sipvault::api {

using namespace sipvault::store;
namespace {

// Prepared statements kept per session. Search SQL varies with the filters given, so the cache is
// bounded; when full it is simply emptied (cheap: preparing is one round trip).
constexpr size_t kStatementCacheSize = 128;

}  // namespace

struct SqlSession::Impl {
  std::unique_ptr<sql::Connection> conn;
  std::unordered_map<std::string, std::unique_ptr<sql::PreparedStatement>> statements;

  sql::PreparedStatement& prepare(std::string_view text, std::span<const SqlParam> params) {
    auto it = statements.find(std::string(text));
    if (it == statements.end()) {
      if (statements.size() >= kStatementCacheSize) statements.clear();
      std::unique_ptr<sql::PreparedStatement> ps(conn->prepareStatement(sql::SQLString(std::string(text))));
      it = statements.emplace(std::string(text), std::move(ps)).first;
    }
    sql::PreparedStatement& ps = *it->second;
    ps.clearParameters();
    unsigned index = 1;
    for (const SqlParam& p : params) {
      if (const auto* n = std::get_if<uint64_t>(&p)) ps.setUInt64(index, *n);
      else ps.setString(index, sql::SQLString(std::get<std::string>(p)));
      ++index;
    }
    return ps;
  }
};

SqlSession::SqlSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqlSession::~SqlSession() = default;

std::unique_ptr<SqlSession> SqlSession::open(const DbOptions& options, std::chrono::seconds statement_timeout,
                                             DbError& error, const std::string& setup) {
  try {
    auto impl = std::make_unique<Impl>();
    // The server stops a statement at statement_timeout; the socket timeout is a backstop.
    impl->conn =
        openConnectorSession(options, std::max(options.io_timeout, statement_timeout + std::chrono::seconds(5)));
    std::unique_ptr<sql::Statement> st(impl->conn->createStatement());
    if (statement_timeout.count() > 0) {
      // MariaDB's name; MySQL 8 calls it max_execution_time (ms, SELECT only).
      try {
        st->execute("SET SESSION max_statement_time=" + std::to_string(statement_timeout.count()));
      } catch (const sql::SQLException&) {
        try {
          st->execute("SET SESSION max_execution_time=" + std::to_string(statement_timeout.count() * 1000));
        } catch (const sql::SQLException&) {
        }
      }
    }
    if (!setup.empty()) st->execute(setup);
    return std::unique_ptr<SqlSession>(new SqlSession(std::move(impl)));
  } catch (const sql::SQLException& e) {
    fillDbError(error, e);
  } catch (const std::exception& e) {
    fillDbError(error, e);
  }
  if (error.code == 0 && error.message.empty()) error.message = "unknown connection error";
  return nullptr;
}

bool SqlSession::query(std::string_view text, std::span<const SqlParam> params, DbRows& rows, DbError& error) {
  rows.clear();
  try {
    sql::PreparedStatement& ps = impl_->prepare(text, params);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    readRows(*rs, rows);
    return true;
  } catch (const sql::SQLException& e) {
    fillDbError(error, e);
  } catch (const std::exception& e) {
    fillDbError(error, e);
  }
  // A statement that failed may be in a bad state; prepare it again next time.
  impl_->statements.erase(std::string(text));
  return false;
}

bool SqlSession::execute(std::string_view text, std::span<const SqlParam> params, DbError& error,
                         uint64_t* affected) {
  try {
    sql::PreparedStatement& ps = impl_->prepare(text, params);
    const int n = ps.executeUpdate();
    if (affected) *affected = n < 0 ? 0 : static_cast<uint64_t>(n);
    return true;
  } catch (const sql::SQLException& e) {
    fillDbError(error, e);
  } catch (const std::exception& e) {
    fillDbError(error, e);
  }
  impl_->statements.erase(std::string(text));
  return false;
}

bool SqlSession::begin(DbError& error) {
  try {
    impl_->conn->setAutoCommit(false);
    return true;
  } catch (const sql::SQLException& e) {
    fillDbError(error, e);
  }
  return false;
}

bool SqlSession::commit(DbError& error) {
  try {
    impl_->conn->commit();
    impl_->conn->setAutoCommit(true);
    return true;
  } catch (const sql::SQLException& e) {
    fillDbError(error, e);
  }
  return false;
}

void SqlSession::rollback() {
  try {
    impl_->conn->rollback();
    impl_->conn->setAutoCommit(true);
  } catch (const sql::SQLException&) {
    // A lost connection rolls back by itself; the pool drops the session (connectionLost).
  }
}

namespace {

// `labels` plus pool="<name>" when the pool has a name.
std::string poolLabels(const SqlPoolOptions& o, std::string labels) {
  if (o.name.empty()) return labels;
  return labels + (labels.empty() ? "" : ",") + "pool=\"" + o.name + "\"";
}

}  // namespace

SqlPool::SqlPool(DbOptions db, SqlPoolOptions options, MetricsRegistry& metrics)
    : db_(std::move(db)),
      options_(options),
      in_use_(metrics.gauge("api_db_pool_connections", "database sessions by state",
                            poolLabels(options, R"(state="in_use")"))),
      idle_gauge_(metrics.gauge("api_db_pool_connections", "database sessions by state",
                                poolLabels(options, R"(state="idle")"))),
      waiting_(metrics.gauge("api_db_pool_waiting", "requests waiting for a database session",
                             poolLabels(options, ""))),
      acquire_timeouts_(metrics.counter("api_db_pool_acquire_timeouts_total",
                                        "requests that found no free database session in time (503)",
                                        poolLabels(options, ""))),
      connect_errors_(metrics.counter("api_db_connect_errors_total", "failed database connection attempts",
                                      poolLabels(options, ""))),
      queries_(metrics.counter("api_db_queries_total", "statements run", poolLabels(options, ""))),
      query_errors_(
          metrics.counter("api_db_query_errors_total", "statements that failed", poolLabels(options, ""))) {
  if (options_.size == 0) options_.size = 1;
  metrics.gauge("api_db_pool_size", "largest number of database sessions", poolLabels(options, ""))
      .set(static_cast<int64_t>(options_.size));
}

SqlPool::~SqlPool() = default;

std::unique_ptr<SqlSession> SqlPool::acquire(DbError& error) {
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  waiting_.add(1);
  while (idle_.empty() && open_ >= options_.size) {
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= options_.size) {
      waiting_.add(-1);
      acquire_timeouts_.inc();
      error = DbError{kPoolExhausted, "", "no free database session within " +
                                              std::to_string(options_.acquire_timeout.count()) + " ms"};
      return nullptr;
    }
  }
  waiting_.add(-1);
  if (!idle_.empty()) {
    std::unique_ptr<SqlSession> s = std::move(idle_.back());
    idle_.pop_back();
    idle_gauge_.set(static_cast<int64_t>(idle_.size()));
    in_use_.add(1);
    return s;
  }
  ++open_;
  lock.unlock();
  // Connect outside the lock: it can take up to connect_timeout.
  std::unique_ptr<SqlSession> s = SqlSession::open(db_, options_.statement_timeout, error, options_.session_setup);
  if (!s) {
    connect_errors_.inc();
    lock.lock();
    --open_;
    cv_.notify_one();
    return nullptr;
  }
  in_use_.add(1);
  return s;
}

void SqlPool::release(std::unique_ptr<SqlSession> session, bool reusable) {
  std::lock_guard lock(mu_);
  in_use_.add(-1);
  if (reusable) idle_.push_back(std::move(session));
  else --open_;
  idle_gauge_.set(static_cast<int64_t>(idle_.size()));
  cv_.notify_one();
}

template <typename Fn>
bool SqlPool::run(DbError& error, Fn&& fn) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<SqlSession> s = acquire(error);
    if (!s) return false;
    queries_.inc();
    const bool ok = fn(*s);
    const bool lost = !ok && error.connectionLost();
    release(std::move(s), !lost);
    if (ok) return true;
    query_errors_.inc();
    if (!lost) return false;
  }
  return false;
}

bool SqlPool::query(const SqlQuery& q, DbRows& rows, DbError& error) {
  return run(error, [&](SqlSession& s) { return s.query(q.sql, q.params, rows, error); });
}

bool SqlPool::execute(const SqlQuery& q, DbError& error, uint64_t* affected) {
  return run(error, [&](SqlSession& s) { return s.execute(q.sql, q.params, error, affected); });
}

bool SqlPool::ping(DbError& error) {
  DbRows rows;
  return query(SqlQuery{"SELECT 1", {}}, rows, error);
}

}  // namespace sipvault::api
