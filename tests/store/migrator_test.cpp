#include "store/migrator.h"

#include <catch2/catch.hpp>

using namespace sipvault::store;

using namespace sipvault;

TEST_CASE("Migration scripts split into statements at a semicolon ending a line", "[store][migrations]") {
  const auto s = splitStatements(
      "-- comment; not a statement\n"
      "CREATE TABLE a (\n  x INT -- inline\n);\n"
      "\n"
      "  INSERT INTO a VALUES (1);  \n"
      "SELECT ';' FROM a");
  REQUIRE(s.size() == 3);
  CHECK(s[0] == "CREATE TABLE a (\n  x INT -- inline\n)");
  CHECK(s[1] == "INSERT INTO a VALUES (1)");
  CHECK(s[2] == "SELECT ';' FROM a");
}

TEST_CASE("The first-hour placeholder becomes the start of the current UTC hour in microseconds",
          "[store][migrations]") {
  const uint64_t now = 1795701600ull * 1000000ull + 1234567890ull;  // 14:20:34 on 2026-11-26
  CHECK(expandPlaceholders("LESS THAN ({{FIRST_HOUR_US}}), ({{FIRST_HOUR_US}})", now) ==
        "LESS THAN (1795701600000000), (1795701600000000)");
  CHECK(expandPlaceholders("no placeholder", now) == "no placeholder");
}

TEST_CASE("Embedded migrations are numbered from 1 upwards without gaps", "[store][migrations]") {
  const auto m = embeddedMigrations();
  REQUIRE(!m.empty());
  for (size_t i = 0; i < m.size(); ++i) {
    CHECK(m[i].version == static_cast<int>(i) + 1);
    CHECK(!m[i].name.empty());
    CHECK(!splitStatements(m[i].sql).empty());
  }
  CHECK(m[0].name == "initial_schema");
}

TEST_CASE("Every partitioned table of the schema starts with p_past and ends with p_future",
          "[store][migrations]") {
  for (const std::string& st : splitStatements(embeddedMigrations()[0].sql)) {
    if (st.find("PARTITION BY RANGE (capture_us)") == std::string::npos) continue;
    INFO(st.substr(0, 60));
    CHECK(st.find("PARTITION p_past VALUES LESS THAN ({{FIRST_HOUR_US}})") != std::string::npos);
    CHECK(st.find("PARTITION p_future VALUES LESS THAN MAXVALUE") != std::string::npos);
    CHECK(st.find("IF NOT EXISTS") != std::string::npos);
  }
}
