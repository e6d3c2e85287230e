#pragma once
// Connector/C++ plumbing of the api's SqlPool (sql_pool.h): opening a session with our settings,
// mapping exceptions to DbError, and reading a result set into DbRows. (The writer talks to
// MariaDB through Connector/C instead, for array binding: store/db_connection.h.)
#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>

#include <chrono>
#include <exception>
#include <memory>

#include "store/db_connection.h"

namespace sipvault {

// Opens a session on options.name: TCP or Unix socket from `options`, utf8mb4, socket read/write
// timeout `io_timeout`, no silent reconnect (callers replace lost sessions themselves), strict
// sql_mode and UTC. Throws sql::SQLException.
[[nodiscard]] std::unique_ptr<sql::Connection> openConnectorSession(const store::DbOptions& options,
                                                                    std::chrono::seconds io_timeout);

void fillDbError(store::DbError& error, const sql::SQLException& e);
void fillDbError(store::DbError& error, const std::exception& e);

// Appends every row of `rs` to `rows` (NULL -> nullopt, everything else as bytes).
void readRows(sql::ResultSet& rs, store::DbRows& rows);

}  // namespace sipvault
