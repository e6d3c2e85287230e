#include "api/connector_session.h"

#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <mutex>

namespace sipvault {

using namespace sipvault::store;

std::unique_ptr<sql::Connection> openConnectorSession(const DbOptions& options, std::chrono::seconds io_timeout) {
  // get_driver_instance() is not thread-safe the first time it runs.
  static std::mutex driver_mu;
  sql::mysql::MySQL_Driver* driver;
  {
    std::lock_guard lock(driver_mu);
    driver = sql::mysql::get_mysql_driver_instance();
  }
  sql::ConnectOptionsMap props;
  if (options.socket.empty())
    props["hostName"] = sql::SQLString("tcp://" + options.host + ":" + std::to_string(options.port));
  else
    props["hostName"] = sql::SQLString("unix://" + options.socket);
  props["userName"] = sql::SQLString(options.user);
  props["password"] = sql::SQLString(options.password);
  props["schema"] = sql::SQLString(options.name);
  props["OPT_CONNECT_TIMEOUT"] = static_cast<int>(options.connect_timeout.count());
  props["OPT_READ_TIMEOUT"] = static_cast<int>(io_timeout.count());
  props["OPT_WRITE_TIMEOUT"] = static_cast<int>(io_timeout.count());
  props["OPT_RECONNECT"] = false;  // a silent reconnect would lose session state
  props["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  std::unique_ptr<sql::Connection> conn(driver->connect(props));
  // A known session, the same as the writer's (store/db_connection.cpp): strict, backslash
  // escapes on, UTC for any time function.
  std::unique_ptr<sql::Statement> st(conn->createStatement());
  st->execute("SET SESSION sql_mode='STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION', time_zone='+00:00'");
  return conn;
}

void fillDbError(DbError& error, const sql::SQLException& e) {
  error.code = e.getErrorCode();
  error.sql_state = e.getSQLState();
  error.message = e.what();
}

void fillDbError(DbError& error, const std::exception& e) {
  error.code = 0;
  error.sql_state.clear();
  error.message = e.what();
}

void readRows(sql::ResultSet& rs, DbRows& rows) {
  const unsigned columns = rs.getMetaData()->getColumnCount();
  while (rs.next()) {
    DbRow row;
    row.reserve(columns);
    for (unsigned i = 1; i <= columns; ++i) {
      if (rs.isNull(i)) row.emplace_back(std::nullopt);
      else row.emplace_back(std::string(rs.getString(i).asStdString()));
    }
    rows.push_back(std::move(row));
  }
}

}  // namespace sipvault
