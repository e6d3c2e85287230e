// sip_qos rows through the real MariaDB of the fixture: every insert method stores every column
// (NULL for an unknown figure), in the batch's transaction, with ids from the writer's blocks; the
// table's hourly partitions follow the calls class's retention.
#include <catch2/catch.hpp>

#include <cmath>

#include "proto/packet.h"
#include "store/migrator.h"
#include "store/search_key.h"
#include "tests/support/test_database.h"
#include "tests/writer/writer_corpus.h"
#include "writer/disk_guard.h"
#include "writer/partition_maintainer.h"
#include "writer/record_converter.h"
#include "writer/row_inserter.h"

using namespace sipvault::store;
using namespace sipvault::writer;
using namespace sipvault;
using namespace std::string_literals;

namespace {

constexpr uint64_t kNow = 1795701600ull * 1000000ull + 25ull * 60 * 1000000;  // 2026-11-26 14:25 UTC
constexpr uint64_t kHour14 = 1795701600ull * 1000000ull;

void prepare(test::TestDatabase& db, PartitionOptions partitions = {}) {
  DbError error;
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  MaintenanceOutcome outcome;
  REQUIRE(PartitionMaintainer(std::move(partitions)).runOnce(db.conn(), kNow, outcome, error));
}

// One RR block with every figure known but packets; one SR sender block with only packets.
wire::SipRecord rtcpRecord(uint64_t capture_us, const std::string& call_id) {
  wire::SipRecord r;
  auto* p = r.mutable_packet();
  p->set_capture_time_us(capture_us);
  p->set_src_ip(std::string("\x0a\x00\x00\x05", 4));
  p->set_dst_ip(std::string("\x0a\x00\x00\x06", 4));
  p->set_src_port(40001);
  p->set_dst_port(30001);
  p->set_ip_proto(17);
  p->set_payload_type(kPayloadRtcp);
  p->set_capture_id(77);
  p->set_node_name("media\t'node\\");  // bytes that LOAD DATA and SQL quoting must carry
  p->set_correlation_id(call_id);
  wire::QosFields* rr = r.add_qos();
  rr->set_source(1);
  rr->set_report_type(201);
  rr->set_ssrc(0xfedcba98u);
  rr->set_reporter_ssrc(0x01020304u);
  rr->set_has_lost(true);
  rr->set_lost(-2);
  rr->set_has_highest_seq(true);
  rr->set_highest_seq(4000000000u);
  rr->set_fraction_lost(0.125f);
  rr->set_jitter_ms(3.5f);
  rr->set_rtt_ms(42.25f);
  rr->set_mos(4.25f);
  rr->set_codec("PCMA");
  wire::QosFields* sr = r.add_qos();
  sr->set_source(1);
  sr->set_report_type(200);
  sr->set_direction(1);
  sr->set_ssrc(0x01020304u);
  sr->set_has_packets(true);
  sr->set_packets(9000000000ull);
  sr->set_fraction_lost(-1);
  sr->set_jitter_ms(-1);
  sr->set_rtt_ms(-1);
  return r;
}

}  // namespace

TEST_CASE("sip_qos rows read back column by column, NULL for unknown figures, by every insert method",
          "[writer][roundtrip][db][qos]") {
  const InsertMethod method = GENERATE(InsertMethod::Bulk, InsertMethod::LoadData, InsertMethod::MultiRowInsert);
  INFO("method " << insertMethodName(method));
  test::TestDatabase db("qos_roundtrip");
  prepare(db);
  RecordConverter conv;
  RowBatch batch;
  const std::string call_id = "qos-call\n'1'@example.org";
  conv.append(rtcpRecord(kNow + 7, call_id), batch);
  // A SIP message with an X-RTP-Stat report in the same batch: both tables, one transaction.
  wire::SipRecord bye = test::sipRecordFor(test::readFile(test::corpusDir() / "rfc4475/valid/wsinv.dat"), kNow + 9);
  wire::QosFields* h = bye.add_qos();
  h->set_source(3);
  h->set_direction(1);
  h->set_has_packets(true);
  h->set_packets(812);
  h->set_has_lost(true);
  h->set_lost(3);
  h->set_fraction_lost(-1);
  h->set_jitter_ms(18.0f);
  h->set_rtt_ms(-1);
  h->set_mos(3.9f);
  conv.append(bye, batch);
  REQUIRE(batch.qos.size() == 3);
  RowInserter inserter(method);
  DbError error;
  uint64_t skipped = 0;
  INFO(error.describe());
  REQUIRE(inserter.insert(db.conn(), batch, error, skipped));
  CHECK(skipped == 0);

  DbRows rows;
  REQUIRE(db.conn().query(
      "SELECT id, capture_us, call_id_hash, call_id, source, report_type, direction, HEX(src_ip), HEX(dst_ip), "
      "src_port, dst_port, ssrc, reporter_ssrc, packets, lost, highest_seq, fraction_lost, jitter_ms, rtt_ms, mos, "
      "codec, capture_id, node, shard_id FROM sip_qos ORDER BY capture_us, source, report_type DESC",
      rows, error));
  REQUIRE(rows.size() == 3);
  const DbRow& rr = rows[0];
  CHECK(*rr[0] == std::to_string(batch.qos[0].id));
  CHECK(*rr[1] == std::to_string(kNow + 7));
  CHECK(*rr[2] == std::to_string(searchKey(call_id)));
  CHECK(*rr[3] == call_id);
  CHECK(*rr[4] == "1");
  CHECK(*rr[5] == "201");
  CHECK(*rr[6] == "0");
  CHECK(*rr[7] == "0A000005");
  CHECK(*rr[8] == "0A000006");
  CHECK(*rr[9] == "40001");
  CHECK(*rr[10] == "30001");
  CHECK(*rr[11] == std::to_string(0xfedcba98u));
  CHECK(*rr[12] == std::to_string(0x01020304u));
  CHECK_FALSE(rr[13].has_value());  // packets unknown in a report block
  CHECK(*rr[14] == "-2");
  CHECK(*rr[15] == "4000000000");
  CHECK(std::stod(*rr[16]) == Approx(0.125));
  CHECK(std::stod(*rr[17]) == Approx(3.5));
  CHECK(std::stod(*rr[18]) == Approx(42.25));
  CHECK(std::stod(*rr[19]) == Approx(4.25));
  CHECK(*rr[20] == "PCMA");
  CHECK(*rr[21] == "77");
  CHECK(*rr[22] == "media\t'node\\");
  CHECK(*rr[23] == "0");
  const DbRow& sr = rows[1];
  CHECK(*sr[5] == "200");
  CHECK(*sr[6] == "1");
  CHECK(*sr[13] == "9000000000");
  for (int i : {14, 15, 16, 17, 18, 19}) {
    INFO("column " << i);
    CHECK_FALSE(sr[i].has_value());
  }
  CHECK(sr[20] == "");
  const DbRow& hdr = rows[2];
  CHECK(*hdr[3] == "wsinv.ndaksdj@192.0.2.1");
  CHECK(*hdr[4] == "3");
  CHECK(*hdr[7] == "");  // the header knows only the call: no media address
  CHECK(*hdr[9] == "0");
  CHECK(*hdr[13] == "812");
  CHECK(*hdr[14] == "3");
  CHECK_FALSE(hdr[16].has_value());
  CHECK(std::stod(*hdr[17]) == Approx(18.0));
  CHECK(std::stod(*hdr[19]) == Approx(3.9).epsilon(1e-6));
  // The message itself, in the same transaction; ids unique across the two tables.
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == 1);
  CHECK(db.count("SELECT COUNT(*) FROM hep_other") == 0);
  CHECK(db.count("SELECT COUNT(DISTINCT id) FROM (SELECT id FROM sip_qos UNION ALL SELECT id FROM sip_messages) t") == 4);
  // The search the api does: a call's reports by the hash of its Call-ID.
  CHECK(db.count("SELECT COUNT(*) FROM sip_qos WHERE call_id_hash = " + std::to_string(searchKey(call_id))) == 2);
}

TEST_CASE("A failed batch leaves no sip_qos row behind", "[writer][roundtrip][db][qos]") {
  test::TestDatabase db("qos_rollback");
  prepare(db);
  RecordConverter conv;
  RowBatch batch;
  conv.append(rtcpRecord(kNow, "c1"), batch);
  // sip_qos is written last but for the summaries: a summary whose method is too long for its
  // column (strict mode) fails the statement after the reports were sent, and the transaction
  // takes them back with it.
  batch.summaries.push_back(SummaryRow{kNow / 60000000 * 60000000, "", "", 0, std::string(300, 'm'), 0, 1});
  RowInserter inserter(InsertMethod::MultiRowInsert);
  DbError error;
  uint64_t skipped = 0;
  CHECK_FALSE(inserter.insert(db.conn(), batch, error, skipped));
  CHECK(db.count("SELECT COUNT(*) FROM sip_qos") == 0);
}

TEST_CASE("sip_qos hours go with the calls class's retention, not the default one", "[writer][partitions][db][qos]") {
  test::TestDatabase db("qos_retention");
  PartitionOptions opt;
  opt.retention = std::chrono::hours(1);  // rejects, hep_other, headers
  opt.class_retention[0] = std::chrono::hours(3);  // calls: sip_qos too
  opt.ahead = std::chrono::hours(1);
  prepare(db, opt);
  RecordConverter conv;
  RowBatch batch;
  conv.append(rtcpRecord(kNow, "c1"), batch);                  // 14:25
  conv.append(rtcpRecord(kHour14 + kHourUs + 5, "c2"), batch);  // 15:00
  RowInserter inserter(InsertMethod::Bulk);
  DbError error;
  uint64_t skipped = 0;
  REQUIRE(inserter.insert(db.conn(), batch, error, skipped));
  REQUIRE(db.count("SELECT COUNT(*) FROM sip_qos") == 4);
  PartitionMaintainer m(opt);
  MaintenanceOutcome outcome;
  // 16:30: the default retention (1 h) would drop 14:00 and 15:00; the calls class's (3 h) keeps both.
  REQUIRE(m.runOnce(db.conn(), kHour14 + 2 * kHourUs + 30ull * 60 * 1000000, outcome, error));
  CHECK(db.count("SELECT COUNT(*) FROM sip_qos") == 4);
  // 18:30: the 14:00 hour ends at 15:00 <= 15:30 (18:30 - 3 h): gone with its rows; 15:00 stays.
  REQUIRE(m.runOnce(db.conn(), kHour14 + 4 * kHourUs + 30ull * 60 * 1000000, outcome, error));
  CHECK(db.count("SELECT COUNT(*) FROM sip_qos") == 2);
  CHECK(db.count("SELECT COUNT(*) FROM sip_qos WHERE call_id = 'c2'") == 2);
}

TEST_CASE("The disk guard drops sip_qos hours with the calls class's priority, after every other class",
          "[writer][diskguard][db][qos]") {
  test::TestDatabase db("qos_guard");
  PartitionOptions opt;
  opt.ahead = std::chrono::hours(1);  // hours 14 and 15 of every series
  prepare(db, opt);
  DiskGuardOptions g;
  g.min_free_percent = 100;  // always short of space: the guard drops every hour it may
  g.datadir = "/";
  g.max_drops_per_round = 1000;
  DiskGuard guard(g, opt, "");
  DiskGuardOutcome outcome;
  DbError error;
  INFO(error.describe());
  REQUIRE(guard.runOnce(db.conn(), kHour14 + 3 * kHourUs, outcome, error));
  CHECK(outcome.nothing_left);
  size_t first_qos = outcome.dropped.size(), last_lower = 0, qos = 0;
  for (size_t i = 0; i < outcome.dropped.size(); ++i) {
    const DropCandidate& d = outcome.dropped[i];
    INFO(d.table << " " << d.partition << " priority " << d.priority);
    if (d.table == "sip_qos") {
      ++qos;
      first_qos = std::min(first_qos, i);
      CHECK(d.priority == g.class_priority[0]);
    } else if (d.priority < g.class_priority[0]) {
      last_lower = i;
    }
  }
  CHECK(qos == 2);
  CHECK(first_qos > last_lower);  // registrations, other, rejects, hep_other, headers went first
  CHECK(db.count("SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND "
                 "TABLE_NAME = 'sip_qos'") == 2);  // p_past and p_future stay
}
