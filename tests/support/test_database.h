#pragma once
// A fresh database on the test MariaDB of the CTest fixture `mariadb` (tests/support/CMakeLists.txt),
// for one test: created on construction with a unique name, dropped on destruction.
// Needs the compile definitions of sipvault_use_test_mariadb() and links sipvault_store.
//
//   sipvault::test::TestDatabase db("roundtrip");
//   db.conn().execute(...);                // a session on it
//   WriterOptions o; o.db = db.options();  // where a writer or api should connect
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "store/db_connection.h"

namespace sipvault::test {

// The fixture server, connected through its Unix socket, no database selected.
inline store::DbOptions testServerOptions() {
  store::DbOptions o;
  o.host = SIPVAULT_TEST_DB_HOST;
  o.port = SIPVAULT_TEST_DB_PORT;
  o.socket = SIPVAULT_TEST_DB_SOCKET;
  o.user = SIPVAULT_TEST_DB_USER;
  o.password = SIPVAULT_TEST_DB_PASSWORD;
  o.name = "sipvault";
  return o;
}

// The same server over TCP 127.0.0.1:port.
inline store::DbOptions testServerTcpOptions() {
  store::DbOptions o = testServerOptions();
  o.socket.clear();
  return o;
}

class TestDatabase {
 public:
  // tag: letters/digits/underscore, short; the database is sipvault_t_<tag>_<pid>_<n>.
  explicit TestDatabase(std::string_view tag) {
    static std::atomic<int> counter{0};
    std::string clean;
    for (char c : tag) clean += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    options_ = testServerOptions();
    options_.name = "sipvault_t_" + clean.substr(0, 30) + "_" + std::to_string(getpid()) + "_" +
                    std::to_string(counter++);
    store::DbError error;
    admin_ = store::DbConnection::openServer(options_, error);
    if (!admin_)
      throw std::runtime_error("test MariaDB not reachable (is the CTest fixture `mariadb` running? " +
                               std::string(SIPVAULT_TEST_DB_SOCKET) + "): " + error.describe());
    if (!admin_->execute("DROP DATABASE IF EXISTS " + options_.name, error) ||
        !admin_->execute("CREATE DATABASE " + options_.name, error))
      throw std::runtime_error("cannot create test database: " + error.describe());
    conn_ = store::DbConnection::open(options_, error);
    if (!conn_) throw std::runtime_error("cannot open test database: " + error.describe());
  }
  ~TestDatabase() {
    conn_.reset();
    store::DbError ignored;
    if (admin_) (void)admin_->execute("DROP DATABASE IF EXISTS " + options_.name, ignored);
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  [[nodiscard]] const store::DbOptions& options() const { return options_; }
  [[nodiscard]] store::DbConnection& conn() { return *conn_; }
  [[nodiscard]] const std::string& name() const { return options_.name; }

  // First column of the first row of `sql` as text; throws on error or no row.
  std::string value(std::string_view sql) {
    store::DbError error;
    auto v = conn_->queryValue(sql, error);
    if (!v) throw std::runtime_error("query failed: " + std::string(sql) + ": " + error.describe());
    return *v;
  }
  uint64_t count(std::string_view sql) { return std::stoull(value(sql)); }

 private:
  store::DbOptions options_;
  std::unique_ptr<store::DbConnection> admin_;
  std::unique_ptr<store::DbConnection> conn_;
};

}  // namespace sipvault::test
