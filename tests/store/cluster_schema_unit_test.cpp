#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

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

TEST_CASE("A migration is either the api's (applied on a head) or the capture tables' (skipped)", "[store][cluster]") {
  for (const Migration& m : embeddedMigrations()) {
    const auto statements = splitStatements(m.sql);
    const bool capture = isCaptureMigration(statements);
    INFO("migration " << m.version << " " << m.name);
    // Never both: a head would lose the api statements of a capture migration.
    for (const std::string& s : statements) {
      const bool api_table = s.find("api_") != std::string::npos;
      CHECK_FALSE((capture && api_table));
    }
    if (m.version == 2 || m.version == 3 || m.version == 5) CHECK_FALSE(capture);
    if (m.version == 1 || m.version == 4 || m.version == 6 || m.version == 7 || m.version == 13 ||
        m.version == 14 || m.version == 15)
      CHECK(capture);
  }
}

TEST_CASE("tools/sipvault-cluster makes a Spider table for every capture table, and only those", "[store][cluster]") {
  std::ifstream in(std::string(SIPVAULT_TOOLS_DIR) + "/sipvault-cluster");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string tool = text.str();
  const size_t start = tool.find("CAPTURE_TABLES = (");
  REQUIRE(start != std::string::npos);
  const std::string list = tool.substr(start, tool.find(')', start) - start);
  std::vector<std::string> names;
  const std::regex quoted("\"([a-z_]+)\"");
  for (auto it = std::sregex_iterator(list.begin(), list.end(), quoted); it != std::sregex_iterator(); ++it)
    names.push_back((*it)[1]);
  std::vector<std::string> want(kCaptureTables.begin(), kCaptureTables.end());
  CHECK(names == want);
}
