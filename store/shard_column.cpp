#include "store/shard_column.h"

#include <string>

#include "store/capture_tables.h"

namespace sipvault::store {

bool applyShardId(DbConnection& db, uint16_t shard_id, DbError& error) {
  const std::string wanted = std::to_string(shard_id);
  for (std::string_view table : kCaptureTables) {
    std::string sql =
        "SELECT COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
        " AND COLUMN_NAME = 'shard_id' AND TABLE_NAME = ";
    DbConnection::appendLiteral(sql, table);
    DbRows rows;
    if (!db.query(sql, rows, error)) return false;
    if (rows.empty() || rows[0].empty() || !rows[0][0]) {
      error = DbError{0, "", std::string(table) + " has no shard_id column (schema older than v7)"};
      return false;
    }
    const std::string& current = *rows[0][0];
    if (current == wanted) continue;
    if (current != "0") {
      error = DbError{0, "",
                      std::string(table) + " holds shard " + current + "'s rows, writer.shard_id is " + wanted +
                          " (set it to " + current + ", or change the column DEFAULT by hand if renumbering)"};
      return false;
    }
    if (!db.execute("ALTER TABLE " + std::string(table) + " ALTER COLUMN shard_id SET DEFAULT " + wanted, error))
      return false;
  }
  return true;
}

}  // namespace sipvault::store
