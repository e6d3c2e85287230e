#include <catch2/catch.hpp>

#include "store/migrator.h"
#include "tests/support/test_database.h"
#include "tests/writer/writer_corpus.h"
#include "writer/partition_maintainer.h"
#include "writer/record_converter.h"
#include "writer/row_inserter.h"

using namespace sipvault::store;
using namespace sipvault::writer;

using namespace sipvault;
using std::chrono::hours;

namespace {

constexpr uint64_t kHour14 = 1795701600ull * 1000000ull;     // 2026-11-26 14:00 UTC
constexpr uint64_t kNow = kHour14 + 25ull * 60 * 1000000;     // 14:25

void migrateAt(test::TestDatabase& db, uint64_t now) {
  DbError error;
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations(), now, report, error));
}

std::vector<PartitionInfo> partitions(test::TestDatabase& db, const std::string& table) {
  std::vector<PartitionInfo> parts;
  DbError error;
  REQUIRE(PartitionMaintainer::listPartitions(db.conn(), table, parts, error));
  return parts;
}

// The partitions of one storage class of sip_messages (p_cN_...).
std::vector<PartitionInfo> classPartitions(test::TestDatabase& db, unsigned storage_class) {
  std::vector<PartitionInfo> parts;
  DbError error;
  const PartitionSeries series{"sip_messages", PartitionLayout::forClass(storage_class, storage_class == 2), hours(1)};
  REQUIRE(PartitionMaintainer::listSeries(db.conn(), series, parts, error));
  return parts;
}

void storeAt(test::TestDatabase& db, const std::vector<uint64_t>& times, uint32_t storage_class = 0) {
  RowBatch batch;
  RecordConverter conv;
  const std::string raw = test::readFile(test::corpusDir() / "rfc4475/valid/wsinv.dat");
  for (uint64_t t : times) {
    wire::SipRecord r = test::sipRecordFor(raw, t);
    r.set_storage_class(storage_class);
    conv.append(r, batch);
  }
  RowInserter inserter(InsertMethod::Bulk);
  DbError error;
  uint64_t skipped = 0;
  REQUIRE(inserter.insert(db.conn(), batch, error, skipped));
}

// The 6 capture times of the corpus pcap with broken clocks: 2012, 2018, 2018, 2023, 2071, 2092.
std::vector<uint64_t> brokenClockTimes() {
  std::vector<uint64_t> out;
  for (const auto& f : test::readIpv6UdpPcap(test::corpusDir() / "pcap/heplify_sip_ipv6_udp.pcap"))
    out.push_back(f.capture_us);
  REQUIRE(out.size() == 6);
  return out;
}

}  // namespace

TEST_CASE("Partitions for the current hour and the hours ahead are created on every table", "[writer][partitions][db]") {
  test::TestDatabase db("parts_ahead");
  migrateAt(db, kNow);
  PartitionOptions opt;
  opt.ahead = hours(6);
  PartitionMaintainer m(opt);
  MaintenanceOutcome outcome;
  DbError error;
  REQUIRE(m.runOnce(db.conn(), kNow, outcome, error));
  CHECK(outcome.created == 11 * 7);  // 3 storage classes of sip_messages, sip_rejects, hep_other, sip_summaries,
                                     // sip_headers, sip_qos, sip_minute_stats, sip_call_keys, sip_hour_stats
  CHECK(outcome.dropped == 0);
  for (const std::string table :
       {"sip_rejects", "hep_other", "sip_summaries", "sip_headers", "sip_qos", "sip_minute_stats", "sip_call_keys",
        "sip_hour_stats"}) {
    const auto parts = partitions(db, table);
    REQUIRE(parts.size() == 9);
    CHECK(parts.front().name == "p_past");
    CHECK(parts.back().name == "p_future");
    for (int i = 0; i < 7; ++i) {
      CHECK(parts[1 + i].name == hourPartitionName(kHour14 + i * kHourUs));
      CHECK(parts[1 + i].less_than == kHour14 + (i + 1) * kHourUs);
    }
  }
  REQUIRE(partitions(db, "sip_messages").size() == 3 * 9);
  for (unsigned c = 0; c < 3; ++c) {
    const auto parts = classPartitions(db, c);
    REQUIRE(parts.size() == 9);
    const std::string prefix = "p_c" + std::to_string(c) + "_";
    CHECK(parts.front().name == prefix + "past");
    CHECK(parts.back().name == prefix + "future");
    for (int i = 0; i < 7; ++i) {
      CHECK(parts[1 + i].name == hourPartitionName(kHour14 + i * kHourUs, prefix));
      CHECK(parts[1 + i].less_than == kHour14 + (i + 1) * kHourUs);
    }
  }
  // A second round in the same hour has nothing to do.
  REQUIRE(m.runOnce(db.conn(), kNow + 60ull * 1000000, outcome, error));
  CHECK(outcome.created == 0);
}

TEST_CASE("Rows captured in 2012 and 2092 are stored in p_past and p_future, not lost", "[writer][partitions][db]") {
  test::TestDatabase db("parts_window");
  migrateAt(db, kNow);
  MaintenanceOutcome outcome;
  DbError error;
  REQUIRE(PartitionMaintainer({}).runOnce(db.conn(), kNow, outcome, error));
  const auto times = brokenClockTimes();
  storeAt(db, times);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == 6);
  // 2012, 2018, 2018, 2023 are before the window; 2071 and 2092 after it.
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages PARTITION (p_c0_past)") == 4);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages PARTITION (p_c0_future)") == 2);
  CHECK(db.count("SELECT MAX(capture_us) FROM sip_messages") == 3867576602251758ull);
  // Another class's out-of-window rows land in that class's own past/future partitions.
  storeAt(db, times, 1);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages PARTITION (p_c1_past)") == 4);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages PARTITION (p_c1_future)") == 2);
}

TEST_CASE("Partitions older than the retention are dropped with their rows, out-of-window rows stay",
          "[writer][partitions][db]") {
  test::TestDatabase db("parts_retention");
  migrateAt(db, kNow);
  PartitionOptions opt;
  opt.retention = hours(2);
  opt.ahead = hours(2);
  PartitionMaintainer m(opt);
  MaintenanceOutcome outcome;
  DbError error;
  REQUIRE(m.runOnce(db.conn(), kNow, outcome, error));  // 14, 15, 16
  storeAt(db, brokenClockTimes());
  storeAt(db, {kNow, kNow + 1, kHour14 + kHourUs + 5, kHour14 + 2 * kHourUs + 5});  // 14:25 x2, 15:00, 16:00
  REQUIRE(db.count("SELECT COUNT(*) FROM sip_messages") == 10);

  // 17:10 with 2 h retention: the 14:00 hour (ends 15:00 <= 15:10) goes, 15:00 stays.
  const uint64_t later = kHour14 + 3 * kHourUs + 10ull * 60 * 1000000;
  REQUIRE(m.runOnce(db.conn(), later, outcome, error));
  // One per series but sip_summaries (its own, longer retention); sip_headers, sip_qos,
  // sip_minute_stats, sip_call_keys and sip_hour_stats (the longest class retention: 2 h here) too.
  CHECK(outcome.dropped == 10);
  CHECK(outcome.created == 11 * 3);  // 17, 18, 19 (up to 16 existed)
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages WHERE capture_us >= " + std::to_string(kHour14) +
                 " AND capture_us < " + std::to_string(kHour14 + kHourUs)) == 0);
  // p_c0_past ends at 14:00, before the retention's horizon (15:10): all of it is older, so it
  // is emptied (before 008 it held an upgraded install's rows, which would otherwise stay forever).
  CHECK(outcome.truncated == 1);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages PARTITION (p_c0_past)") == 0);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == 4);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages PARTITION (p_c0_future)") == 2);
  auto parts = classPartitions(db, 0);
  REQUIRE(parts.size() == 2 + 5);
  CHECK(parts[1].name == hourPartitionName(kHour14 + kHourUs, "p_c0_"));

  // Much later everything hourly is gone; the rows ahead of time (p_c0_future) stay.
  REQUIRE(m.runOnce(db.conn(), kNow + 100 * kHourUs, outcome, error));
  CHECK(outcome.truncated == 0);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == 2);
  parts = classPartitions(db, 0);
  CHECK(parts.front().name == "p_c0_past");
  CHECK(parts.back().name == "p_c0_future");
}

TEST_CASE("Splitting p_future moves rows captured ahead of time into their hour", "[writer][partitions][db]") {
  test::TestDatabase db("parts_split");
  migrateAt(db, kNow);
  storeAt(db, {kHour14 + 3 * kHourUs + 42});  // 17:00, before any hourly partition exists
  REQUIRE(db.count("SELECT COUNT(*) FROM sip_messages PARTITION (p_c0_future)") == 1);
  MaintenanceOutcome outcome;
  DbError error;
  REQUIRE(PartitionMaintainer({}).runOnce(db.conn(), kNow, outcome, error));
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages PARTITION (p_c0_future)") == 0);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages PARTITION (" + hourPartitionName(kHour14 + 3 * kHourUs, "p_c0_") +
                 ")") == 1);
}

TEST_CASE("A maintenance round is skipped while another writer holds the lock", "[writer][partitions][db]") {
  test::TestDatabase db("parts_lock");
  migrateAt(db, kNow);
  DbError error;
  auto other = DbConnection::open(db.options(), error);
  REQUIRE(other);
  REQUIRE(other->queryValue("SELECT GET_LOCK(CONCAT('sipvault.partitions.', DATABASE()), 0)", error) == "1");
  MaintenanceOutcome outcome;
  REQUIRE(PartitionMaintainer({}).runOnce(db.conn(), kNow, outcome, error));
  CHECK(outcome.skipped);
  CHECK(outcome.created == 0);
  REQUIRE(other->queryValue("SELECT RELEASE_LOCK(CONCAT('sipvault.partitions.', DATABASE()))", error) == "1");
  REQUIRE(PartitionMaintainer({}).runOnce(db.conn(), kNow, outcome, error));
  CHECK_FALSE(outcome.skipped);
  CHECK(outcome.created > 0);
}

TEST_CASE("A session's prepared bulk INSERT keeps working while another session reorganizes and drops partitions",
          "[writer][partitions][db]") {
  // A DbConnection keeps its prepared statements for its whole life (db.conn() here, the DB
  // thread's session in the writer); partition maintenance runs on another connection
  // (writer_service.cpp), so the server has to re-prepare after each ALTER TABLE.
  test::TestDatabase db("parts_prepared");
  migrateAt(db, kNow);
  DbError error;
  auto maintenance = DbConnection::open(db.options(), error);
  REQUIRE(maintenance);
  PartitionOptions opt;
  opt.retention = hours(1);
  opt.ahead = hours(1);
  PartitionMaintainer m(opt);
  MaintenanceOutcome outcome;
  storeAt(db, {kNow, kNow + 1});  // prepares before any hourly partition exists
  REQUIRE(m.runOnce(*maintenance, kNow, outcome, error));
  storeAt(db, {kNow + 2});
  // Three hours later: 14:00 and 15:00 are dropped, 17:00 and 18:00 split off p_future.
  REQUIRE(m.runOnce(*maintenance, kHour14 + 3 * kHourUs + 5, outcome, error));
  REQUIRE(outcome.dropped > 0);
  REQUIRE(outcome.created > 0);
  const uint64_t at17 = kHour14 + 3 * kHourUs + 7;
  storeAt(db, {at17, at17 + 1, at17 + 2});
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == 3);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages PARTITION (" + hourPartitionName(kHour14 + 3 * kHourUs, "p_c0_") +
                 ")") == 3);
}

TEST_CASE("Each storage class keeps its own hours for its own retention", "[writer][partitions][db][classes]") {
  test::TestDatabase db("parts_classes");
  migrateAt(db, kNow);
  PartitionOptions opt;
  opt.ahead = hours(2);
  opt.class_retention = {hours(48), hours(2), hours(24)};  // calls, registrations, other
  opt.retention = hours(1);                                // rejects, other HEP
  PartitionMaintainer m(opt);
  MaintenanceOutcome outcome;
  DbError error;
  REQUIRE(m.runOnce(db.conn(), kNow, outcome, error));
  storeAt(db, {kNow, kNow + 1}, 0);
  storeAt(db, {kNow + 2, kNow + 3, kNow + 4}, 1);
  storeAt(db, {kNow + 5}, 2);
  // A custom header value of the 14:25 call (its message's id is not checked here).
  REQUIRE(db.conn().execute("INSERT INTO sip_headers (capture_us, message_id, seq, kind, name_hash, value_hash, name, "
                            "value) VALUES (" + std::to_string(kNow) + ", 1, 0, 0, 1, 2, 'X-Leg', 'a')", error));
  const std::string hour14 = hourPartitionName(kHour14, "");
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages PARTITION (p_c0_" + hour14 + ")") == 2);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages PARTITION (p_c1_" + hour14 + ")") == 3);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages PARTITION (p_c2_" + hour14 + ")") == 1);
  // 17:10: the registrations' 14:00 hour is past its 2 h; calls and other keep theirs.
  REQUIRE(m.runOnce(db.conn(), kHour14 + 3 * kHourUs + 10ull * 60 * 1000000, outcome, error));
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages WHERE storage_class = 1") == 0);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages WHERE storage_class = 0") == 2);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages WHERE storage_class = 2") == 1);
  // Two days later the other class's hour went after 24 h, the calls' after 48 h.
  REQUIRE(m.runOnce(db.conn(), kHour14 + 25 * kHourUs + 5, outcome, error));
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages WHERE storage_class = 2") == 0);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages WHERE storage_class = 0") == 2);
  // The per-minute counts and the header values stay as long as the longest class (calls, 48 h),
  // not writer.retention_hours (1 h): all six still counted, the call's header still there.
  CHECK(db.count("SELECT SUM(count) FROM sip_minute_stats WHERE kind IN (0, 1)") == 6);
  CHECK(db.count("SELECT SUM(count) FROM sip_hour_stats WHERE kind IN (0, 1)") == 6);
  CHECK(db.count("SELECT COUNT(*) FROM sip_headers") == 1);
  REQUIRE(m.runOnce(db.conn(), kHour14 + 49 * kHourUs + 5, outcome, error));
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == 0);
  CHECK(db.count("SELECT COUNT(*) FROM sip_minute_stats") == 0);
  CHECK(db.count("SELECT COUNT(*) FROM sip_hour_stats") == 0);
  CHECK(db.count("SELECT COUNT(*) FROM sip_headers") == 0);
}
