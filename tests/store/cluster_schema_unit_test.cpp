#include <catch2/catch.hpp>

#include "store/capture_tables.h"
#include "store/migrator.h"

using namespace sipvault::store;

TEST_CASE("A statement names a capture table only by the whole word", "[store][cluster]") {
  CHECK(namesCaptureTable("ALTER TABLE sip_messages PAGE_COMPRESSED=1"));
  CHECK(namesCaptureTable("CREATE TABLE IF NOT EXISTS `hep_other` (id BIGINT)"));
  CHECK(namesCaptureTable("alter table SIP_REJECTS add column x int"));
  CHECK(namesCaptureTable("UPDATE api_users u JOIN sip_messages m ON 1 SET u.id = 1"));
  CHECK_FALSE(namesCaptureTable("CREATE TABLE IF NOT EXISTS api_users (username VARBINARY(64))"));
  CHECK_FALSE(namesCaptureTable("CREATE TABLE old_sip_messages (id INT)"));
  CHECK_FALSE(namesCaptureTable("CREATE TABLE sip_messages2 (id INT)"));
  CHECK_FALSE(namesCaptureTable(""));
}

TEST_CASE("Every embedded migration statement is either the head's or a capture table's", "[store][cluster]") {
  // The head applies the api's statements: each migration that creates an api table must still
  // have statements left in head scope (002, 003, 005 do; 001, 004, 007 have none).
  int head_statements = 0;
  for (const Migration& m : embeddedMigrations())
    for (const std::string& s : splitStatements(m.sql))
      if (!namesCaptureTable(s)) ++head_statements;
  CHECK(head_statements > 0);
  for (const Migration& m : embeddedMigrations()) {
    if (m.version != 7) continue;
    for (const std::string& s : splitStatements(m.sql)) CHECK(namesCaptureTable(s));
  }
}
