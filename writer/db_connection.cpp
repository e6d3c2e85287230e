#include "writer/db_connection.h"

#include "writer/connector_session.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <mutex>

namespace sipvault {
namespace {

// Connector/C++ 1.1 has no error-code constants; these are MariaDB's (mysqld_error.h, errmsg.h).
bool isConnectionError(int code) {
  switch (code) {
    case 1040:  // ER_CON_COUNT_ERROR: too many connections
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1077:  // ER_NORMAL_SHUTDOWN
    case 1152:  // ER_ABORTING_CONNECTION
    case 1158: case 1159: case 1160: case 1161:  // network read/write errors and timeouts
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
  std::unique_ptr<sql::Connection> conn;
  std::unique_ptr<sql::Statement> stmt;
};

DbConnection::DbConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DbConnection::~DbConnection() = default;


std::unique_ptr<DbConnection> DbConnection::connect(const DbOptions& options, bool select_db, DbError& error) {
  try {
    auto impl = std::make_unique<Impl>();
    impl->conn = openConnectorSession(options, {.select_db = select_db, .local_infile = true});
    impl->stmt.reset(impl->conn->createStatement());
    return std::unique_ptr<DbConnection>(new DbConnection(std::move(impl)));
  } catch (const sql::SQLException& e) {
    fillDbError(error, e);
  } catch (const std::exception& e) {
    fillDbError(error, e);
  }
  if (error.code == 0 && error.message.empty()) error.message = "unknown connection error";
  return nullptr;
}

std::unique_ptr<DbConnection> DbConnection::open(const DbOptions& options, DbError& error) {
  return connect(options, true, error);
}

std::unique_ptr<DbConnection> DbConnection::openServer(const DbOptions& options, DbError& error) {
  return connect(options, false, error);
}

bool DbConnection::execute(std::string_view sql, DbError& error, uint64_t* affected) {
  try {
    const int n = impl_->stmt->executeUpdate(sql::SQLString(std::string(sql)));
    if (affected) *affected = n < 0 ? 0 : static_cast<uint64_t>(n);
    return true;
  } catch (const sql::SQLException& e) {
    fillDbError(error, e);
  } catch (const std::exception& e) {
    fillDbError(error, e);
  }
  return false;
}

bool DbConnection::query(std::string_view sql, DbRows& rows, DbError& error) {
  rows.clear();
  try {
    std::unique_ptr<sql::ResultSet> rs(impl_->stmt->executeQuery(sql::SQLString(std::string(sql))));
    readRows(*rs, rows);
    return true;
  } catch (const sql::SQLException& e) {
    fillDbError(error, e);
  } catch (const std::exception& e) {
    fillDbError(error, e);
  }
  return false;
}

std::optional<std::string> DbConnection::queryValue(std::string_view sql, DbError& error) {
  DbRows rows;
  if (!query(sql, rows, error) || rows.empty() || rows[0].empty()) return std::nullopt;
  return rows[0][0];
}

void DbConnection::appendLiteral(std::string& out, std::string_view bytes) {
  out += "_binary'";
  for (char c : bytes) {
    switch (c) {
      case '\0': out += "\\0"; break;
      case '\'': out += "\\'"; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\x1a': out += "\\Z"; break;
      default: out += c;
    }
  }
  out += '\'';
}

}  // namespace sipvault
