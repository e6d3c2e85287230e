#include "store/db_connection.h"

#include <mysql.h>

#include <mutex>
#include <unordered_map>

namespace sipvault::store {
namespace {

// Server (mysqld_error.h) and client (errmsg.h) error numbers, listed here by number and name.
bool isConnectionError(int code) {
  switch (code) {
    case 1040:  // ER_CON_COUNT_ERROR: too many connections
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1077:  // ER_NORMAL_SHUTDOWN
    case 1152:  // ER_ABORTING_CONNECTION
    case 1158:
    case 1159:
    case 1160:
    case 1161:  // network read/write errors and timeouts
    case 1927:  // ER_CONNECTION_KILLED
    case 4031:  // idle session closed by the server
      return true;
    default:
      return code >= 2000 && code < 3000;  // client library errors: cannot connect, gone away, lost
  }
}

}  // namespace

std::string DbOptions::describe() const {
  std::string where = socket.empty() ? host + ":" + std::to_string(port) : "unix:" + socket;
  return user + "@" + where + "/" + name;
}

bool DbError::connectionLost() const { return isConnectionError(code) || code == 0; }

bool DbError::dataRejected() const {
  switch (code) {
    case 1048:  // ER_BAD_NULL_ERROR
    case 1062:  // ER_DUP_ENTRY
    case 1264:  // ER_WARN_DATA_OUT_OF_RANGE
    case 1292:  // ER_TRUNCATED_WRONG_VALUE
    case 1366:  // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
    case 1406:  // ER_DATA_TOO_LONG
    case 1526:  // ER_NO_PARTITION_FOR_GIVEN_VALUE
    case 1153:  // ER_NET_PACKET_TOO_LARGE
      return true;
    default:
      return false;
  }
}

std::string DbError::describe() const {
  std::string out = std::to_string(code);
  if (!sql_state.empty()) out += " (" + sql_state + ")";
  out += ": " + message;
  return out;
}

struct DbConnection::Impl {
  MYSQL* mysql = nullptr;
  std::unordered_map<std::string, MYSQL_STMT*> statements;  // executeBulk's, by SQL text
  std::vector<MYSQL_BIND> binds;

  ~Impl() {
    for (auto& [sql, stmt] : statements) mysql_stmt_close(stmt);
    if (mysql) mysql_close(mysql);
  }
  void fail(DbError& error) const {
    error.code = static_cast<int>(mysql_errno(mysql));
    error.sql_state = mysql_sqlstate(mysql);
    error.message = mysql_error(mysql);
  }
  static void fail(DbError& error, MYSQL_STMT* stmt) {
    error.code = static_cast<int>(mysql_stmt_errno(stmt));
    error.sql_state = mysql_stmt_sqlstate(stmt);
    error.message = mysql_stmt_error(stmt);
    if (error.message.empty()) error.message = "prepared statement failed without a client error";
  }
  // Runs one statement and reads (or discards) its result set.
  bool run(std::string_view sql, DbRows* rows, DbError& error, uint64_t* affected) {
    if (mysql_real_query(mysql, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
      fail(error);
      return false;
    }
    MYSQL_RES* res = mysql_store_result(mysql);
    if (!res) {
      if (mysql_field_count(mysql) != 0) {  // a result was due but could not be read
        fail(error);
        return false;
      }
      if (affected) *affected = mysql_affected_rows(mysql);
      return true;
    }
    if (rows) {
      const unsigned columns = mysql_num_fields(res);
      while (MYSQL_ROW row = mysql_fetch_row(res)) {
        const unsigned long* lengths = mysql_fetch_lengths(res);
        DbRow out;
        out.reserve(columns);
        for (unsigned i = 0; i < columns; ++i) {
          if (row[i])
            out.emplace_back(std::string(row[i], lengths[i]));
          else
            out.emplace_back(std::nullopt);
        }
        rows->push_back(std::move(out));
      }
    }
    mysql_free_result(res);
    if (affected) *affected = 0;
    return true;
  }
};

DbConnection::DbConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DbConnection::~DbConnection() = default;

std::unique_ptr<DbConnection> DbConnection::connect(const DbOptions& options, bool select_db,
                                                    DbError& error) {
  // mysql_library_init is not thread-safe; mysql_init would call it implicitly.
  static std::once_flag library_once;
  std::call_once(library_once, [] { mysql_library_init(0, nullptr, nullptr); });
  auto impl = std::make_unique<Impl>();
  impl->mysql = mysql_init(nullptr);
  if (!impl->mysql) {
    error = DbError{0, "", "mysql_init: out of memory"};
    return nullptr;
  }
  MYSQL* m = impl->mysql;
  const unsigned connect_s = static_cast<unsigned>(options.connect_timeout.count());
  const unsigned io_s = static_cast<unsigned>(options.io_timeout.count());
  const unsigned local_infile = 1;  // the LOAD DATA insert method reads a memfd
  const my_bool no_reconnect = 0;   // a silent reconnect would lose session state mid-batch
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_s);
  mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &io_s);
  mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &io_s);
  mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  mysql_options(m, MYSQL_OPT_RECONNECT, &no_reconnect);
  mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  const bool unix_socket = !options.socket.empty();
  if (!mysql_real_connect(m, unix_socket ? "localhost" : options.host.c_str(), options.user.c_str(),
                          options.password.c_str(), select_db ? options.name.c_str() : nullptr,
                          unix_socket ? 0 : options.port, unix_socket ? options.socket.c_str() : nullptr,
                          0)) {
    impl->fail(error);
    if (error.code == 0 && error.message.empty()) error.message = "unknown connection error";
    return nullptr;
  }
  // A known session: strict (errors, not silent truncation, on INSERT), backslash escapes on
  // (appendLiteral relies on them), UTC for any time function.
  if (!impl->run("SET SESSION sql_mode='STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION', time_zone='+00:00'",
                 nullptr, error, nullptr))
    return nullptr;
  return std::unique_ptr<DbConnection>(new DbConnection(std::move(impl)));
}

std::unique_ptr<DbConnection> DbConnection::open(const DbOptions& options, DbError& error) {
  return connect(options, true, error);
}

std::unique_ptr<DbConnection> DbConnection::openServer(const DbOptions& options, DbError& error) {
  return connect(options, false, error);
}

bool DbConnection::execute(std::string_view sql, DbError& error, uint64_t* affected) {
  return impl_->run(sql, nullptr, error, affected);
}

bool DbConnection::query(std::string_view sql, DbRows& rows, DbError& error) {
  rows.clear();
  return impl_->run(sql, &rows, error, nullptr);
}

std::optional<std::string> DbConnection::queryValue(std::string_view sql, DbError& error) {
  DbRows rows;
  if (!query(sql, rows, error) || rows.empty() || rows[0].empty()) return std::nullopt;
  return rows[0][0];
}

bool DbConnection::supportsBulk() const {
  return mariadb_connection(impl_->mysql) && mysql_get_server_version(impl_->mysql) >= 100206;
}

bool DbConnection::executeBulk(const std::string& sql, const std::vector<DbBulkColumn>& columns, size_t rows,
                               DbError& error, uint64_t* affected) {
  if (rows == 0) return true;
  MYSQL_STMT*& stmt = impl_->statements[sql];
  if (!stmt) {
    stmt = mysql_stmt_init(impl_->mysql);
    if (!stmt) {
      impl_->fail(error);
      impl_->statements.erase(sql);
      return false;
    }
    if (mysql_stmt_prepare(stmt, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
      Impl::fail(error, stmt);
      mysql_stmt_close(stmt);
      impl_->statements.erase(sql);
      return false;
    }
  }
  if (mysql_stmt_param_count(stmt) != columns.size()) {
    error = DbError{0, "",
                    "executeBulk: " + std::to_string(columns.size()) + " columns for " +
                        std::to_string(mysql_stmt_param_count(stmt)) + " parameters"};
    return false;
  }
  auto& binds = impl_->binds;
  binds.assign(columns.size(), MYSQL_BIND{});
  for (size_t i = 0; i < columns.size(); ++i) {
    const DbBulkColumn& c = columns[i];
    if ((c.is_bytes ? c.data.size() : c.numbers.size()) != rows) {
      error = DbError{0, "", "executeBulk: column " + std::to_string(i) + " has the wrong number of values"};
      return false;
    }
    if (!c.nulls.empty() && c.nulls.size() != rows) {
      error = DbError{0, "", "executeBulk: column " + std::to_string(i) + " has the wrong number of NULL flags"};
      return false;
    }
    MYSQL_BIND& b = binds[i];
    if (c.is_bytes) {
      // BLOB: the server takes the bytes as binary, with no character set conversion.
      b.buffer_type = MYSQL_TYPE_BLOB;
      b.buffer = const_cast<const char**>(c.data.data());
      b.length = const_cast<unsigned long*>(c.lengths.data());
    } else {
      b.buffer_type = c.is_real ? MYSQL_TYPE_DOUBLE : MYSQL_TYPE_LONGLONG;
      b.buffer = const_cast<uint64_t*>(c.numbers.data());
      b.is_unsigned = c.is_signed || c.is_real ? 0 : 1;
    }
    // Array binding marks NULL per row with an indicator (STMT_INDICATOR_NULL), not is_null.
    if (!c.nulls.empty()) b.u.indicator = const_cast<char*>(c.nulls.data());
  }
  unsigned int array_size = static_cast<unsigned int>(rows);
  if (mysql_stmt_attr_set(stmt, STMT_ATTR_ARRAY_SIZE, &array_size) != 0 ||
      mysql_stmt_bind_param(stmt, binds.data()) != 0 || mysql_stmt_execute(stmt) != 0) {
    Impl::fail(error, stmt);
    return false;
  }
  if (affected) *affected = mysql_stmt_affected_rows(stmt);
  return true;
}

void DbConnection::appendLiteral(std::string& out, std::string_view bytes) {
  out += "_binary'";
  for (char c : bytes) {
    switch (c) {
      case '\0':
        out += "\\0";
        break;
      case '\'':
        out += "\\'";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\x1a':
        out += "\\Z";
        break;
      default:
        out += c;
    }
  }
  out += '\'';
}

}  // namespace sipvault::store
