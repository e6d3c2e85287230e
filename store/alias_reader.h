#pragma once
// Reads api_aliases (store/sql/010_aliases.sql) read-only over a DbConnection, for a daemon that
// only needs the names (the parser's KPI labels). Rows whose target no longer parses (written by
// a newer api) are skipped and counted, not fatal. Not thread-safe (like DbConnection).
#include <cstddef>
#include <vector>

#include "store/alias_table.h"
#include "store/db_connection.h"

namespace sipvault::store {

// Every alias; false with `error` when the query fails (table missing included). `skipped` gets
// the number of unreadable rows.
[[nodiscard]] bool readAliases(DbConnection& db, std::vector<Alias>& out, size_t& skipped, DbError& error);

}  // namespace sipvault::store
