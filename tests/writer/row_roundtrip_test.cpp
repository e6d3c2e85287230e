#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "proto/packet.h"
#include "store/migrator.h"
#include "store/raw_codec.h"
#include "store/row_ids.h"
#include "store/search_key.h"
#include "tests/support/test_database.h"
#include "tests/writer/writer_corpus.h"
#include "writer/partition_maintainer.h"
#include "writer/record_converter.h"
#include "writer/row_inserter.h"

using namespace sipvault::store;
using namespace sipvault::writer;

using namespace sipvault;
using namespace std::string_literals;

namespace {

constexpr uint64_t kNow = 1795701600ull * 1000000ull + 25ull * 60 * 1000000;  // 2026-11-26 14:25 UTC

void prepare(test::TestDatabase& db) {
  DbError error;
  MigrationReport report;
  REQUIRE(migrate(db.conn(), embeddedMigrations(), kNow, report, error));
  MaintenanceOutcome outcome;
  REQUIRE(PartitionMaintainer({}).runOnce(db.conn(), kNow, outcome, error));
}

void storeRecords(test::TestDatabase& db, InsertMethod method, const std::vector<wire::SipRecord>& records,
                  RawCodec codec = RawCodec::Lz4) {
  RecordConverter conv(codec);
  RowBatch batch;
  for (const auto& r : records) conv.append(r, batch);
  RowInserter inserter(method);
  DbError error;
  uint64_t skipped = 0;
  INFO(error.describe());
  REQUIRE(inserter.insert(db.conn(), batch, error, skipped));
  CHECK(skipped == 0);
}

// Every kind of byte that could break LOAD DATA or SQL quoting, in every text field.
wire::SipRecord trickyRecord() {
  wire::SipRecord r = test::sipRecordFor(test::readFile(test::corpusDir() / "rfc4475/valid/intmeth.dat"), kNow + 999);
  const std::string nasty = "tab\there nl\nhere cr\rhere back\\slash quote'\" nul\0byte \x1a \xc3\xa9t\xc3\xa9 \\N"s;
  auto* s = r.mutable_sip();
  s->set_from_user("from " + nasty);
  s->set_to_user("to " + nasty);
  s->set_ruri_user("ruri " + nasty);
  s->set_from_tag("ftag " + nasty);
  s->set_to_tag("ttag " + nasty);
  s->set_user_agent("ua " + nasty);
  s->set_via_branch("z9hG4bK " + nasty);
  s->set_x_cid("xcid " + nasty);
  s->set_call_id("cid " + nasty);
  s->set_cseq_number(139122385);
  auto* p = r.mutable_packet();
  p->set_correlation_id("\xff\xfe\0\x01\t\n\\"s);
  p->set_node_name("node " + nasty);  // longer than its 64-byte column: stored cut, flagged
  p->set_vlan(100);
  p->set_capture_id(4294967295u);
  return r;
}

// The writer corpus: every RFC 4475 valid message a millisecond apart from kNow, the IPv6 pcap
// with timestamps over decades, and trickyRecord().
std::vector<wire::SipRecord> corpusRecords() {
  std::vector<wire::SipRecord> records;
  uint64_t t = kNow;
  for (const auto& f : test::rfc4475Valid()) records.push_back(test::sipRecordFor(f.bytes, t += 1000));
  for (const auto& fr : test::readIpv6UdpPcap(test::corpusDir() / "pcap/heplify_sip_ipv6_udp.pcap")) {
    wire::SipRecord r = test::sipRecordFor(fr.payload, fr.capture_us);
    r.mutable_packet()->set_ip_family(6);
    r.mutable_packet()->set_src_ip(fr.src_ip);
    r.mutable_packet()->set_dst_ip(fr.dst_ip);
    r.mutable_packet()->set_src_port(fr.src_port);
    r.mutable_packet()->set_dst_port(fr.dst_port);
    records.push_back(std::move(r));
  }
  records.push_back(trickyRecord());
  return records;
}

std::string num(uint64_t v) { return std::to_string(v); }

// What a column of `width` bytes holds for `value`; notes in `cut` whether it had to be shortened.
std::string fit(const std::string& value, size_t width, bool& cut) {
  if (value.size() <= width) return value;
  cut = true;
  return value.substr(0, width);
}

}  // namespace

TEST_CASE("Rows read back equal the records written, raw byte-exact after inflating", "[writer][roundtrip][db]") {
  const InsertMethod method = GENERATE(InsertMethod::Bulk, InsertMethod::LoadData, InsertMethod::MultiRowInsert);
  INFO("method " << insertMethodName(method));
  test::TestDatabase db("roundtrip");
  prepare(db);

  const std::vector<wire::SipRecord> records = corpusRecords();
  storeRecords(db, method, records);

  DbRows rows;
  DbError error;
  REQUIRE(db.conn().query(
      "SELECT capture_us, call_id_hash, from_user_hash, to_user_hash, ruri_user_hash, correlation_hash, method, status,"
      " cseq, call_id, from_user, from_tag, to_user, to_tag, ruri_user, user_agent, via_branch, x_cid, correlation_id,"
      " src_ip, dst_ip, src_port, dst_port, ip_proto, payload_type, vlan, capture_id, node, raw_len, flags, raw"
      " FROM sip_messages ORDER BY id",
      rows, error));
  REQUIRE(rows.size() == records.size());
  size_t cut_rows = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const wire::SipRecord& in = records[i];
    const auto& p = in.packet();
    const auto& s = in.sip();
    const DbRow& out = rows[i];
    INFO("record " << i << " call-id " << s.call_id());
    REQUIRE(out.size() == 31);
    for (const auto& col : out) REQUIRE(col.has_value());  // no NULLs anywhere
    CHECK(*out[0] == num(p.capture_time_us()));
    CHECK(*out[1] == num(searchKey(s.call_id())));
    CHECK(*out[2] == num(searchKey(s.from_user())));
    CHECK(*out[3] == num(searchKey(s.to_user())));
    CHECK(*out[4] == num(searchKey(s.ruri_user())));
    CHECK(*out[5] == num(searchKey(p.correlation_id().empty() ? s.x_cid() : p.correlation_id())));
    bool cut = false;
    CHECK(*out[6] == fit(s.method(), kMethodWidth, cut));
    CHECK(*out[7] == num(s.status()));
    CHECK(*out[8] == num(s.cseq_number()));
    CHECK(*out[9] == fit(s.call_id(), kCallIdWidth, cut));
    CHECK(*out[10] == fit(s.from_user(), kUserWidth, cut));
    CHECK(*out[11] == fit(s.from_tag(), kTagWidth, cut));
    CHECK(*out[12] == fit(s.to_user(), kUserWidth, cut));
    CHECK(*out[13] == fit(s.to_tag(), kTagWidth, cut));
    CHECK(*out[14] == fit(s.ruri_user(), kUserWidth, cut));
    CHECK(*out[15] == fit(s.user_agent(), kLongWidth, cut));
    CHECK(*out[16] == fit(s.via_branch(), kTagWidth, cut));
    CHECK(*out[17] == fit(s.x_cid(), kLongWidth, cut));
    CHECK(*out[18] == fit(p.correlation_id(), kLongWidth, cut));
    CHECK(*out[19] == p.src_ip());
    CHECK(*out[20] == p.dst_ip());
    CHECK(*out[21] == num(p.src_port()));
    CHECK(*out[22] == num(p.dst_port()));
    CHECK(*out[23] == num(p.ip_proto()));
    CHECK(*out[24] == num(p.payload_type()));
    CHECK(*out[25] == num(p.vlan()));
    CHECK(*out[26] == num(p.capture_id()));
    CHECK(*out[27] == fit(p.node_name(), kNodeWidth, cut));
    CHECK(*out[28] == num(p.payload().size()));
    const auto flags = static_cast<uint16_t>(std::stoul(*out[29]));
    CHECK(((flags & kFieldTruncated) != 0) == cut);
    cut_rows += cut;
    const auto raw = decodeRaw(*out[30], static_cast<uint32_t>(p.payload().size()), flags);
    REQUIRE(raw.has_value());
    CHECK(*raw == p.payload());
  }
  CHECK(cut_rows == 1);  // the tricky record's node name
}

TEST_CASE("Deflated raw messages read back with the server's UNCOMPRESS()", "[writer][roundtrip][db]") {
  test::TestDatabase db("uncompress");
  prepare(db);
  std::vector<wire::SipRecord> records;
  for (const auto& f : test::rfc4475Valid()) records.push_back(test::sipRecordFor(f.bytes, kNow));
  storeRecords(db, InsertMethod::LoadData, records, RawCodec::Deflate);
  DbRows rows;
  DbError error;
  REQUIRE(db.conn().query("SELECT IF(flags & 1, UNCOMPRESS(raw), raw), flags & 1 FROM sip_messages ORDER BY id", rows,
                          error));
  REQUIRE(rows.size() == records.size());
  int deflated = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    REQUIRE(rows[i][0].has_value());
    CHECK(*rows[i][0] == records[i].packet().payload());
    deflated += *rows[i][1] == "1";
  }
  CHECK(deflated > 20);
}

TEST_CASE("Rejects and non-SIP payloads land in their own tables", "[writer][roundtrip][db]") {
  const InsertMethod method = GENERATE(InsertMethod::Bulk, InsertMethod::LoadData, InsertMethod::MultiRowInsert);
  test::TestDatabase db("tables");
  prepare(db);
  std::vector<wire::SipRecord> records;
  for (const auto& e : std::filesystem::directory_iterator(test::corpusDir() / "rfc4475/invalid")) {
    wire::SipRecord r;
    r.mutable_packet()->set_capture_time_us(kNow);
    r.mutable_packet()->set_payload_type(kPayloadSip);
    r.mutable_packet()->set_payload(test::readFile(e.path()));
    r.set_reject_reason("invalid: " + e.path().stem().string());
    records.push_back(std::move(r));
  }
  wire::SipRecord rtcp;
  rtcp.mutable_packet()->set_capture_time_us(kNow);
  rtcp.mutable_packet()->set_payload_type(kPayloadRtcp);
  rtcp.mutable_packet()->set_correlation_id("wsinv.ndaksdj@192.0.2.1");
  rtcp.mutable_packet()->set_payload(R"({"sender_information":{"packets":42},"ssrc":305419896,"type":200})");
  records.push_back(rtcp);
  storeRecords(db, method, records);

  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == 0);
  CHECK(db.count("SELECT COUNT(*) FROM sip_rejects") == records.size() - 1);
  DbRows rows;
  DbError error;
  REQUIRE(db.conn().query("SELECT reason, raw_len, flags, raw FROM sip_rejects ORDER BY id", rows, error));
  for (size_t i = 0; i < rows.size(); ++i) {
    CHECK(*rows[i][0] == records[i].reject_reason());
    const auto raw = decodeRaw(*rows[i][3], static_cast<uint32_t>(std::stoul(*rows[i][1])),
                               static_cast<uint16_t>(std::stoul(*rows[i][2])));
    REQUIRE(raw.has_value());
    CHECK(*raw == records[i].packet().payload());
  }
  REQUIRE(db.conn().query("SELECT correlation_hash, payload_type, raw_len, flags, raw FROM hep_other", rows, error));
  REQUIRE(rows.size() == 1);
  CHECK(*rows[0][0] == num(searchKey("wsinv.ndaksdj@192.0.2.1")));
  CHECK(*rows[0][1] == "5");
  CHECK(decodeRaw(*rows[0][4], static_cast<uint32_t>(std::stoul(*rows[0][2])),
                  static_cast<uint16_t>(std::stoul(*rows[0][3]))) == rtcp.packet().payload());
}

TEST_CASE("A message is found by the search key of its Call-ID and verified on its full value",
          "[writer][roundtrip][db]") {
  test::TestDatabase db("search");
  prepare(db);
  std::vector<wire::SipRecord> records;
  for (const auto& f : test::rfc4475Valid()) records.push_back(test::sipRecordFor(f.bytes, kNow));
  storeRecords(db, InsertMethod::LoadData, records);
  // What the api does: hash the searched value, narrow by index, compare the stored value.
  const std::string wanted = "esc01.239409asdfakjkn23onasd0-3234";  // rfc4475/EXPECTED.md
  std::string sql = "SELECT call_id FROM sip_messages WHERE call_id_hash = " + num(searchKey(wanted)) + " AND call_id = ";
  DbConnection::appendLiteral(sql, wanted);
  DbRows rows;
  DbError error;
  REQUIRE(db.conn().query(sql, rows, error));
  REQUIRE(rows.size() == 1);
  CHECK(*rows[0][0] == wanted);
  REQUIRE(db.conn().query("EXPLAIN SELECT id FROM sip_messages WHERE call_id_hash = " + num(searchKey(wanted)), rows,
                          error));
  REQUIRE(!rows.empty());
  const std::string plan = rows[0][5].value_or("") + " " + rows[0][6].value_or("");  // possible_keys, key
  CHECK(plan.find("ix_call_id") != std::string::npos);
}

TEST_CASE("Writers number their rows from disjoint blocks: no id repeats across writers, tables or shards",
          "[writer][roundtrip][db][issue17]") {
  test::TestDatabase db("rowids");
  prepare(db);
  const auto corpus = test::sipRecordFor(test::readFile(test::corpusDir() / "rfc4475/valid/intmeth.dat"), kNow);
  auto batchOf = [&](size_t n) {
    RecordConverter conv(RawCodec::Lz4);
    RowBatch batch;
    for (size_t i = 0; i < n; ++i) conv.append(corpus, batch);
    wire::SipRecord other;
    other.mutable_packet()->set_capture_time_us(kNow);
    other.mutable_packet()->set_payload_type(kPayloadRtcp);
    other.mutable_packet()->set_payload("{}");
    conv.append(other, batch);
    return batch;
  };
  // Two writers of one database (shard 0) take turns, the second one more than a block's worth, and
  // a writer of shard 3 writes into the same tables, as a head would read them side by side.
  RowInserter first(InsertMethod::Bulk), second(InsertMethod::LoadData), shard3(InsertMethod::Bulk, 3);
  DbError error;
  uint64_t skipped = 0;
  std::vector<uint64_t> ids;
  for (RowInserter* w : {&first, &second, &first, &shard3, &second}) {
    RowBatch batch = batchOf(w == &second ? 40000 : 100);
    INFO(error.describe());
    REQUIRE(w->insert(db.conn(), batch, error, skipped));
    for (const auto& r : batch.messages) ids.push_back(r.packet.id);
    for (const auto& r : batch.others) ids.push_back(r.packet.id);
  }
  std::set<uint64_t> unique(ids.begin(), ids.end());
  CHECK(unique.size() == ids.size());
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") + db.count("SELECT COUNT(*) FROM hep_other") == ids.size());
  CHECK(db.count("SELECT COUNT(DISTINCT id) FROM sip_messages") == db.count("SELECT COUNT(*) FROM sip_messages"));
  // What was stored is what the rows were given, and shard 3's rows carry it in the top 16 bits.
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages WHERE id >> 48 = 3") == 100);
  CHECK(db.count("SELECT COUNT(*) FROM hep_other WHERE id >> 48 = 3") == 1);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages WHERE id >> 48 = 0") == 80200);
  CHECK(rowIdShard(*unique.rbegin()) == 3);
}

TEST_CASE("Custom header values are stored in sip_headers with their message's id, by every insert method",
          "[writer][roundtrip][db][headers]") {
  for (InsertMethod method : {InsertMethod::Bulk, InsertMethod::LoadData, InsertMethod::MultiRowInsert}) {
    test::TestDatabase db("headers");
    prepare(db);
    std::vector<wire::SipRecord> records;
    for (const auto& f : test::rfc4475Valid()) records.push_back(test::sipRecordFor(f.bytes, kNow));
    REQUIRE(records.size() >= 2);
    auto add = [](wire::SipRecord& r, uint32_t kind, const std::string& name, const std::string& value) {
      wire::HeaderValue* h = r.mutable_sip()->add_headers();
      h->set_kind(kind);
      h->set_name(name);
      h->set_value(value);
    };
    add(records[0], 0, "pai_user", "+4930123");
    add(records[0], 1, "icid", "tab\there quote'\" nul\0byte"s);
    add(records[1], 1, "icid", "tab\there quote'\" nul\0byte"s);
    add(records[1], 0, "x-long", std::string(300, 'v'));  // cut to the column width
    storeRecords(db, method, records);

    DbRows rows;
    DbError error;
    INFO(insertMethodName(method));
    REQUIRE(db.conn().query("SELECT m.call_id, h.seq, h.kind, h.name, h.value, h.name_hash, h.value_hash"
                            " FROM sip_headers h JOIN sip_messages m ON m.capture_us = h.capture_us AND m.id = h.message_id"
                            " ORDER BY m.id, h.seq", rows, error));
    REQUIRE(rows.size() == 4);
    CHECK(*rows[0][3] == "pai_user");
    CHECK(*rows[0][4] == "+4930123");
    CHECK(*rows[0][5] == num(searchKey("pai_user")));
    CHECK(*rows[1][2] == "1");
    CHECK(*rows[1][4] == "tab\there quote'\" nul\0byte"s);
    CHECK(*rows[1][6] == num(searchKey("tab\there quote'\" nul\0byte"s)));
    CHECK(*rows[0][0] == records[0].sip().call_id());
    CHECK(*rows[2][0] == records[1].sip().call_id());
    CHECK(rows[3][4]->size() == kHeaderValueWidth);
    // Both messages share the link value: one ix_value lookup finds both.
    REQUIRE(db.conn().query("SELECT COUNT(*) FROM sip_headers WHERE value_hash = " +
                                num(searchKey("tab\there quote'\" nul\0byte"s)) + " AND name_hash = " +
                                num(searchKey("icid")) + " AND kind = 1",
                            rows, error));
    CHECK(*rows[0][0] == "2");
  }
}

TEST_CASE("Summarized records add up per minute, source, destination, method and status, and classes are stored",
          "[writer][db][classes][summaries]") {
  test::TestDatabase db("summaries");
  prepare(db);
  const std::string raw = test::readFile(test::corpusDir() / "rfc4475/valid/wsinv.dat");
  auto summarized = [&](uint64_t t, uint32_t status, const std::string& src) {
    wire::SipRecord r;
    r.set_summarize(true);
    r.mutable_packet()->set_capture_time_us(t);
    r.mutable_packet()->set_payload_type(1);
    r.mutable_packet()->set_src_ip(src);
    r.mutable_packet()->set_dst_ip(std::string("\xc0\x00\x02\x14", 4));
    r.mutable_packet()->set_dst_port(5060);
    r.mutable_sip()->set_method("OPTIONS");
    r.mutable_sip()->set_status(status);
    return r;
  };
  const std::string peer("\xc0\x00\x02\x0a", 4);
  for (InsertMethod method : {InsertMethod::Bulk, InsertMethod::MultiRowInsert}) {
    // Only summaries: the batch is still written (and would be acked).
    storeRecords(db, method, {summarized(kNow, 0, peer), summarized(kNow + 1, 0, peer), summarized(kNow + 2, 200, peer)});
  }
  wire::SipRecord reg = test::sipRecordFor(raw, kNow + 3);
  reg.set_storage_class(1);
  storeRecords(db, InsertMethod::Bulk,
               {summarized(kNow + 61ull * 1000000, 503, peer), summarized(kNow + 4, 0, std::string(4, '\x01')), reg});
  const std::string minute = std::to_string(kNow / 60000000 * 60000000);
  CHECK(db.count("SELECT count FROM sip_summaries WHERE minute_us = " + minute +
                 " AND src_ip = X'c000020a' AND method = 'OPTIONS' AND status = 0") == 4);
  CHECK(db.count("SELECT count FROM sip_summaries WHERE minute_us = " + minute + " AND status = 200") == 2);
  CHECK(db.count("SELECT count FROM sip_summaries WHERE status = 503 AND minute_us = " + minute + " + 60000000") == 1);
  CHECK(db.count("SELECT COUNT(*) FROM sip_summaries") == 4);
  CHECK(db.count("SELECT SUM(count) FROM sip_summaries") == 8);
  // No message rows for summarized records; the registration is in its class.
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == 1);
  CHECK(db.count("SELECT storage_class FROM sip_messages") == 1);
}

namespace {

using MinuteCounts = std::map<std::tuple<uint64_t, int, std::string>, uint64_t>;

// (minute, kind, name) -> count from rows of (minute, name, count).
void addCounts(test::TestDatabase& db, const std::string& sql, int kind, MinuteCounts& out) {
  DbRows rows;
  DbError error;
  INFO(sql);
  REQUIRE(db.conn().query(sql, rows, error));
  for (const DbRow& r : rows) out[{std::stoull(*r[0]), kind, *r[1]}] += std::stoull(*r[2]);
}

// sip_minute_stats, or with `hourly` sip_hour_stats.
MinuteCounts minuteStats(test::TestDatabase& db, bool hourly = false) {
  MinuteCounts out;
  const std::string from = hourly ? "hour_us, name, count FROM sip_hour_stats" : "minute_us, name, count FROM sip_minute_stats";
  for (int kind = 0; kind < 3; ++kind) addCounts(db, "SELECT " + from + " WHERE kind = " + std::to_string(kind), kind, out);
  return out;
}

// The GROUP BY scans over sip_messages that sip_minute_stats (or, `hourly`, sip_hour_stats)
// replaces (api/message_store.cpp).
MinuteCounts scannedStats(test::TestDatabase& db, bool hourly = false) {
  MinuteCounts out;
  const std::string minute = hourly ? "capture_us DIV 3600000000 * 3600000000" : "capture_us DIV 60000000 * 60000000";
  addCounts(db, "SELECT " + minute + ", method, COUNT(*) FROM sip_messages WHERE status = 0 GROUP BY 1, 2", 0, out);
  addCounts(db, "SELECT " + minute + ", status DIV 100, COUNT(*) FROM sip_messages WHERE status <> 0 GROUP BY 1, 2",
            1, out);
  addCounts(db,
            "SELECT " + minute + ", user_agent, COUNT(*) FROM sip_messages WHERE user_agent <> '' GROUP BY 1, 2",
            2, out);
  return out;
}

}  // namespace

TEST_CASE("sip_minute_stats and sip_hour_stats equal the GROUP BY over sip_messages after the corpus and batches "
          "across minutes and hours",
          "[writer][db][stats][minute]") {
  const InsertMethod method = GENERATE(InsertMethod::Bulk, InsertMethod::LoadData, InsertMethod::MultiRowInsert);
  INFO("method " << insertMethodName(method));
  test::TestDatabase db("minute_stats");
  prepare(db);
  // The corpus in one batch.
  storeRecords(db, method, corpusRecords());
  // Then batches whose messages straddle a minute boundary (14:25:59.9 .. 14:26:00.1), the same
  // minutes counted again by later batches, in every storage class; plus what is not a message row
  // (a summarized record) and must not count.
  const std::vector<test::CorpusFile> files = test::rfc4475Valid();
  const uint64_t boundary = kNow + 60ull * 1000000;
  const uint64_t hour_boundary = kNow - kNow % 3600000000 + 3600000000;  // the last two batches straddle it
  for (int b = 0; b < 4; ++b) {
    std::vector<wire::SipRecord> batch;
    for (size_t i = 0; i < files.size(); ++i) {
      wire::SipRecord r = test::sipRecordFor(files[i].bytes, (b < 2 ? boundary : hour_boundary) - 100000 +
                                                                  (b * 37 + i * 7919) % 200000);
      r.set_storage_class(static_cast<uint32_t>((b + i) % 3));
      batch.push_back(std::move(r));
    }
    wire::SipRecord summarized = test::sipRecordFor(files[0].bytes, boundary);
    summarized.set_summarize(true);
    batch.push_back(std::move(summarized));
    storeRecords(db, method, batch);
  }
  const MinuteCounts stored = minuteStats(db);
  const MinuteCounts scanned = scannedStats(db);
  CHECK(stored == scanned);
  // Not trivially equal: both minutes around the boundary and every kind are there.
  CHECK(stored.size() > 20);
  uint64_t around_boundary = 0, messages = 0;
  for (const auto& [key, n] : stored) {
    const auto& [minute, kind, name] = key;
    if (kind != 2) messages += n;
    if (kind == 0 && (minute == boundary || minute + 60ull * 1000000 == boundary)) around_boundary += n;
  }
  CHECK(messages == db.count("SELECT COUNT(*) FROM sip_messages"));
  CHECK(around_boundary > 0);
  CHECK(db.count("SELECT COUNT(DISTINCT kind) FROM sip_minute_stats") == 3);
  CHECK(db.count("SELECT COUNT(*) FROM sip_minute_stats WHERE minute_us = " + std::to_string(boundary)) > 0);
  // The same counts per hour: both hours around the boundary.
  CHECK(minuteStats(db, true) == scannedStats(db, true));
  CHECK(db.count("SELECT COUNT(DISTINCT hour_us) FROM sip_hour_stats") >= 2);
  CHECK(db.count("SELECT SUM(count) FROM sip_hour_stats WHERE kind IN (0, 1)") == messages);
}

TEST_CASE("A flood of random User-Agents adds at most the bound's rows a minute to sip_minute_stats",
          "[writer][db][stats][minute]") {
  test::TestDatabase db("minute_stats_flood");
  prepare(db);
  const std::string raw = test::readFile(test::corpusDir() / "rfc4475/valid/wsinv.dat");
  RecordConverter conv(RawCodec::Lz4);
  RowInserter inserter(InsertMethod::Bulk, 0, 20);
  for (int b = 0; b < 3; ++b) {
    RowBatch batch;
    for (int i = 0; i < 50; ++i) {
      wire::SipRecord r = test::sipRecordFor(raw, kNow + static_cast<uint64_t>(b * 50 + i));
      r.mutable_sip()->set_user_agent("bot-" + std::to_string(b * 50 + i));
      conv.append(r, batch);
    }
    DbError error;
    uint64_t skipped = 0;
    REQUIRE(inserter.insert(db.conn(), batch, error, skipped));
  }
  const std::string minute = std::to_string(kNow / 60000000 * 60000000);
  CHECK(db.count("SELECT COUNT(*) FROM sip_minute_stats WHERE kind = 2") == 21);  // 20 agents + (other)
  CHECK(db.count("SELECT count FROM sip_minute_stats WHERE kind = 2 AND name = '(other)' AND minute_us = " +
                 minute) == 130);
  CHECK(db.count("SELECT SUM(count) FROM sip_minute_stats WHERE kind = 2") == 150);
  CHECK(inserter.agentsFolded() == 130);
}

namespace {

// Every row of a query as one string, sorted: the sets two queries return compare with ==.
std::vector<std::string> rowSet(test::TestDatabase& db, const std::string& sql) {
  DbRows rows;
  DbError error;
  INFO(sql);
  REQUIRE(db.conn().query(sql, rows, error));
  std::vector<std::string> out;
  for (const DbRow& r : rows) {
    std::string line;
    for (const auto& cell : r) line += (cell ? *cell : "NULL") + "|";
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What sip_call_keys must hold: each stored message's non-empty numbers and correlation id, by
// call and hour (store/sql/014; the migration backfills an upgraded install the same way).
std::vector<std::string> keysOfMessages(test::TestDatabase& db) {
  std::string sql;
  const std::pair<const char*, int> kinds[] = {
      {"from_user_hash", 1}, {"to_user_hash", 2}, {"ruri_user_hash", 3}, {"correlation_hash", 4}};
  for (const auto& [column, kind] : kinds) {
    if (!sql.empty()) sql += " UNION ";
    sql += "SELECT "s + column + ", " + std::to_string(kind) +
           ", capture_us - capture_us % 3600000000, call_id_hash FROM sip_messages WHERE " + column + " <> 0";
  }
  return rowSet(db, sql);
}

}  // namespace

TEST_CASE("sip_call_keys holds every message's numbers and correlation id once per call and hour",
          "[writer][db][callkeys]") {
  const InsertMethod method = GENERATE(InsertMethod::Bulk, InsertMethod::LoadData, InsertMethod::MultiRowInsert);
  INFO("method " << insertMethodName(method));
  test::TestDatabase db("call_keys");
  prepare(db);
  const std::vector<test::CorpusFile> files = test::rfc4475Valid();
  const uint64_t hour_end = kNow - kNow % kCallKeyHourUs + kCallKeyHourUs;
  // One inserter for several batches (what it stored lately it does not send again), messages on
  // both sides of an hour boundary, every storage class; then a second writer stores the same
  // messages again (its keys are all there already: no error, no second row).
  RowInserter inserter(method);
  std::vector<wire::SipRecord> all;
  for (int b = 0; b < 3; ++b) {
    std::vector<wire::SipRecord> batch;
    for (size_t i = 0; i < files.size(); ++i) {
      wire::SipRecord r = test::sipRecordFor(files[i].bytes, hour_end - 500000 + (b * 37 + i * 7919) % 1000000);
      r.set_storage_class(static_cast<uint32_t>((b + i) % 3));
      batch.push_back(r);
      all.push_back(std::move(r));
    }
    RecordConverter conv(RawCodec::Lz4);
    RowBatch rows;
    for (const auto& r : batch) conv.append(r, rows);
    DbError error;
    uint64_t skipped = 0;
    INFO(error.describe());
    REQUIRE(inserter.insert(db.conn(), rows, error, skipped));
  }
  storeRecords(db, method, corpusRecords());
  const std::vector<std::string> want = keysOfMessages(db);
  const std::vector<std::string> stored =
      rowSet(db, "SELECT key_hash, kind, hour_us, call_id_hash FROM sip_call_keys");
  CHECK(stored == want);
  // Not trivially equal: all four kinds, both hours, far fewer keys than 4 per message.
  CHECK(db.count("SELECT COUNT(DISTINCT kind) FROM sip_call_keys") == 4);
  CHECK(db.count("SELECT COUNT(DISTINCT hour_us) FROM sip_call_keys") >= 2);
  CHECK(stored.size() < 4 * db.count("SELECT COUNT(*) FROM sip_messages"));

  storeRecords(db, method, all);  // a fresh writer: every key is a duplicate
  CHECK(rowSet(db, "SELECT key_hash, kind, hour_us, call_id_hash FROM sip_call_keys") == keysOfMessages(db));
  CHECK(db.count("SELECT COUNT(*) FROM sip_call_keys") == want.size());
}
