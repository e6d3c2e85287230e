#pragma once
// Aliases in the database (api_aliases, store/sql/010_aliases.sql): the rows admins manage over
// /api/v1/aliases. Values and rules are store/alias_table.h; this class only reads and writes rows.
// Thread-safe (uses the pool); errors are DbError values.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/sql_pool.h"
#include "store/alias_table.h"

namespace sipvault::api {

struct AliasRow {
  store::Alias alias;
  std::string note;
  std::string created_by;
  uint64_t created_us = 0;
  uint64_t updated_us = 0;
};

class AliasStore {
 public:
  explicit AliasStore(SqlPool& pool) : pool_(pool) {}

  enum class Result { Ok, NotFound, Duplicate, Error };

  // Every row, by name then target; rows that no longer parse are left out.
  [[nodiscard]] bool list(std::vector<AliasRow>& out, store::DbError& error);
  [[nodiscard]] bool byId(uint64_t id, std::optional<AliasRow>& out, store::DbError& error);
  // Inserts `row` (id, created_us and updated_us set here). Duplicate: the target has an alias.
  [[nodiscard]] Result create(AliasRow& row, uint64_t now_us, store::DbError& error);
  // Replaces name, target and note of row.alias.id. Duplicate: another row has the target.
  [[nodiscard]] Result update(const AliasRow& row, uint64_t now_us, store::DbError& error);
  [[nodiscard]] Result remove(uint64_t id, store::DbError& error);

 private:
  SqlPool& pool_;
};

}  // namespace sipvault::api
