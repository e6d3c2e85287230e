// Insert-rate measurement for sipvault-writer: loads N synthetic SIP rows through the writer's own
// RecordConverter + RowInserter into a scratch database on a running MariaDB and prints rows/s.
// Not a Google Benchmark (a database round trip is not a micro-benchmark); it prints one line per
// run, and the results are written down in writer/README.md ("Insert speed").
//
//   deploy/mariadb.sh start /tmp/sv-bench 33062
//   writer_bench --db-socket /tmp/sv-bench/mysqld.sock [--rows 200000] [--batch-rows 2000]
//                [--method bulk|load_data|insert] [--variant NAME] [--keep]
//
// Variants rewrite the shipped schema (store/sql/001_initial_schema.sql) to compare choices:
//   shipped     as shipped: InnoDB, PRIMARY KEY (id, capture_us), 5 BIGINT hash indexes
//   idx3        only call_id_hash, from_user_hash, to_user_hash indexed
//   noidx       no secondary index
//   pk_time     PRIMARY KEY (capture_us, id) + KEY (id) (time-clustered rows)
//   myisam      shipped indexes, ENGINE=MyISAM
//   aria        shipped indexes, ENGINE=Aria
//   raw_plain   shipped schema, raw message stored without deflate (bigger rows, no zlib CPU)
//   raw_deflate shipped schema, raw message in COMPRESS() format (zlib) instead of LZ4
// The database `sipvault_bench` is dropped and re-created for every run.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "sipvault.pb.h"
#include "store/db_connection.h"
#include "store/migrator.h"
#include "store/raw_codec.h"
#include "writer/partition_maintainer.h"
#include "writer/record_converter.h"
#include "writer/row_inserter.h"

using namespace sipvault::store;
using namespace sipvault::writer;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// CPU time of the calling thread: stable on a shared, loaded machine, unlike wall time.
double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// CPU seconds (user + system) used so far by a local process, from /proc; -1 when unknown.
double processCpuSeconds(long pid) {
  if (pid <= 0) return -1;
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f) return -1;
  char buf[2048];
  const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  const char* p = std::strrchr(buf, ')');  // the command name may contain spaces
  unsigned long utime = 0, stime = 0;
  if (!p || std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return -1;
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

// The server's pid when it runs on this machine (read from its pid file), else 0.
long localServerPid(sipvault::store::DbConnection& db) {
  sipvault::store::DbError err;
  auto path = db.queryValue("SELECT @@pid_file", err);
  if (!path) return 0;
  FILE* f = std::fopen(path->c_str(), "r");
  if (!f) return 0;
  long pid = 0;
  if (std::fscanf(f, "%ld", &pid) != 1) pid = 0;
  std::fclose(f);
  return pid;
}

void replaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
}

std::string schemaVariant(const std::string& variant, bool& ok) {
  ok = true;
  std::string sql(sipvault::store::embeddedMigrations()[0].sql);
  if (variant == "shipped" || variant == "raw_plain" || variant == "raw_deflate") return sql;
  if (variant == "idx3") {
    replaceAll(sql, "  KEY ix_ruri_user (ruri_user_hash),\n", "");
    replaceAll(sql, ",\n  KEY ix_correlation (correlation_hash)\n) ENGINE=InnoDB\nPARTITION BY RANGE (capture_us) (\n  PARTITION p_past VALUES LESS THAN ({{FIRST_HOUR_US}}),\n  PARTITION p_future VALUES LESS THAN MAXVALUE\n);\n\nCREATE TABLE IF NOT EXISTS sip_rejects",
               "\n) ENGINE=InnoDB\nPARTITION BY RANGE (capture_us) (\n  PARTITION p_past VALUES LESS THAN ({{FIRST_HOUR_US}}),\n  PARTITION p_future VALUES LESS THAN MAXVALUE\n);\n\nCREATE TABLE IF NOT EXISTS sip_rejects");
    return sql;
  }
  if (variant == "noidx") {
    for (const char* k : {"  KEY ix_call_id (call_id_hash),\n", "  KEY ix_from_user (from_user_hash),\n",
                          "  KEY ix_to_user (to_user_hash),\n", "  KEY ix_ruri_user (ruri_user_hash),\n"})
      replaceAll(sql, k, "");
    replaceAll(sql, "PRIMARY KEY (id, capture_us),\n  KEY ix_correlation (correlation_hash)\n",
               "PRIMARY KEY (id, capture_us)\n");
    return sql;
  }
  if (variant == "pk_time") {
    replaceAll(sql, "  PRIMARY KEY (id, capture_us)", "  PRIMARY KEY (capture_us, id),\n  KEY ix_id (id)");
    return sql;
  }
  if (variant == "myisam") {
    replaceAll(sql, "ENGINE=InnoDB", "ENGINE=MyISAM");
    return sql;
  }
  if (variant == "aria") {
    replaceAll(sql, "ENGINE=InnoDB", "ENGINE=Aria");
    return sql;
  }
  ok = false;
  return {};
}

// A realistic SIP request/response: ~700 bytes, distinct Call-ID and numbers per call.
std::string sipText(std::mt19937_64& rng, uint64_t call, int step, const std::string& from, const std::string& to) {
  static const char* kSteps[] = {"INVITE", "100", "180", "200", "ACK", "BYE", "200"};
  const std::string kind = kSteps[step % 7];
  const bool request = kind.size() > 3;
  const std::string branch = "z9hG4bK" + std::to_string(rng());
  std::string m = request ? kind + " sip:" + to + "@198.51.100.20:5060 SIP/2.0\r\n"
                          : "SIP/2.0 " + kind + (kind == "100" ? " Trying" : kind == "180" ? " Ringing" : " OK") + "\r\n";
  m += "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=" + branch + ";rport\r\n";
  m += "Max-Forwards: 70\r\n";
  m += "From: \"Caller " + from + "\" <sip:" + from + "@example.com>;tag=" + std::to_string(call * 7 + 1) + "\r\n";
  m += "To: <sip:" + to + "@example.net>" + (step > 1 ? ";tag=" + std::to_string(call * 11 + 3) : "") + "\r\n";
  m += "Call-ID: " + std::to_string(call * 2654435761u) + "-" + std::to_string(call) + "@192.0.2.10\r\n";
  m += "CSeq: " + std::to_string(step < 5 ? 1 : 2) + " " + (request ? kind : std::string("INVITE")) + "\r\n";
  m += "Contact: <sip:" + from + "@192.0.2.10:5060;transport=udp>\r\n";
  m += "User-Agent: sipvault-bench/1.0 (synthetic)\r\n";
  m += "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, UPDATE\r\n";
  if (kind == "INVITE" || (kind == "200" && step == 3)) {
    std::string sdp = "v=0\r\no=- " + std::to_string(call) + " 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
                      "m=audio " + std::to_string(10000 + call % 20000) + " RTP/AVP 0 8 101\r\n"
                      "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
                      "a=fmtp:101 0-16\r\na=sendrecv\r\n";
    m += "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(sdp.size()) + "\r\n\r\n" + sdp;
  } else {
    m += "Content-Length: 0\r\n\r\n";
  }
  return m;
}

std::vector<sipvault::wire::SipRecord> makeRecords(size_t n) {
  std::mt19937_64 rng(42);
  std::vector<sipvault::wire::SipRecord> out;
  out.reserve(n);
  const uint64_t t0 = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  for (size_t i = 0; i < n; ++i) {
    const uint64_t call = i / 7;
    const int step = static_cast<int>(i % 7);
    const std::string from = "4930" + std::to_string(1000000 + rng() % 9000000);
    const std::string to = "4989" + std::to_string(1000000 + (call * 7919) % 9000000);
    sipvault::wire::SipRecord r;
    auto* p = r.mutable_packet();
    p->set_capture_time_us(t0 + i * 33);
    p->set_ip_family(4);
    p->set_src_ip(std::string("\xc0\x00\x02\x0a", 4));
    p->set_dst_ip(std::string("\xc6\x33\x64\x14", 4));
    p->set_src_port(5060);
    p->set_dst_port(5060);
    p->set_ip_proto(17);
    p->set_payload_type(1);
    p->set_capture_id(2001);
    p->set_node_name("sbc-1");
    p->set_payload(sipText(rng, call, step, from, to));
    auto* s = r.mutable_sip();
    const bool request = step == 0 || step == 4 || step == 5;
    s->set_is_request(request);
    s->set_method(step == 4 ? "ACK" : step == 5 ? "BYE" : "INVITE");
    s->set_status(request ? 0 : (step == 1 ? 100 : step == 2 ? 180 : 200));
    s->set_call_id(std::to_string(call * 2654435761u) + "-" + std::to_string(call) + "@192.0.2.10");
    s->set_from_user(from);
    s->set_from_tag(std::to_string(call * 7 + 1));
    s->set_to_user(to);
    if (step > 1) s->set_to_tag(std::to_string(call * 11 + 3));
    if (request) s->set_ruri_user(to);
    s->set_cseq_number(step < 5 ? 1 : 2);
    s->set_user_agent("sipvault-bench/1.0 (synthetic)");
    s->set_via_branch("z9hG4bK" + std::to_string(i));
    out.push_back(std::move(r));
  }
  return out;
}

// zlib settings on the synthetic messages, one reused deflate state each (as RawEncoder does).
// Thread CPU time, not wall time: the machine is shared.
void deflateReport(const std::vector<sipvault::wire::SipRecord>& records) {
  const size_t n = std::min<size_t>(records.size(), 50000);
  struct Setting {
    const char* name;
    int level, strategy;
  };
  for (const Setting& st : {Setting{"level 1", 1, Z_DEFAULT_STRATEGY}, Setting{"level 1 Z_FIXED", 1, Z_FIXED},
                            Setting{"level 6", 6, Z_DEFAULT_STRATEGY}}) {
    z_stream zs{};
    deflateInit2(&zs, st.level, Z_DEFLATED, 15, 8, st.strategy);
    size_t in = 0, out = 0;
    std::string buf;
    const double cpu0 = threadCpuSeconds();
    for (size_t i = 0; i < n; ++i) {
      const std::string& raw = records[i].packet().payload();
      deflateReset(&zs);
      buf.resize(deflateBound(&zs, raw.size()));
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
      zs.avail_in = static_cast<uInt>(raw.size());
      zs.next_out = reinterpret_cast<Bytef*>(buf.data());
      zs.avail_out = static_cast<uInt>(buf.size());
      deflate(&zs, Z_FINISH);
      in += raw.size();
      out += buf.size() - zs.avail_out;
    }
    const double cpu = threadCpuSeconds() - cpu0;
    deflateEnd(&zs);
    std::printf("deflate %-16s %.2f us CPU/message, %.1f%% of original size (%zu messages, mean %.0f B)\n", st.name,
                cpu * 1e6 / n, 100.0 * out / in, n, double(in) / n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  sipvault::store::DbOptions db;
  db.socket = "";
  size_t rows = 200000, batch_rows = 2000;
  std::string method_name = "bulk", variant = "shipped";
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(64);
      }
      return argv[++i];
    };
    if (a == "--db-socket") db.socket = next();
    else if (a == "--db-host") db.host = next();
    else if (a == "--db-port") db.port = static_cast<uint16_t>(std::stoi(next()));
    else if (a == "--rows") rows = std::stoul(next());
    else if (a == "--batch-rows") batch_rows = std::stoul(next());
    else if (a == "--method") method_name = next();
    else if (a == "--variant") variant = next();
    else if (a == "--keep") keep = true;
    else {
      std::fprintf(stderr,
                   "usage: writer_bench [--db-socket PATH | --db-host H --db-port P] [--rows N] [--batch-rows N]\n"
                   "                    [--method bulk|load_data|insert] [--variant shipped|idx3|noidx|pk_time|myisam|aria|raw_plain|raw_deflate] [--keep]\n");
      return 64;
    }
  }
  auto method = sipvault::writer::parseInsertMethod(method_name);
  bool variant_ok = false;
  const std::string schema = schemaVariant(variant, variant_ok);
  if (!method || !variant_ok || batch_rows == 0) {
    std::fprintf(stderr, "bad --method, --variant or --batch-rows\n");
    return 64;
  }

  sipvault::store::DbError err;
  auto server = sipvault::store::DbConnection::openServer(db, err);
  if (!server) {
    std::fprintf(stderr, "cannot connect: %s (start one: deploy/mariadb.sh start /tmp/sv-bench 33062)\n",
                 err.describe().c_str());
    return 69;
  }
  db.name = "sipvault_bench";
  if (!server->execute("DROP DATABASE IF EXISTS sipvault_bench", err) ||
      !server->execute("CREATE DATABASE sipvault_bench", err)) {
    std::fprintf(stderr, "%s\n", err.describe().c_str());
    return 69;
  }
  auto conn = sipvault::store::DbConnection::open(db, err);
  const uint64_t now_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  // The variant in place of 001, then every later migration (writer-issued ids need 006's sequence).
  const auto shipped = sipvault::store::embeddedMigrations();
  std::vector<sipvault::store::Migration> migrations(shipped.begin(), shipped.end());
  migrations[0].sql = schema;
  sipvault::store::MigrationReport report;
  if (!conn || !sipvault::store::migrate(*conn, migrations, now_us, report, err)) {
    std::fprintf(stderr, "schema: %s\n", err.describe().c_str());
    return 69;
  }
  sipvault::writer::PartitionMaintainer maintainer({});
  sipvault::writer::MaintenanceOutcome outcome;
  if (!maintainer.runOnce(*conn, now_us, outcome, err)) {
    std::fprintf(stderr, "partitions: %s\n", err.describe().c_str());
    return 69;
  }

  auto t = Clock::now();
  const auto records = makeRecords(rows);
  std::printf("generated %zu records in %.2f s\n", rows, secondsSince(t));
  deflateReport(records);

  // Conversion (hashing, deflate, copies) on its own: in the writer it runs on the receiver thread.
  t = Clock::now();
  const double convert_cpu0 = threadCpuSeconds();
  std::vector<sipvault::store::RowBatch> batches;
  sipvault::writer::RecordConverter converter(variant == "raw_deflate" ? sipvault::store::RawCodec::Deflate
                                                                       : sipvault::store::RawCodec::Lz4);
  size_t raw_bytes = 0, stored_bytes = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    if (i % batch_rows == 0) batches.emplace_back();
    converter.append(records[i], batches.back());
    auto& row = batches.back().messages.back();
    if (variant == "raw_plain") {
      row.packet.raw = records[i].packet().payload();
      row.packet.flags &= static_cast<uint16_t>(~(sipvault::store::kRawDeflated | sipvault::store::kRawLz4));
    }
    raw_bytes += row.packet.raw_len;
    stored_bytes += row.packet.raw.size();
  }
  const double convert_s = secondsSince(t);
  const double convert_cpu = threadCpuSeconds() - convert_cpu0;

  sipvault::writer::RowInserter inserter(*method);
  const long server_pid = localServerPid(*conn);
  const double server_cpu0 = processCpuSeconds(server_pid);
  t = Clock::now();
  const double insert_cpu0 = threadCpuSeconds();
  uint64_t skipped_total = 0;
  for (auto& b : batches) {
    uint64_t skipped = 0;
    if (!inserter.insert(*conn, b, err, skipped)) {
      std::fprintf(stderr, "insert: %s\n", err.describe().c_str());
      return 70;
    }
    skipped_total += skipped;
  }
  const double insert_s = secondsSince(t);
  const double insert_cpu = threadCpuSeconds() - insert_cpu0;
  const double server_cpu = server_cpu0 < 0 ? -1 : processCpuSeconds(server_pid) - server_cpu0;
  auto count = conn->queryValue("SELECT COUNT(*) FROM sip_messages", err);
  std::printf(
      "variant=%s method=%s rows=%zu batch_rows=%zu | convert %.0f rows/s (%.2f us CPU/row) | insert %.0f "
      "rows/s "
      "(%.2f s, client %.2f us CPU/row, server %.1f us CPU/row) | raw %.0f B -> stored %.0f B/row | counted "
      "%s skipped %llu\n",
      variant.c_str(), sipvault::writer::insertMethodName(inserter.method()).data(), rows, batch_rows,
      rows / convert_s, convert_cpu * 1e6 / rows, rows / insert_s, insert_s, insert_cpu * 1e6 / rows,
      server_cpu < 0 ? -1.0 : server_cpu * 1e6 / rows, double(raw_bytes) / rows, double(stored_bytes) / rows,
      count ? count->c_str() : "?", static_cast<unsigned long long>(skipped_total));
  if (!keep) (void)server->execute("DROP DATABASE IF EXISTS sipvault_bench", err);
  return count && std::stoul(*count) == rows ? 0 : 1;
}
