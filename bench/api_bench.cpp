// Search latency of sipvault-api over a realistic volume: N SIP messages spread over 24 hours,
// measured through the real HTTP API. Not a Google Benchmark (an HTTP round trip to a database
// is not a micro-benchmark); bench/api_bench.sh runs the two steps and the results are written
// down in bench/api_bench.md.
//
//   api_bench load    --db-socket PATH [--db-name sipvault_bench] [--messages 5000000] [--hours 24]
//   api_bench measure --db-socket PATH [--db-name sipvault_bench] --url http://127.0.0.1:PORT
//                     --user admin --password-file FILE [--iterations 200]
//
// load: creates the writer's schema (store/sql, with hourly partitions over the whole window)
//   and inserts the messages with the writer's own RowInserter (LOAD DATA from memory), in time
//   order as a writer would. Calls of 7 messages (answered: INVITE 100 180 200 ACK BYE 200;
//   1 in 6 refused: INVITE 407 ACK INVITE 100 486 ACK), unique Call-IDs, A- and B-numbers drawn
//   from pools of 50,000 each, a mild day/night rate profile, raw messages of 350-800 bytes
//   deflated exactly as the writer stores them. Prints the load rate; keeps 2,000 sample calls in
//   table bench_samples for the measure step.
// measure: p50/p95/max in ms, over `iterations` requests each (different sample calls), of
//   Call-ID lookup, A-number search over 24 h, combined searches over 24 h, call flow, and
//   one-call pcap export; compared with the issue's targets.
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "store/db_connection.h"
#include "store/migrator.h"
#include "store/raw_codec.h"
#include "store/search_key.h"
#include "store/stored_rows.h"
#include "writer/partition_maintainer.h"
#include "writer/row_inserter.h"

using namespace sipvault::store;
using namespace sipvault::writer;

namespace {

using Clock = std::chrono::steady_clock;
using sipvault::store::DbConnection;
using sipvault::store::DbError;
using sipvault::store::DbOptions;

constexpr uint64_t kHourUs = 3600ull * 1000000;
constexpr size_t kNumberPool = 50000;
constexpr size_t kSamples = 2000;

struct Args {
  std::string mode;
  DbOptions db;
  uint64_t messages = 5000000;
  int hours = 24;
  std::string url;
  std::string user = "admin";
  std::string password_file;
  int iterations = 200;
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: api_bench load --db-socket PATH [--db-name NAME] [--messages N] [--hours H]\n"
               "       api_bench measure --db-socket PATH [--db-name NAME] --url http://HOST:PORT --user U "
               "--password-file F [--iterations N]\n");
  std::exit(64);
}

Args parseArgs(int argc, char** argv) {
  if (argc < 2) usage();
  Args a;
  a.mode = argv[1];
  a.db.name = "sipvault_bench";
  for (int i = 2; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) usage();
    const std::string v = argv[++i];
    if (k == "--db-socket") a.db.socket = v;
    else if (k == "--db-host") a.db.host = v;
    else if (k == "--db-port") a.db.port = static_cast<uint16_t>(std::stoi(v));
    else if (k == "--db-name") a.db.name = v;
    else if (k == "--messages") a.messages = std::stoull(v);
    else if (k == "--hours") a.hours = std::stoi(v);
    else if (k == "--url") a.url = v;
    else if (k == "--user") a.user = v;
    else if (k == "--password-file") a.password_file = v;
    else if (k == "--iterations") a.iterations = std::stoi(v);
    else usage();
  }
  if (a.mode != "load" && a.mode != "measure") usage();
  return a;
}

uint64_t nowUs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::unique_ptr<DbConnection> open(const DbOptions& o, bool select) {
  DbError e;
  auto c = select ? DbConnection::open(o, e) : DbConnection::openServer(o, e);
  if (!c) {
    std::fprintf(stderr, "api_bench: cannot connect to %s: %s\n", o.describe().c_str(), e.describe().c_str());
    std::exit(69);
  }
  return c;
}

void exec(DbConnection& db, const std::string& sql) {
  DbError e;
  if (!db.execute(sql, e)) {
    std::fprintf(stderr, "api_bench: %s: %s\n", sql.substr(0, 80).c_str(), e.describe().c_str());
    std::exit(70);
  }
}

// ---------------------------------------------------------------------------------------------
// load

struct CallPlan {
  uint64_t start_us;
  uint32_t a, b;  // indexes into the number pools
  uint32_t ua_host, proxy;
  bool refused;
  uint64_t serial;
};

std::string number(char kind, uint32_t i) {
  char buf[24];
  std::snprintf(buf, sizeof buf, kind == 'a' ? "4930%07u" : "4989%07u", i);
  return buf;
}

std::string ip4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return std::string{char(a), char(b), char(c), char(d)};
}

std::string ipText(const std::string& raw) {
  return std::to_string(uint8_t(raw[0])) + "." + std::to_string(uint8_t(raw[1])) + "." + std::to_string(uint8_t(raw[2])) +
         "." + std::to_string(uint8_t(raw[3]));
}

const char* const kAgents[] = {"Yealink SIP-T46S 66.86.0.15", "Grandstream GXP2170 1.0.11.23", "Zoiper rv2.10.19.4",
                               "Cisco-SIPGateway/IOS-15.7", "Asterisk PBX 18.20.0", "FreeSWITCH-mod_sofia/1.10.10"};
const char* const kServer = "sipvault-bench-sbc/1.0";

// The 7 messages of a call, as rows.
void callRows(const CallPlan& c, std::mt19937_64& rng, sipvault::store::RawEncoder& enc,
              std::vector<sipvault::store::SipMessageRow>& out) {
  const std::string a = number('a', c.a), b = number('b', c.b);
  const std::string ua_ip = ip4(10, 2, (c.ua_host >> 8) & 0xff, c.ua_host & 0xff);
  const std::string px_ip = ip4(10, 1, 0, static_cast<uint8_t>(1 + c.proxy));
  char cid[64], ftag[24], ttag[24], branch[32];
  std::snprintf(cid, sizeof cid, "%016llx%04llx@%s", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(c.serial & 0xffff), ipText(ua_ip).c_str());
  std::snprintf(ftag, sizeof ftag, "%08x", static_cast<unsigned>(rng()));
  std::snprintf(ttag, sizeof ttag, "as%08x", static_cast<unsigned>(rng()));
  std::snprintf(branch, sizeof branch, "z9hG4bK%012llx", static_cast<unsigned long long>(rng() & 0xffffffffffffull));
  const std::string agent = kAgents[c.ua_host % std::size(kAgents)];
  const std::string sdp =
      "v=0\r\no=- " + std::to_string(c.serial) + " 1 IN IP4 " + ipText(ua_ip) + "\r\ns=-\r\nc=IN IP4 " + ipText(ua_ip) +
      "\r\nt=0 0\r\nm=audio " + std::to_string(10000 + (c.serial % 20000) * 2) +
      " RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
      "a=sendrecv\r\n";

  struct Step {
    uint64_t at_ms;
    bool request;
    const char* method;  // request method or CSeq method
    uint16_t status;
    uint64_t cseq;
    bool from_caller;   // caller -> proxy
    bool with_sdp;
    bool to_tag;
  };
  std::vector<Step> steps;
  const uint64_t ring = 800 + rng() % 4000, talk = 20000 + rng() % 280000;
  if (!c.refused) {
    steps = {{0, true, "INVITE", 0, 1, true, true, false},       {15, false, "INVITE", 100, 1, false, false, false},
             {ring, false, "INVITE", 180, 1, false, false, true}, {ring + 3000, false, "INVITE", 200, 1, false, true, true},
             {ring + 3030, true, "ACK", 0, 1, true, false, true}, {ring + 3030 + talk, true, "BYE", 0, 2, true, false, true},
             {ring + 3060 + talk, false, "BYE", 200, 2, false, false, true}};
  } else {
    steps = {{0, true, "INVITE", 0, 1, true, true, false},       {12, false, "INVITE", 407, 1, false, false, true},
             {40, true, "ACK", 0, 1, true, false, true},          {60, true, "INVITE", 0, 2, true, true, false},
             {75, false, "INVITE", 100, 2, false, false, false},  {ring, false, "INVITE", 486, 2, false, false, true},
             {ring + 30, true, "ACK", 0, 2, true, false, true}};
  }
  for (const Step& s : steps) {
    std::string text;
    if (s.request) {
      text = std::string(s.method) + " sip:" + b + "@" + ipText(px_ip) + ":5060 SIP/2.0\r\n";
    } else {
      static const std::map<uint16_t, const char*> kReason = {
          {100, "Trying"}, {180, "Ringing"}, {200, "OK"}, {407, "Proxy Authentication Required"}, {486, "Busy Here"}};
      text = "SIP/2.0 " + std::to_string(s.status) + " " + kReason.at(s.status) + "\r\n";
    }
    text += "Via: SIP/2.0/UDP " + ipText(ua_ip) + ":5060;branch=" + branch + std::to_string(s.cseq) + "\r\n";
    if (s.request) text += "Max-Forwards: 70\r\n";
    text += "From: <sip:" + a + "@" + ipText(px_ip) + ">;tag=" + ftag + "\r\n";
    text += "To: <sip:" + b + "@" + ipText(px_ip) + ">" + (s.to_tag ? std::string(";tag=") + ttag : "") + "\r\n";
    text += std::string("Call-ID: ") + cid + "\r\n";
    text += "CSeq: " + std::to_string(s.cseq) + " " + s.method + "\r\n";
    text += "Contact: <sip:" + (s.from_caller ? a + "@" + ipText(ua_ip) : b + "@" + ipText(px_ip)) + ":5060>\r\n";
    text += (s.from_caller ? "User-Agent: " + agent : std::string("Server: ") + kServer) + "\r\n";
    if (s.status == 407) text += "Proxy-Authenticate: Digest realm=\"bench\", nonce=\"" + std::string(branch) + "\"\r\n";
    if (s.with_sdp) text += "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(sdp.size()) + "\r\n\r\n" + sdp;
    else text += "Content-Length: 0\r\n\r\n";

    sipvault::store::SipMessageRow& r = out.emplace_back();
    r.packet.capture_us = c.start_us + s.at_ms * 1000 + rng() % 1000;
    r.packet.src_ip = s.from_caller ? ua_ip : px_ip;
    r.packet.dst_ip = s.from_caller ? px_ip : ua_ip;
    r.packet.src_port = 5060;
    r.packet.dst_port = 5060;
    r.packet.ip_proto = 17;
    r.packet.payload_type = 1;
    r.packet.capture_id = 100 + c.proxy % 4;
    r.packet.raw_len = static_cast<uint32_t>(text.size());
    r.packet.flags = enc.encode(text, r.packet.raw);
    r.call_id = cid;
    r.call_id_hash = sipvault::store::searchKey(r.call_id);
    r.from_user = a;
    r.from_user_hash = sipvault::store::searchKey(a);
    r.to_user = b;
    r.to_user_hash = sipvault::store::searchKey(b);
    if (s.request) {
      r.ruri_user = b;
      r.ruri_user_hash = r.to_user_hash;
    }
    r.method = s.method;
    r.status = s.status;
    r.cseq = s.cseq;
    r.from_tag = ftag;
    if (s.to_tag) r.to_tag = ttag;
    r.user_agent = s.from_caller ? agent : kServer;
    r.via_branch = std::string(branch) + std::to_string(s.cseq);
  }
}

int load(const Args& args) {
  const uint64_t now = nowUs();
  const uint64_t end_us = now / kHourUs * kHourUs;  // the last whole hour ends now
  const uint64_t start_us = end_us - static_cast<uint64_t>(args.hours) * kHourUs;
  {
    auto server = open(args.db, false);
    exec(*server, "DROP DATABASE IF EXISTS " + args.db.name);
    exec(*server, "CREATE DATABASE " + args.db.name);
  }
  auto db = open(args.db, true);
  // Schema as the writer creates it, with hourly partitions over the whole window: migrate "an
  // hour before the window" so p_past ends there, then let the maintainer prepare the hours.
  sipvault::store::MigrationReport report;
  DbError e;
  if (!sipvault::store::migrate(*db, sipvault::store::embeddedMigrations(), start_us - kHourUs, report, e)) {
    std::fprintf(stderr, "api_bench: migrate: %s\n", e.describe().c_str());
    return 70;
  }
  sipvault::writer::PartitionOptions popt;
  popt.ahead = std::chrono::hours(args.hours + 2);
  popt.retention = std::chrono::hours(24 * 365);
  sipvault::writer::MaintenanceOutcome outcome;
  if (!sipvault::writer::PartitionMaintainer(popt).runOnce(*db, start_us, outcome, e)) {
    std::fprintf(stderr, "api_bench: partitions: %s\n", e.describe().c_str());
    return 70;
  }
  std::printf("schema ready: %d hourly partitions, window %d h\n", outcome.created, args.hours);

  std::mt19937_64 rng(20261126);
  const uint64_t calls = args.messages / 7;
  // Calls per hour with a day/night profile: busiest at 11:00 and 16:00 UTC, quiet at night.
  std::vector<double> weight(static_cast<size_t>(args.hours));
  double total_weight = 0;
  for (int h = 0; h < args.hours; ++h) {
    const int hod = static_cast<int>(((start_us / kHourUs) + static_cast<uint64_t>(h)) % 24);
    weight[static_cast<size_t>(h)] =
        0.25 + std::exp(-std::pow((hod - 11) / 3.0, 2)) + 0.8 * std::exp(-std::pow((hod - 16) / 3.0, 2));
    total_weight += weight[static_cast<size_t>(h)];
  }
  sipvault::writer::RowInserter inserter(sipvault::writer::InsertMethod::LoadData);
  sipvault::store::RawEncoder encoder;
  std::vector<std::pair<CallPlan, std::string>> samples;  // reservoir of (call, Call-ID)
  uint64_t serial = 0, inserted = 0, raw_bytes = 0;
  const auto t0 = Clock::now();
  double insert_s = 0;
  std::vector<sipvault::store::SipMessageRow> spill;  // messages of earlier hours' calls that fall later
  for (int h = 0; h < args.hours; ++h) {
    const uint64_t hour_start = start_us + static_cast<uint64_t>(h) * kHourUs;
    const uint64_t n = static_cast<uint64_t>(std::llround(calls * weight[static_cast<size_t>(h)] / total_weight));
    std::vector<uint64_t> starts(n);
    for (auto& s : starts) s = hour_start + rng() % kHourUs;
    std::sort(starts.begin(), starts.end());
    std::vector<sipvault::store::SipMessageRow> rows = std::move(spill);
    spill.clear();
    for (uint64_t s : starts) {
      CallPlan c{s, static_cast<uint32_t>(rng() % kNumberPool), static_cast<uint32_t>(rng() % kNumberPool),
                 static_cast<uint32_t>(rng() % 4000), static_cast<uint32_t>(rng() % 8), rng() % 6 == 0, serial++};
      const size_t before = rows.size();
      callRows(c, rng, encoder, rows);
      if (samples.size() < kSamples) samples.emplace_back(c, rows[before].call_id);
      else if (const uint64_t j = rng() % serial; j < kSamples) samples[j] = {c, rows[before].call_id};
    }
    // In capture order, as a writer receives them; what belongs to later hours waits for them.
    std::sort(rows.begin(), rows.end(),
              [](const auto& x, const auto& y) { return x.packet.capture_us < y.packet.capture_us; });
    auto cut = std::partition_point(rows.begin(), rows.end(),
                                    [&](const auto& r) { return r.packet.capture_us < hour_start + kHourUs; });
    if (h + 1 < args.hours) {
      spill.assign(std::make_move_iterator(cut), std::make_move_iterator(rows.end()));
      rows.erase(cut, rows.end());
    }
    for (size_t i = 0; i < rows.size(); i += 10000) {
      sipvault::store::RowBatch batch;
      for (size_t j = i; j < std::min(rows.size(), i + 10000); ++j) {
        raw_bytes += rows[j].packet.raw.size();
        batch.messages.push_back(std::move(rows[j]));
      }
      const auto ti = Clock::now();
      uint64_t skipped = 0;
      if (!inserter.insert(*db, batch, e, skipped)) {
        std::fprintf(stderr, "api_bench: insert: %s\n", e.describe().c_str());
        return 70;
      }
      insert_s += secondsSince(ti);
      inserted += batch.messages.size() - skipped;
    }
    std::printf("hour %2d: %7llu calls, %9llu messages so far, %.0f rows/s\n", h, static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(inserted), inserted / secondsSince(t0));
    std::fflush(stdout);
  }
  const double total_s = secondsSince(t0);
  std::printf("loaded %llu messages (%llu calls) over %d h in %.1f s: %.0f rows/s overall, %.0f rows/s in LOAD DATA; "
              "stored raw %.1f MB\n",
              static_cast<unsigned long long>(inserted), static_cast<unsigned long long>(serial), args.hours, total_s,
              inserted / total_s, inserted / insert_s, raw_bytes / 1e6);

  exec(*db, "CREATE TABLE bench_samples (call_id VARBINARY(255), from_user VARBINARY(64), to_user VARBINARY(64), "
            "start_us BIGINT UNSIGNED, refused TINYINT)");
  exec(*db, "CREATE TABLE bench_meta (start_us BIGINT UNSIGNED, end_us BIGINT UNSIGNED, messages BIGINT UNSIGNED)");
  std::string sql = "INSERT INTO bench_samples VALUES ";
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto& [c, cid] = samples[i];
    sql += (i ? ",('" : "('") + cid + "','" + number('a', c.a) + "','" + number('b', c.b) + "'," +
           std::to_string(c.start_us) + "," + (c.refused ? "1" : "0") + ")";
  }
  exec(*db, sql);
  exec(*db, "INSERT INTO bench_meta VALUES (" + std::to_string(start_us) + "," + std::to_string(end_us) + "," +
                std::to_string(inserted) + ")");
  sipvault::store::DbRows analyzed;
  (void)db->query("ANALYZE TABLE sip_messages", analyzed, e);  // fresh index statistics for the planner
  return 0;
}

// ---------------------------------------------------------------------------------------------
// measure

struct Sample {
  std::string call_id, from_user, to_user;
  uint64_t start_us;
};

class Http {
 public:
  explicit Http(const std::string& url) {
    Poco::URI u(url);
    session_ = std::make_unique<Poco::Net::HTTPClientSession>(u.getHost(), u.getPort());
    session_->setKeepAlive(true);
    session_->setTimeout(Poco::Timespan(120, 0));
  }
  // Status code; the body in `body`.
  int request(const std::string& method, const std::string& target, const std::string& body, std::string& out) {
    Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(true);
    if (!token_.empty()) req.set("Authorization", "Bearer " + token_);
    if (!body.empty()) {
      req.setContentType("application/json");
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session_->sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session_->receiveResponse(resp);
    out.clear();
    Poco::StreamCopier::copyToString(in, out);
    return resp.getStatus();
  }
  void setToken(std::string t) { token_ = std::move(t); }

 private:
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
  std::string token_;
};

std::string enc(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "&=+?#/%@:;", out);
  return out;
}

struct Result {
  std::string name;
  double target_ms;
  std::vector<double> ms;
  size_t answer_items = 0;  // summed
  size_t answer_bytes = 0;
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(std::ceil(p * v.size())) - 1);
  return v[i];
}

size_t itemCount(const std::string& body) {
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    if (o->has("items")) return o->getArray("items")->size();
    if (o->has("messages")) return o->getArray("messages")->size();
  } catch (...) {
  }
  return 0;
}

int measure(const Args& args) {
  auto db = open(args.db, true);
  DbError e;
  sipvault::store::DbRows rows;
  if (!db->query("SELECT start_us, end_us, messages FROM bench_meta", rows, e) || rows.empty()) {
    std::fprintf(stderr, "api_bench: no bench_meta (run `api_bench load` first): %s\n", e.describe().c_str());
    return 69;
  }
  const uint64_t from_us = std::stoull(*rows[0][0]), to_us = std::stoull(*rows[0][1]);
  const uint64_t messages = std::stoull(*rows[0][2]);
  if (!db->query("SELECT call_id, from_user, to_user, start_us FROM bench_samples", rows, e)) return 70;
  std::vector<Sample> samples;
  for (const auto& r : rows) samples.push_back({*r[0], *r[1], *r[2], std::stoull(*r[3])});
  std::mt19937_64 rng(7);
  std::shuffle(samples.begin(), samples.end(), rng);

  std::ifstream pw(args.password_file);
  std::string password;
  std::getline(pw, password);
  Http http(args.url);
  std::string body;
  const int login = http.request("POST", "/api/v1/login",
                                 "{\"username\":\"" + args.user + "\",\"password\":\"" + password + "\"}", body);
  if (login != 200) {
    std::fprintf(stderr, "api_bench: login failed (%d): %s\n", login, body.c_str());
    return 69;
  }
  Poco::JSON::Parser parser;
  http.setToken(parser.parse(body).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("token"));

  const std::string range =
      "from=" + std::to_string(from_us / 1000) + "ms&to=" + std::to_string(to_us / 1000) + "ms";
  struct Query {
    std::string name;
    double target_ms;  // 0: no target (reported only)
    std::function<std::string(const Sample&)> target;
    bool scan = false;  // reads a whole time range without an index: 1/20 of the requests
  };
  const std::vector<Query> queries = {
      {"Call-ID lookup (24 h)", 50,
       [&](const Sample& s) { return "/api/v1/messages?" + range + "&call_id=" + enc(s.call_id); }},
      {"A-number search (24 h)", 50,
       [&](const Sample& s) { return "/api/v1/messages?" + range + "&from_user=" + s.from_user; }},
      {"A-number calls (24 h)", 300,
       [&](const Sample& s) { return "/api/v1/calls?" + range + "&from_user=" + s.from_user; }},
      {"combined: A+B+status+method (24 h)", 300,
       [&](const Sample& s) {
         return "/api/v1/messages?" + range + "&from_user=" + s.from_user + "&to_user=" + s.to_user +
                "&status=2xx,4xx&method=INVITE";
       }},
      {"combined: B-number+status class+UA (24 h)", 300,
       [&](const Sample& s) {
         return "/api/v1/messages?" + range + "&to_user=" + s.to_user + "&status=4xx&user_agent=sbc";
       }},
      {"combined: B prefix*+4xx, 1 h", 300,
       [&](const Sample& s) {
         const uint64_t h = s.start_us / kHourUs * kHourUs;
         return "/api/v1/messages?from=" + std::to_string(h / 1000) +
                "ms&to=" + std::to_string((h + kHourUs) / 1000) + "ms&to_user=" + s.to_user.substr(0, 8) +
                "*&status=4xx&limit=100";
       },
       true},
      {"combined: B prefix*+4xx (24 h)", 300,
       [&](const Sample& s) {
         return "/api/v1/messages?" + range + "&to_user=" + s.to_user.substr(0, 8) + "*&status=4xx";
       },
       true},
      // No indexed column: the server reads the whole range (reported, no target).
      {"scan: status=486 + UA substring (24 h)", 0,
       [&](const Sample&) { return "/api/v1/messages?" + range + "&status=486&user_agent=sbc&limit=100"; },
       true},
      {"call flow (24 h)", 50,
       [&](const Sample& s) { return "/api/v1/calls/" + enc(s.call_id) + "/flow?" + range; }},
      {"one-call pcap export (24 h)", 50,
       [&](const Sample& s) { return "/api/v1/export.pcap?" + range + "&call_id=" + enc(s.call_id); }},
  };
  std::printf("\n%llu messages over %.0f h; %d requests per query (+10 warm-up; scans: 1/20 of that, +2), one keep-alive "
              "connection\n\n",
              static_cast<unsigned long long>(messages), (to_us - from_us) / 3.6e9, args.iterations);
  std::printf("%-42s %8s %8s %8s %8s %10s  %s\n", "query", "p50 ms", "p95 ms", "max ms", "target", "avg items",
              "verdict");
  int failures = 0;
  size_t next_sample = 0;  // each query gets its own sample calls, so no query reads pages cached by another
  for (const Query& q : queries) {
    Result r{q.name, q.target_ms, {}};
    const int runs = q.scan ? std::max(5, args.iterations / 20) : args.iterations;
    const int warmup = q.scan ? 2 : 10;
    for (int i = 0; i < runs + warmup; ++i) {
      const Sample& s = samples[next_sample++ % samples.size()];
      const auto t = Clock::now();
      const int status = http.request("GET", q.target(s), "", body);
      const double ms = secondsSince(t) * 1000;
      if (status != 200) {
        std::fprintf(stderr, "api_bench: %s: HTTP %d: %s\n", q.name.c_str(), status, body.substr(0, 200).c_str());
        return 70;
      }
      if (i < warmup) continue;
      r.ms.push_back(ms);
      r.answer_items += body.rfind("\xd4\xc3\xb2\xa1", 0) == 0 ? 0 : itemCount(body);
      r.answer_bytes += body.size();
    }
    const double p95 = percentile(r.ms, 0.95);
    const bool ok = q.target_ms <= 0 || p95 <= q.target_ms;
    failures += ok ? 0 : 1;
    const std::string target = q.target_ms > 0 ? std::to_string(static_cast<int>(q.target_ms)) : "-";
    std::printf("%-42s %8.1f %8.1f %8.1f %8s %10.1f  %s\n", q.name.c_str(), percentile(r.ms, 0.5), p95,
                *std::max_element(r.ms.begin(), r.ms.end()), target.c_str(),
                static_cast<double>(r.answer_items) / r.ms.size(),
                q.target_ms <= 0 ? "(no target)" : ok ? "ok" : "OVER TARGET");
    std::fflush(stdout);
  }
  return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parseArgs(argc, argv);
  return args.mode == "load" ? load(args) : measure(args);
}
