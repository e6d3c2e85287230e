#pragma once
// One MariaDB/MySQL session of the writer, through MariaDB Connector/C (libmariadb, the client
// library under Connector/C++). The writer uses the C API directly for one feature Connector/C++ 1.1
// lacks: array binding (executeBulk), which sends thousands of rows as binary values in one round
// trip; the server then stores them without parsing any text (~30% less server CPU per row than
// LOAD DATA, writer/README.md "Insert speed"). The api keeps Connector/C++ (connector_session.h).
//
// Errors are values: every call returns false/nullopt and fills a DbError (the client library's
// error number, SQLSTATE and text). A DbConnection is not thread-safe: one per thread.
// After an error with connectionLost() the object is useless; open a new one.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipvault::store {

// Where and how to connect. Filled from the db.* config keys (see writer_options.h).
struct DbOptions {
  std::string host = "127.0.0.1";           // db.host (ignored when socket is set)
  uint16_t port = 3306;                     // db.port
  std::string socket;                       // db.socket: a Unix socket path; "" = TCP to host:port
  std::string user = "sipvault";            // db.user
  std::string password = "sipvault";        // db.password
  std::string name = "sipvault";            // db.name: the database (schema) to use
  std::chrono::seconds connect_timeout{5};  // db.connect_timeout_s
  // Read/write timeout of one round trip; a query running longer counts as a lost connection.
  // Generous: a partition REORGANIZE or a large batch on a busy server takes a while. db.io_timeout_s
  std::chrono::seconds io_timeout{120};

  // "sipvault@127.0.0.1:3306/sipvault" or "sipvault@unix:/path/sock/sipvault" (no password).
  [[nodiscard]] std::string describe() const;
};

struct DbError {
  int code = 0;  // server (1xxx) or client (2xxx) error number; 0 = not from the server
  std::string sql_state;
  std::string message;

  // The session is gone (server away, network, timeout): reconnect and retry.
  [[nodiscard]] bool connectionLost() const;
  // Retrying the same statement cannot help: the data itself was refused (too long, bad value,
  // duplicate key...). Everything else is worth retrying.
  [[nodiscard]] bool dataRejected() const;
  [[nodiscard]] std::string describe() const;  // "2003 (HY000): Can't connect ..."
};

// A result set as text; NULL is nullopt. Binary columns come back byte-exact.
using DbRow = std::vector<std::optional<std::string>>;
using DbRows = std::vector<DbRow>;

// The values of one statement parameter for every row of an array-bound execution: numbers, or
// byte strings given as pointer + length (not copied: they must outlive executeBulk).
// Numbers are unsigned 64-bit by default; `is_signed` binds them as signed, `is_real` as doubles
// (their bits, std::bit_cast). `nulls`, when not empty, holds one flag per row: 1 = NULL
// (1, the indicator STMT_INDICATOR_NULL; 0 = a value) and the number at that position is ignored.
struct DbBulkColumn {
  bool is_bytes = false;
  bool is_signed = false;
  bool is_real = false;
  std::vector<uint64_t> numbers;
  std::vector<const char*> data;
  std::vector<unsigned long> lengths;  // unsigned long: what MYSQL_BIND::length points to
  std::vector<char> nulls;

  void clear() {
    numbers.clear();
    data.clear();
    lengths.clear();
    nulls.clear();
  }
};

class DbConnection {
 public:
  ~DbConnection();
  DbConnection(const DbConnection&) = delete;
  DbConnection& operator=(const DbConnection&) = delete;

  // Connects and selects options.name (the database must exist), autocommit on, session
  // sql_mode strict, LOCAL INFILE allowed. nullptr with `error` set when it cannot.
  [[nodiscard]] static std::unique_ptr<DbConnection> open(const DbOptions& options, DbError& error);
  // Like open() but without selecting a database (for creating/dropping databases).
  [[nodiscard]] static std::unique_ptr<DbConnection> openServer(const DbOptions& options, DbError& error);

  // Runs a statement that returns no rows. `affected` gets the affected-row count when given.
  [[nodiscard]] bool execute(std::string_view sql, DbError& error, uint64_t* affected = nullptr);
  // Runs a query; `rows` is replaced with its result.
  [[nodiscard]] bool query(std::string_view sql, DbRows& rows, DbError& error);
  // Convenience: the first column of the first row (nullopt when no row, NULL, or error).
  [[nodiscard]] std::optional<std::string> queryValue(std::string_view sql, DbError& error);

  // True when the server runs array-bound statements (MariaDB >= 10.2.6; MySQL does not).
  [[nodiscard]] bool supportsBulk() const;
  // Runs `sql` (one "?" per column) once for each of `rows` parameter sets, in one round trip.
  // The statement is prepared on first use and kept for the session. All columns hold `rows`
  // values. `affected` gets the affected-row count when given.
  [[nodiscard]] bool executeBulk(const std::string& sql, const std::vector<DbBulkColumn>& columns,
                                 size_t rows, DbError& error, uint64_t* affected = nullptr);

  // Quotes bytes as an SQL literal: _binary'...' with backslash escapes (the session's sql_mode
  // has no NO_BACKSLASH_ESCAPES, which open() ensures).
  static void appendLiteral(std::string& out, std::string_view bytes);

 private:
  struct Impl;
  explicit DbConnection(std::unique_ptr<Impl> impl);
  static std::unique_ptr<DbConnection> connect(const DbOptions& options, bool select_db, DbError& error);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sipvault::store
