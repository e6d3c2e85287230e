#include <catch2/catch.hpp>

#include <string>
#include <tuple>
#include <vector>

#include "store/migrator.h"
#include "store/stored_rows.h"
#include "tests/support/test_database.h"

using namespace sipvault::store;

using namespace sipvault;

namespace {

constexpr uint64_t kNow = 1795701600ull * 1000000ull + 25ull * 60 * 1000000;  // 2026-11-26 14:25 UTC

}  // namespace

TEST_CASE("Migrations create the schema on an empty database and re-apply as a no-op",
          "[store][schema][db]") {
  test::TestDatabase db("migrate");
  MigrationReport report;
  DbError error;
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  const int newest = embeddedMigrations().back().version;
  CHECK(report.version_before == 0);
  CHECK(report.version_after == newest);
  CHECK(report.applied.size() == embeddedMigrations().size());
  for (const char* table : {"sip_messages", "sip_rejects", "hep_other", "schema_version"})
    CHECK(db.count("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                   "TABLE_NAME = '" +
                   std::string(table) + "'") == 1);

  MigrationReport again;
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow + 7200ull * 1000000, again, error));
  CHECK(again.version_before == newest);
  CHECK(again.version_after == newest);
  CHECK(again.applied.empty());
  CHECK_FALSE(again.database_is_newer);
  CHECK(db.count("SELECT COUNT(*) FROM schema_version") == embeddedMigrations().size());
}

TEST_CASE("A migration cut short is completed by the next run", "[store][schema][db]") {
  test::TestDatabase db("migrate_cut");
  DbError error;
  // As if the writer died after the first statement of 001: one table, no schema_version row.
  const auto statements = splitStatements(expandPlaceholders(embeddedMigrations()[0].sql, kNow));
  REQUIRE(statements.size() >= 2);
  REQUIRE(db.conn().execute(statements[0], error));
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  CHECK(report.version_before == 0);
  CHECK(report.applied.front() == 1);
  CHECK(
      db.count(
          "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN "
          "('sip_messages','sip_rejects','hep_other')") == 3);
}

TEST_CASE("A database newer than the binary is reported, not touched", "[store][schema][db]") {
  test::TestDatabase db("migrate_newer");
  DbError error;
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  REQUIRE(
      db.conn().execute("INSERT INTO schema_version (version, name) VALUES (999, 'from_the_future')", error));
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  CHECK(report.database_is_newer);
  CHECK(report.applied.empty());
}

TEST_CASE("Every table is range-partitioned on capture_us between p_past and p_future",
          "[store][schema][db]") {
  test::TestDatabase db("migrate_parts");
  DbError error;
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  // sip_messages: see "storage classes" below.
  for (const std::string table : {"sip_rejects", "hep_other", "sip_qos"}) {
    DbRows parts;
    REQUIRE(
        db.conn().query("SELECT PARTITION_NAME, PARTITION_DESCRIPTION FROM information_schema.PARTITIONS "
                        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '" +
                            table + "' ORDER BY PARTITION_ORDINAL_POSITION",
                        parts, error));
    REQUIRE(parts.size() == 2);
    CHECK(parts[0][0] == "p_past");
    CHECK(parts[0][1] == std::to_string(1795701600ull * 1000000ull));  // the hour of kNow
    CHECK(parts[1][0] == "p_future");
    CHECK(parts[1][1] == "MAXVALUE");
    CHECK(
        db.value(
            "SELECT PARTITION_EXPRESSION FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_NAME = '" +
            table + "' LIMIT 1") == "`capture_us`");
  }
}

TEST_CASE("Search columns are indexed: Call-ID on the messages, From, To, R-URI user and correlation per call",
          "[store][schema][db]") {
  test::TestDatabase db("migrate_idx");
  DbError error;
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  // 014: one random-key index per message (the Call-ID); the numbers and the correlation id once
  // per call and hour in sip_call_keys, whose only key is (key_hash, kind, hour_us, call_id_hash).
  CHECK(db.value("SELECT GROUP_CONCAT(DISTINCT INDEX_NAME ORDER BY INDEX_NAME) FROM information_schema.STATISTICS "
                 "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sip_messages'") == "ix_call_id,PRIMARY");
  CHECK(db.value("SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) FROM information_schema.STATISTICS WHERE "
                 "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sip_messages' AND INDEX_NAME = 'ix_call_id'") ==
        "call_id_hash");
  CHECK(db.value("SELECT GROUP_CONCAT(CONCAT(INDEX_NAME, ':', COLUMN_NAME) ORDER BY INDEX_NAME, SEQ_IN_INDEX) FROM "
                 "information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sip_call_keys'") ==
        "PRIMARY:key_hash,PRIMARY:kind,PRIMARY:hour_us,PRIMARY:call_id_hash");
  CHECK(db.count("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND "
                 "TABLE_NAME = 'hep_other' AND COLUMN_NAME = 'correlation_hash'") == 1);
  // sip_qos (012): a call's reports by its Call-ID hash; uncorrelated ones by the media source address.
  CHECK(db.count("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND "
                 "TABLE_NAME = 'sip_qos' AND INDEX_NAME = 'ix_call' AND SEQ_IN_INDEX = 1 AND "
                 "COLUMN_NAME = 'call_id_hash'") == 1);
  CHECK(db.value("SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) FROM information_schema.STATISTICS WHERE "
                 "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sip_qos' AND INDEX_NAME = 'ix_src'") ==
        "src_ip,src_port,capture_us");
}

TEST_CASE("sip_qos has the columns the writer inserts, in order, nullable where a figure may be unknown",
          "[store][schema][db][qos]") {
  test::TestDatabase db("migrate_qos");
  DbError error;
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  DbRows columns;
  REQUIRE(db.conn().query("SELECT COLUMN_NAME, IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                          "DATABASE() AND TABLE_NAME = 'sip_qos' ORDER BY ORDINAL_POSITION",
                          columns, error));
  std::string names, nullable;
  for (const DbRow& c : columns) {
    if (*c[0] == "shard_id") continue;  // not inserted: the writer's shard is its DEFAULT
    names += (names.empty() ? "" : ",") + *c[0];
    if (*c[1] == "YES") nullable += (nullable.empty() ? "" : ",") + *c[0];
  }
  CHECK(names == kQosColumns);
  CHECK(nullable == "packets,lost,highest_seq,fraction_lost,jitter_ms,rtt_ms,mos");
}

TEST_CASE("The api's tables are a store migration: created on an empty database, kept on an old install",
          "[store][schema][db][api]") {
  // Before v2 the api created api_users / api_sessions / api_tokens itself. A database from then
  // (schema v1 plus those tables, with a user in them) migrates forward without loss.
  test::TestDatabase db("migrate_api");
  DbError error;
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations().first(1), kNow, report, error));
  REQUIRE(db.conn().execute(
      "CREATE TABLE api_users (username VARBINARY(64) NOT NULL, role VARBINARY(16) NOT NULL, "
      "password_hash VARBINARY(255) NOT NULL, created_us BIGINT UNSIGNED NOT NULL, "
      "PRIMARY KEY (username)) ENGINE=InnoDB",
      error));
  REQUIRE(db.conn().execute("INSERT INTO api_users VALUES ('admin', 'admin', 'hash', 1)", error));
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  CHECK(report.version_before == 1);
  REQUIRE(!report.applied.empty());
  CHECK(report.applied.front() == 2);  // then every later one (3: share links, 4: page compression)
  for (const char* table : {"api_users", "api_sessions", "api_tokens", "api_share_links", "api_secrets"})
    CHECK(db.count("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                   "TABLE_NAME = '" +
                   std::string(table) + "'") == 1);
  CHECK(db.value("SELECT password_hash FROM api_users WHERE username = 'admin'") == "hash");
}

TEST_CASE("The capture tables are page-compressed (v4), and an older database keeps its rows through the rebuild",
          "[store][schema][db][issue17]") {
  test::TestDatabase db("migrate_pagecomp");
  DbError error;
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations().first(3), kNow, report, error));
  REQUIRE(db.conn().execute(
      "INSERT INTO hep_other (capture_us, correlation_hash, correlation_id, src_ip, dst_ip, src_port, dst_port, "
      "ip_proto, payload_type, vlan, capture_id, node, raw_len, flags, raw) "
      "VALUES (" + std::to_string(kNow) + ", 7, 'c', '', '', 1, 2, 17, 32, 0, 1, 'n', 3, 0, 'abc')",
      error));
  auto compressed = [&] {
    return db.count("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                    "TABLE_NAME IN ('sip_messages', 'sip_rejects', 'hep_other') AND "
                    "CREATE_OPTIONS LIKE '%page_compressed%'");
  };
  CHECK(compressed() == 0);
  REQUIRE(migrate(db.conn(), embeddedMigrations().first(4), kNow, report, error));
  CHECK(report.applied == std::vector<int>{4});
  CHECK(compressed() == 3);
  CHECK(db.value("SELECT raw FROM hep_other WHERE correlation_hash = 7") == "abc");
}

TEST_CASE(
    "v5 binds api sessions and tokens to the user's id, existing ones to their user of today (issue 18)",
    "[store][schema][db][api]") {
  test::TestDatabase db("migrate_ids");
  DbError error;
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations().first(4), kNow, report, error));
  REQUIRE(db.conn().execute(
      "INSERT INTO api_users VALUES ('alice', 'admin', 'hash', 1), ('bob', 'viewer', 'h', 2)", error));
  REQUIRE(db.conn().execute("INSERT INTO api_sessions VALUES (REPEAT('s', 32), 'bob', 3, 4)", error));
  REQUIRE(db.conn().execute(
      "INSERT INTO api_tokens (token_hash, name, username, role, created_us, expires_us) VALUES "
      "(REPEAT('t', 32), 'ci', 'alice', 'viewer', 5, 0), (REPEAT('o', 32), 'orphan', 'gone', 'viewer', 6, 0)",
      error));
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  REQUIRE(!report.applied.empty());
  CHECK(report.applied.front() == 5);
  const std::string bob = db.value("SELECT id FROM api_users WHERE username = 'bob'");
  const std::string alice = db.value("SELECT id FROM api_users WHERE username = 'alice'");
  CHECK(bob != alice);
  CHECK(db.value("SELECT user_id FROM api_sessions") == bob);
  CHECK(db.value("SELECT user_id FROM api_tokens WHERE name = 'ci'") == alice);
  CHECK(db.value("SELECT user_id FROM api_tokens WHERE name = 'orphan'") == "0");  // belongs to no one
  // A start that died half-way runs the script again: every statement may repeat.
  for (const auto& m : embeddedMigrations())
    if (m.version == 5)
      for (const std::string& statement : splitStatements(m.sql)) CHECK(db.conn().execute(statement, error));
  CHECK(db.value("SELECT user_id FROM api_sessions") == bob);
}

TEST_CASE("v6: ids come from the writer's sequence, which starts past every id an older install stored (issue 17)",
          "[store][schema][db][issue17]") {
  test::TestDatabase db("migrate_rowids");
  DbError error;
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations().first(5), kNow, report, error));
  // An older install: AUTO_INCREMENT ids, the highest in block 3 (3 * 65536 + 5).
  const std::string other_row =
      "(capture_us, correlation_hash, correlation_id, src_ip, dst_ip, src_port, dst_port, ip_proto, payload_type, "
      "vlan, capture_id, node, raw_len, flags, raw) VALUES (" + std::to_string(kNow) +
      ", 7, 'c', '', '', 1, 2, 17, 32, 0, 1, 'n', 3, 0, 'abc')";
  REQUIRE(db.conn().execute("INSERT INTO hep_other " + other_row, error));
  REQUIRE(db.conn().execute("ALTER TABLE hep_other AUTO_INCREMENT = 196613", error));
  REQUIRE(db.conn().execute("INSERT INTO hep_other " + other_row, error));
  REQUIRE(db.value("SELECT MAX(id) FROM hep_other") == "196613");

  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  CHECK(report.applied.front() == 6);
  CHECK(db.value("SELECT NEXT VALUE FOR sip_id_blocks") == "4");  // the block after the highest id's
  CHECK(db.count("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND "
                 "INDEX_NAME = 'ix_id'") == 0);
  CHECK(db.count("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND "
                 "EXTRA LIKE '%auto_increment%' AND TABLE_NAME IN ('sip_messages', 'sip_rejects', 'hep_other')") == 0);
  CHECK(db.count("SELECT COUNT(*) FROM hep_other") == 2);
  // A row without an id is refused now: only the writer numbers rows.
  CHECK_FALSE(db.conn().execute("INSERT INTO hep_other " + other_row, error));
  // The script repeats safely (a start that died half-way) and never moves the sequence back.
  for (const auto& m : embeddedMigrations())
    if (m.version == 6)
      for (const std::string& statement : splitStatements(m.sql)) CHECK(db.conn().execute(statement, error));
  CHECK(db.value("SELECT NEXT VALUE FOR sip_id_blocks") == "5");
}

TEST_CASE("The MariaDB the project starts commits durably: redo log synced at each commit, doublewrite on",
          "[store][db][durability]") {
  // The writer acks a batch once committed and the collector then forgets it: only a commit
  // that survives an OS crash makes that ack true (deploy/mariadb.sh, writer/README.md).
  test::TestDatabase db("durable");
  CHECK(db.count("SELECT @@innodb_flush_log_at_trx_commit") == 1);
  CHECK(db.count("SELECT @@innodb_doublewrite") == 1);
}

namespace {

constexpr uint64_t kHour14 = 1795701600ull * 1000000ull;  // the hour of kNow
constexpr uint64_t kHourUs = 3600ull * 1000000ull;

// n rows into sip_messages, ids from first_id, one every step_us from base_us; call_id_hash = id;
// storage_class = id % 3 when `classes` (schema v8), else the column is left out (older schema).
void insertMessages(test::TestDatabase& db, uint64_t first_id, uint64_t n, uint64_t base_us, uint64_t step_us,
                    bool classes) {
  DbError error;
  const std::string id = "(seq + " + std::to_string(first_id - 1) + ")";
  REQUIRE(db.conn().execute(
      std::string("INSERT INTO sip_messages (id, capture_us,") + (classes ? " storage_class," : "") +
          " call_id_hash, from_user_hash, to_user_hash, ruri_user_hash, correlation_hash, method, status, cseq,"
          " call_id, from_user, from_tag, to_user, to_tag, ruri_user, user_agent, via_branch, x_cid, correlation_id,"
          " src_ip, dst_ip, src_port, dst_port, ip_proto, payload_type, vlan, capture_id, node, raw_len, flags, raw)"
          " SELECT " + id + ", " + std::to_string(base_us) + " + (seq - 1) * " + std::to_string(step_us) + "," +
          (classes ? " " + id + " % 3," : "") + " " + id +
          ", 0, 0, 0, 0, 'INVITE', 0, 1, CONCAT('call-', " + id +
          "), '', '', '', '', '', '', '', '', '', '', '', 0, 0, 17, 1, 0, 0, '', 0, 0, '' FROM seq_1_to_" +
          std::to_string(n),
      error));
}

std::vector<std::string> explainPartitions(test::TestDatabase& db, const std::string& where, std::string& key) {
  DbRows rows;
  DbError error;
  REQUIRE(db.conn().query("EXPLAIN PARTITIONS SELECT id, capture_us FROM sip_messages WHERE " + where, rows, error));
  REQUIRE(rows.size() == 1);
  // id, select_type, table, partitions, type, possible_keys, key, ...
  key = rows[0][6] ? *rows[0][6] : "";
  std::vector<std::string> out;
  std::string list = rows[0][3] ? *rows[0][3] : "";
  for (size_t pos = 0; pos < list.size();) {
    const size_t comma = list.find(',', pos);
    out.push_back(list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    pos = comma == std::string::npos ? list.size() : comma + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("v8 moves an existing install to storage classes without loss: old rows become calls",
          "[store][schema][db][classes]") {
  test::TestDatabase db("migrate_classes");
  DbError error;
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations().first(5), kNow - 2 * kHourUs, report, error));
  // Rows before and after the hour v8 runs in (kNow): p_c0_past and p_c0_future.
  insertMessages(db, 1, 600, kHour14 - 2 * kHourUs, 24ull * 1000000, false);  // 12:00 to 16:00
  REQUIRE(db.count("SELECT COUNT(*) FROM sip_messages") == 600);
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  CHECK(report.version_after >= 8);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == 600);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages WHERE storage_class = 0") == 600);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages PARTITION (p_c0_past)") == 300);  // 12:00 to 14:00
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages PARTITION (p_c0_future)") == 300);
  CHECK(db.value("SELECT GROUP_CONCAT(PARTITION_NAME ORDER BY PARTITION_ORDINAL_POSITION) FROM "
                 "information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sip_messages'") ==
        "p_c0_past,p_c0_future,p_c1_past,p_c1_future,p_c2_past,p_c2_future");
  CHECK(db.value("SELECT PARTITION_DESCRIPTION FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() "
                 "AND TABLE_NAME = 'sip_messages' AND PARTITION_NAME = 'p_c1_past'") ==
        "1," + std::to_string(kHour14));
  CHECK(db.count("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                 "TABLE_NAME = 'sip_summaries'") == 1);
  // A start that died half-way runs v8 again: nothing lost, nothing doubled.
  REQUIRE(db.conn().execute("DELETE FROM schema_version WHERE version = 8", error));
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == 600);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages PARTITION (p_c0_past)") == 300);
}

TEST_CASE("A time-range search naming the storage classes prunes to class x hour partitions and uses the index",
          "[store][schema][db][classes]") {
  test::TestDatabase db("classes_prune");
  DbError error;
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  // Hours 14..17 for every class, as the writer's maintenance would split them off.
  for (int c = 0; c < 3; ++c) {
    const std::string p = "p_c" + std::to_string(c) + "_";
    std::string sql = "ALTER TABLE sip_messages REORGANIZE PARTITION " + p + "future INTO (";
    for (int h = 0; h < 4; ++h)
      sql += "PARTITION " + p + "h" + std::to_string(14 + h) + " VALUES LESS THAN (" + std::to_string(c) + ", " +
             std::to_string(kHour14 + (h + 1) * kHourUs) + "), ";
    sql += "PARTITION " + p + "future VALUES LESS THAN (" + std::string(c == 2 ? "MAXVALUE" : std::to_string(c)) +
           ", MAXVALUE))";
    REQUIRE(db.conn().execute(sql, error));
  }
  insertMessages(db, 1, 24000, kHour14, 600000, true);  // 4 h, 10 rows a minute... per class ~2000/h
  REQUIRE(db.conn().execute("ANALYZE TABLE sip_messages", error));
  const std::string from = std::to_string(kHour14 + kHourUs + 60ull * 1000000);  // 15:01 to 16:30
  const std::string to = std::to_string(kHour14 + 2 * kHourUs + 30ull * 60 * 1000000);
  const std::string range = " AND capture_us >= " + from + " AND capture_us < " + to;
  std::string key;

  auto all = explainPartitions(db, "storage_class IN (0,1,2)" + range, key);
  CHECK(all == std::vector<std::string>{"p_c0_h15", "p_c0_h16", "p_c1_h15", "p_c1_h16", "p_c2_h15", "p_c2_h16"});
  auto one = explainPartitions(db, "storage_class IN (1)" + range, key);
  CHECK(one == std::vector<std::string>{"p_c1_h15", "p_c1_h16"});
  // An indexed search (Call-ID) over the pruned partitions uses its index, not a scan.
  auto by_call = explainPartitions(db, "storage_class IN (0,1,2)" + range + " AND call_id_hash = 9001", key);
  CHECK(by_call.size() == 6);
  CHECK(key == "ix_call_id");
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages WHERE storage_class IN (0,1,2)" + range +
                 " AND call_id_hash = 9001") == 1);
  // Without the class list the optimizer cannot prune: every partition is read. The api always
  // names the classes.
  auto unnamed = explainPartitions(db, "capture_us >= " + from + " AND capture_us < " + to, key);
  CHECK(unnamed.size() == 3 * 6);
}

TEST_CASE("sip_minute_stats (v13) holds one count per minute, kind and name, hourly-partitioned on minute_us",
          "[store][schema][db][stats]") {
  test::TestDatabase db("migrate_minute_stats");
  DbError error;
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  DbRows parts;
  REQUIRE(db.conn().query("SELECT PARTITION_NAME, PARTITION_DESCRIPTION, PARTITION_EXPRESSION FROM "
                          "information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                          "'sip_minute_stats' ORDER BY PARTITION_ORDINAL_POSITION",
                          parts, error));
  REQUIRE(parts.size() == 2);
  CHECK(parts[0][0] == "p_past");
  CHECK(parts[0][1] == std::to_string(1795701600ull * 1000000ull));  // the hour of kNow
  CHECK(parts[0][2] == "`minute_us`");
  CHECK(parts[1][0] == "p_future");
  CHECK(parts[1][1] == "MAXVALUE");
  CHECK(db.value("SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE "
                 "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sip_minute_stats'") ==
        std::string(kMinuteStatColumns) + ",shard_id");
  CHECK(db.value("SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) FROM information_schema.STATISTICS WHERE "
                 "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sip_minute_stats' AND INDEX_NAME = 'PRIMARY'") ==
        "minute_us,kind,name");
  // The writer's upsert adds to an existing count; names are bytes (case and any byte kept apart).
  const std::string minute = std::to_string(kNow);
  for (int i = 0; i < 2; ++i)
    REQUIRE(db.conn().execute("INSERT INTO sip_minute_stats (" + std::string(kMinuteStatColumns) + ") VALUES (" +
                                  minute + ", 2, 'Agent', 3), (" + minute + ", 2, 'agent', 1), (" + minute +
                                  ", 0, 'INVITE', 5) ON DUPLICATE KEY UPDATE count = count + VALUES(count)",
                              error));
  CHECK(db.count("SELECT count FROM sip_minute_stats WHERE kind = 2 AND name = 'Agent'") == 6);
  CHECK(db.count("SELECT count FROM sip_minute_stats WHERE kind = 2 AND name = 'agent'") == 2);
  CHECK(db.count("SELECT count FROM sip_minute_stats WHERE kind = 0") == 10);
  CHECK(db.count("SELECT shard_id FROM sip_minute_stats WHERE kind = 0") == 0);
}

TEST_CASE("v14 moves an install's number and correlation indexes into sip_call_keys without losing a search",
          "[store][schema][db][callkeys]") {
  test::TestDatabase db("migrate_call_keys");
  DbError error;
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations().first(13), kNow - 2 * kHourUs, report, error));
  // 6000 messages over 4 hours (12:00 to 16:00), 7 per call; 50 A-numbers, 80 B-numbers, the
  // R-URI user on requests only, a correlation id on one call in ten.
  insertMessages(db, 1, 6000, kHour14 - 2 * kHourUs, 2400000, true);
  REQUIRE(db.conn().execute(
      "UPDATE sip_messages SET call_id_hash = 1 + (id - 1) DIV 7, from_user_hash = 1000 + ((id - 1) DIV 7) % 50, "
      "to_user_hash = 2000 + ((id - 1) DIV 7) % 80, ruri_user_hash = IF(id % 7 IN (1, 5), 2000 + ((id - 1) DIV 7) % 80, 0), "
      "correlation_hash = IF(((id - 1) DIV 7) % 10 = 0, 3000 + (id - 1) DIV 7, 0)",
      error));
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  CHECK(report.version_after >= 14);
  const std::string want =
      "SELECT COUNT(*) FROM (SELECT from_user_hash, 1, capture_us - capture_us % 3600000000, call_id_hash FROM "
      "sip_messages WHERE from_user_hash <> 0 UNION SELECT to_user_hash, 2, capture_us - capture_us % 3600000000, "
      "call_id_hash FROM sip_messages WHERE to_user_hash <> 0 UNION SELECT ruri_user_hash, 3, capture_us - capture_us "
      "% 3600000000, call_id_hash FROM sip_messages WHERE ruri_user_hash <> 0 UNION SELECT correlation_hash, 4, "
      "capture_us - capture_us % 3600000000, call_id_hash FROM sip_messages WHERE correlation_hash <> 0) k";
  const uint64_t keys = db.count("SELECT COUNT(*) FROM sip_call_keys");
  CHECK(keys == db.count(want));
  CHECK(keys > 3 * 858);  // 858 calls: From, To, R-URI each, a few in two hours
  CHECK(keys < 6000);     // far fewer than the four index entries per message they replace
  // Every key is one of a message's, and the other way round (the joins find the same rows).
  CHECK(db.count("SELECT COUNT(*) FROM sip_call_keys k WHERE NOT EXISTS (SELECT 1 FROM sip_messages m WHERE "
                 "m.call_id_hash = k.call_id_hash AND m.capture_us - m.capture_us % 3600000000 = k.hour_us AND "
                 "k.key_hash = CASE k.kind WHEN 1 THEN m.from_user_hash WHEN 2 THEN m.to_user_hash WHEN 3 THEN "
                 "m.ruri_user_hash ELSE m.correlation_hash END)") == 0);
  CHECK(db.value("SELECT GROUP_CONCAT(DISTINCT INDEX_NAME ORDER BY INDEX_NAME) FROM information_schema.STATISTICS "
                 "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sip_messages'") == "ix_call_id,PRIMARY");
  // A-number 1007 over the 4 h finds its calls' messages through the keys, as the api asks
  // (api/search_sql.cpp appendCallKeyMatch), and exactly the messages the column says.
  const std::string range = std::to_string(kHour14 - 2 * kHourUs) + " AND " + std::to_string(kHour14 + 2 * kHourUs);
  const std::string by_number =
      "SELECT COUNT(*) FROM sip_messages WHERE storage_class IN (0,1,2) AND capture_us BETWEEN " + range +
      " AND call_id_hash IN (SELECT call_id_hash FROM sip_call_keys WHERE key_hash = 1007 AND kind IN (1) AND "
      "hour_us BETWEEN " + range + ") AND from_user_hash = 1007";
  CHECK(db.count(by_number) == db.count("SELECT COUNT(*) FROM sip_messages WHERE from_user_hash = 1007"));
  CHECK(db.count(by_number) > 100);
  // A start that died half-way runs v14 again: nothing doubled.
  REQUIRE(db.conn().execute("DELETE FROM schema_version WHERE version = 14", error));
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  CHECK(db.count("SELECT COUNT(*) FROM sip_call_keys") == keys);
}

TEST_CASE("v15 adds sip_hour_stats, hourly-partitioned on hour_us, with the hour sums of the minutes already counted",
          "[store][schema][db][stats]") {
  test::TestDatabase db("migrate_hour_stats");
  DbError error;
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations().first(14), kNow - 2 * kHourUs, report, error));
  // Counts of 12:59, 13:00, 13:59 and 14:25 in two kinds, as a v14 writer left them.
  const auto minute = [](uint64_t at) { return std::to_string(at - at % 60000000); };
  for (const auto& [at, kind, name, count] :
       std::vector<std::tuple<uint64_t, int, std::string, int>>{{kHour14 - kHourUs - 60000000, 0, "INVITE", 3},
                                                                {kHour14 - kHourUs, 0, "INVITE", 4},
                                                                {kHour14 - 60000000, 0, "INVITE", 5},
                                                                {kHour14 - 60000000, 2, "phone", 6},
                                                                {kNow, 0, "INVITE", 7}})
    REQUIRE(db.conn().execute("INSERT INTO sip_minute_stats (" + std::string(kMinuteStatColumns) + ") VALUES (" +
                                  minute(at) + ", " + std::to_string(kind) + ", '" + name + "', " +
                                  std::to_string(count) + ")",
                              error));
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  REQUIRE(report.version_after >= 15);
  CHECK(db.value("SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE "
                 "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sip_hour_stats'") ==
        std::string(kHourStatColumns) + ",shard_id");
  CHECK(db.value("SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) FROM information_schema.STATISTICS WHERE "
                 "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sip_hour_stats' AND INDEX_NAME = 'PRIMARY'") ==
        "hour_us,kind,name");
  CHECK(db.value("SELECT GROUP_CONCAT(PARTITION_NAME ORDER BY PARTITION_ORDINAL_POSITION) FROM "
                 "information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                 "'sip_hour_stats'") == "p_past,p_future");
  CHECK(db.value("SELECT PARTITION_EXPRESSION FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() "
                 "AND TABLE_NAME = 'sip_hour_stats' LIMIT 1") == "`hour_us`");
  // 12:00 holds 12:59; 13:00 holds 13:00 and 13:59; 14:00 holds 14:25.
  const auto hourCount = [&](uint64_t hour, int kind) {
    return db.count("SELECT COALESCE(SUM(count), 0) FROM sip_hour_stats WHERE hour_us = " + std::to_string(hour) +
                    " AND kind = " + std::to_string(kind));
  };
  CHECK(hourCount(kHour14 - 2 * kHourUs, 0) == 3);
  CHECK(hourCount(kHour14 - kHourUs, 0) == 9);
  CHECK(hourCount(kHour14 - kHourUs, 2) == 6);
  CHECK(hourCount(kHour14, 0) == 7);
  CHECK(db.count("SELECT COUNT(*) FROM sip_hour_stats") == 4);
}
