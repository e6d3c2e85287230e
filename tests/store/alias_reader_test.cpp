// store/alias_reader.h against the real MariaDB: what the parser reads from api_aliases (010).
#include <catch2/catch.hpp>

#include "store/alias_reader.h"
#include "store/migrator.h"
#include "tests/support/test_database.h"

using namespace sipvault;
using namespace sipvault::store;

TEST_CASE("the alias reader returns every valid row and skips (counts) rows that do not parse", "[store][alias]") {
  test::TestDatabase db("aliases");
  MigrationReport report;
  DbError error;
  REQUIRE(migrate(db.conn(), embeddedMigrations(), 1795701600ull * 1000000ull, report, error));
  REQUIRE(db.conn().execute(
      "INSERT INTO api_aliases (name, target, created_by, created_us, updated_us) VALUES "
      "('SBC', '192.0.2.10:5060', 'a', 1, 1), ('SBC', 'capture:7', 'a', 1, 1), ('Core', '10.0.0.0/8', 'a', 1, 1), "
      "('Broken', 'not-a-target', 'a', 1, 1), (_binary'bad\\nname', '10.1.1.1', 'a', 1, 1)",
      error));
  std::vector<Alias> aliases;
  size_t skipped = 0;
  REQUIRE(readAliases(db.conn(), aliases, skipped, error));
  CHECK(aliases.size() == 3);
  CHECK(skipped == 2);
  const AliasTable table(aliases);
  CHECK(table.names() == std::vector<std::string>{"Core", "SBC"});
  CHECK(*table.nameOf(std::string("\x0a\x01\x02\x03", 4), 5060, 0) == "Core");

  // Without the table (an older schema) it is an error, not a crash.
  REQUIRE(db.conn().execute("DROP TABLE api_aliases", error));
  CHECK_FALSE(readAliases(db.conn(), aliases, skipped, error));
  CHECK(error.code == 1146);  // ER_NO_SUCH_TABLE
}
