#include <catch2/catch.hpp>

#include "store/capture_tables.h"
#include "store/migrator.h"
#include "store/shard_column.h"
#include "tests/support/test_database.h"

using namespace sipvault;
using namespace sipvault::store;

namespace {

constexpr uint64_t kNow = 1795701600ull * 1000000ull;

uint64_t tableCount(test::TestDatabase& db, std::string_view table) {
  return db.count("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '" +
                  std::string(table) + "'");
}

std::string shardDefault(test::TestDatabase& db, std::string_view table) {
  return db.value("SELECT COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND "
                  "COLUMN_NAME = 'shard_id' AND TABLE_NAME = '" +
                  std::string(table) + "'");
}

}  // namespace

TEST_CASE("A head's migrations create the api's tables and no capture table, at the shards' version",
          "[store][cluster][db]") {
  test::TestDatabase head("head_scope");
  MigrationReport report;
  DbError error;
  REQUIRE(migrate(head.conn(), embeddedMigrations(), kNow, report, error, MigrationScope::kHead));
  CHECK(report.version_after == embeddedMigrations().back().version);
  for (std::string_view table : kCaptureTables) CHECK(tableCount(head, table) == 0);
  for (const char* table : {"api_users", "api_sessions", "api_tokens", "api_share_links"})
    CHECK(tableCount(head, table) == 1);
  CHECK(head.count("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND "
                   "TABLE_NAME = 'api_users' AND COLUMN_NAME = 'id'") == 1);
}

TEST_CASE("A writer's shard id becomes the default of every capture table's shard_id", "[store][cluster][db]") {
  test::TestDatabase db("shard_column");
  MigrationReport report;
  DbError error;
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  for (std::string_view table : kCaptureTables) CHECK(shardDefault(db, table) == "0");

  REQUIRE(applyShardId(db.conn(), 3, error));
  for (std::string_view table : kCaptureTables) CHECK(shardDefault(db, table) == "3");
  REQUIRE(db.conn().execute(
      "INSERT INTO sip_rejects (id, capture_us, reason, correlation_id, src_ip, dst_ip, src_port, dst_port, ip_proto, "
      "payload_type, vlan, capture_id, node, raw_len, flags, raw) VALUES (1, " +
          std::to_string(kNow) + ", 'r', '', '', '', 0, 0, 17, 1, 0, 0, '', 1, 0, 'x')",
      error));
  CHECK(db.value("SELECT shard_id FROM sip_rejects") == "3");
  REQUIRE(applyShardId(db.conn(), 3, error));  // again: nothing to do

  SECTION("a writer configured for another shard is refused") {
    CHECK_FALSE(applyShardId(db.conn(), 4, error));
    CHECK(error.message.find("holds shard 3") != std::string::npos);
    CHECK_FALSE(applyShardId(db.conn(), 0, error));
    CHECK(shardDefault(db, "sip_messages") == "3");
  }
}
