#pragma once
// Versioned schema migrations: store/sql/NNN_name.sql, embedded in the binary at build time and
// applied in order on start. Table `schema_version` (version, name, applied_at) records what ran.
//
// Script format (pure helpers below, unit-tested):
//   * a statement ends with ';' at the end of a line; lines starting with '--' are comments;
//   * {{FIRST_HOUR_US}} is replaced with the start of the current UTC hour in µs (the initial
//     p_past bound; see 001_initial_schema.sql);
//   * statements must be idempotent (IF NOT EXISTS ...): DDL auto-commits, so a migration cut
//     short is re-run from its first statement.
// Several writers starting at once serialize on a server lock (GET_LOCK) per database.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/db_connection.h"

namespace sipvault::store {

struct Migration {
  int version = 0;        // NNN from the file name
  std::string_view name;  // the rest of the file name, without .sql
  std::string_view sql;   // the script
};

// The scripts compiled into this binary, ascending by version.
[[nodiscard]] std::span<const Migration> embeddedMigrations();

// Statements of a script in order, without comment lines and without the final ';'.
[[nodiscard]] std::vector<std::string> splitStatements(std::string_view script);
// True when a statement of the migration names a capture table (a head skips it, MigrationScope).
[[nodiscard]] bool isCaptureMigration(const std::vector<std::string>& statements);
// Replaces every {{FIRST_HOUR_US}} with the start of now_us's UTC hour.
[[nodiscard]] std::string expandPlaceholders(std::string_view sql, uint64_t now_us);

struct MigrationReport {
  int version_before = 0;  // 0 = empty database
  int version_after = 0;
  std::vector<int> applied;        // versions applied by this call
  bool database_is_newer = false;  // the database has versions this binary does not know
};

// Which tables a database holds. kHead: a cluster head (docs/cluster.md), whose capture tables are
// Spider tables over the shards made by tools/sipvault-cluster: a migration with any statement
// naming a capture table (store/capture_tables.h) is skipped whole (its other statements, such as
// 006's sequence and session variables, serve the capture tables), the others (the api's tables)
// applied, and every version recorded, so the head's version is the one its shards must have.
// Hence: never mix capture tables and api tables in one migration.
enum class MigrationScope { kAll, kHead };

// Brings the database `db` is connected to up to the newest of `migrations`. Idempotent.
// False with `error` set when a statement fails (the report says how far it got).
[[nodiscard]] bool migrate(DbConnection& db, std::span<const Migration> migrations, uint64_t now_us,
                           MigrationReport& report, DbError& error, MigrationScope scope = MigrationScope::kAll);

}  // namespace sipvault::store
