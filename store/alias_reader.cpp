#include "store/alias_reader.h"

#include <charconv>
#include <string>

namespace sipvault::store {

bool readAliases(DbConnection& db, std::vector<Alias>& out, size_t& skipped, DbError& error) {
  DbRows rows;
  out.clear();
  skipped = 0;
  if (!db.query("SELECT id, name, target FROM api_aliases ORDER BY id LIMIT " + std::to_string(kMaxAliasRows), rows,
                error))
    return false;
  for (const DbRow& row : rows) {
    Alias a;
    std::string why;
    if (row.size() != 3 || !row[0] || !row[1] || !row[2]) {
      ++skipped;
      continue;
    }
    const std::string& id = *row[0];
    auto target = parseAliasTarget(*row[2], why);
    if (!target || !validAliasName(*row[1], why) ||
        std::from_chars(id.data(), id.data() + id.size(), a.id).ec != std::errc()) {
      ++skipped;
      continue;
    }
    a.name = *row[1];
    a.target = *target;
    out.push_back(std::move(a));
  }
  return true;
}

}  // namespace sipvault::store
