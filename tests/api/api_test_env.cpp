#include "api_test_env.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "child_process.h"
#include "proto/hep_codec.h"
#include "sip/sip_parser.h"
#include "tests/support/test_database.h"
#include "tests/support/url_encoding.h"

using namespace sipvault::sip;
using namespace sipvault::store;

namespace sipvault::apitest {
namespace {

using namespace std::chrono_literals;

const std::string kBinaryDir = SIPVAULT_BINARY_DIR;
const std::string kCorpus = SIPVAULT_CORPUS_DIR;

std::string adminPasswordFile() { return kBinaryDir + "/tests/api/apitest-admin-password"; }

// UDP payloads of a capture (Ethernet, Linux SLL, BSD loopback or raw IP; IPv4 or IPv6).
std::vector<std::string> udpPayloads(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE];
  std::unique_ptr<pcap_t, decltype(&pcap_close)> p(pcap_open_offline(path.c_str(), err), &pcap_close);
  if (!p) throw std::runtime_error("cannot read " + path + ": " + err);
  const int link = pcap_datalink(p.get());
  std::vector<std::string> out;
  pcap_pkthdr* h;
  const u_char* data;
  while (pcap_next_ex(p.get(), &h, &data) == 1) {
    std::string_view f(reinterpret_cast<const char*>(data), h->caplen);
    size_t off = link == DLT_EN10MB ? 14 : link == DLT_LINUX_SLL ? 16 : link == DLT_NULL ? 4 : 0;
    if (f.size() < off + 1) continue;
    f.remove_prefix(off);
    size_t l4;
    if ((uint8_t(f[0]) >> 4) == 4) {
      if (f.size() < 20 || uint8_t(f[9]) != 17) continue;
      l4 = (uint8_t(f[0]) & 15) * 4u;
    } else if ((uint8_t(f[0]) >> 4) == 6) {
      if (f.size() < 40 || uint8_t(f[6]) != 17) continue;
      l4 = 40;
    } else {
      continue;
    }
    if (f.size() < l4 + 8) continue;
    out.emplace_back(f.substr(l4 + 8));
  }
  return out;
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

// A kamailio corpus message made into another call: new Call-ID and numbers, optional extra
// header lines after the Call-ID line.
std::string derive(const std::string& corpus_message, const std::string& call_id, const std::string& a,
                   const std::string& b, const std::string& extra_headers = "") {
  std::string s = replaceAll(corpus_message, "1-4099@127.0.0.1", call_id);
  s = replaceAll(s, "sip:sipp@", "sip:" + a + "@");
  s = replaceAll(s, "sip:1000@", "sip:" + b + "@");
  if (!extra_headers.empty()) {
    const size_t line = s.find("Call-ID: ");
    const size_t end = s.find("\r\n", line);
    s.insert(end + 2, extra_headers);
  }
  return s;
}

struct Derived {
  std::string payload;
  const char* src;
  uint16_t sport;
  const char* dst;
  uint16_t dport;
  uint64_t offset_us;
  uint8_t proto;
  std::string correlation;
};

Derived leg(std::string payload, const char* src, uint16_t sport, const char* dst, uint16_t dport, uint64_t offset_us,
            uint8_t proto = kIpProtoUdp, std::string correlation = "") {
  return Derived{std::move(payload), src, sport, dst, dport, offset_us, proto, std::move(correlation)};
}

std::string hep3(const Derived& d, uint64_t base_us, uint32_t capture_id = 3001) {
  PacketView p;
  p.src = *IpAddress::parse(d.src);
  p.dst = *IpAddress::parse(d.dst);
  p.src_port = d.sport;
  p.dst_port = d.dport;
  p.ip_proto = d.proto;
  const uint64_t t = base_us + d.offset_us;
  p.ts_sec = static_cast<uint32_t>(t / 1000000);
  p.ts_usec = static_cast<uint32_t>(t % 1000000);
  p.capture_id = capture_id;
  p.correlation_id = d.correlation;
  p.payload = d.payload;
  std::string out;
  if (!encodeHep3(p, out)) throw std::runtime_error("encodeHep3 failed");
  return out;
}

std::vector<std::string> buildHepPackets() {
  std::vector<std::string> out = udpPayloads(kCorpus + "/hep/kamailio/hep3-kamailio-udp.pcap");
  if (out.size() != 260) throw std::runtime_error("hep3-kamailio-udp.pcap: expected 260 HEP datagrams");
  // Call 1 of the kamailio capture: packet 0 is the INVITE uac -> kamailio, packet 5 the 200 OK
  // uas -> kamailio (see corpus/SOURCES.md: uac :5080 -> kamailio :5060 -> uas :5070).
  std::string scratch;
  auto payloadOf = [&](const std::string& hep) {
    auto r = decodeHep(hep, scratch);
    if (!r.packet) throw std::runtime_error("corpus HEP does not decode");
    return std::string(r.packet->payload);
  };
  const std::string invite = payloadOf(out[0]);
  const std::string ok = payloadOf(out[5]);
  if (invite.rfind("INVITE ", 0) != 0 || ok.rfind("SIP/2.0 200", 0) != 0)
    throw std::runtime_error("kamailio corpus call 1 is not INVITE ... 200 as expected");

  for (const std::string& p : udpPayloads(kCorpus + "/hep/hep-wireshark_hep.pcap")) out.push_back(p);

  // 2026-11-26T13:00:00Z: after the kamailio capture (12:49), on the same day.
  const uint64_t base = 1795698000ull * 1000000;
  std::vector<Derived> derived = {
      // A B2BUA at 192.0.2.20: incoming leg A, outgoing leg B with the same numbers; B is set up
      // while A waits (overlapping set-up), so B is an inferred leg of A.
      leg(derive(invite, kLegA, "4930111", "4930222"), "192.0.2.10", 5060, "192.0.2.20", 5060, 0),
      leg(derive(invite, kLegB, "4930111", "4930222"), "192.0.2.20", 5062, "192.0.2.30", 5060, 5000),
      // Legs that point at A explicitly, with other numbers.
      leg(derive(invite, kLegX, "4930333", "4930444", std::string("X-CID: ") + kLegA + "\r\n"), "192.0.2.20",
          5062, "192.0.2.40", 5060, 6000),
      leg(derive(invite, kLegC, "4930555", "4930666"), "192.0.2.20", 5062, "192.0.2.50", 5060, 7000,
          kIpProtoUdp, kLegA),
      leg(derive(ok, kLegB, "4930111", "4930222"), "192.0.2.30", 5060, "192.0.2.20", 5062, 40000),
      leg(derive(ok, kLegA, "4930111", "4930222"), "192.0.2.20", 5060, "192.0.2.10", 5060, 50000),
      // The same numbers again 3 s later: a new call, not a leg of A.
      leg(derive(invite, kRepeat, "4930111", "4930222"), "192.0.2.10", 5060, "192.0.2.20", 5060, 3000000),
      leg(derive(ok, kRepeat, "4930111", "4930222"), "192.0.2.20", 5060, "192.0.2.10", 5060, 3050000),
      // SIP over TCP between IPv6 hosts; its User-Agent is not valid UTF-8.
      leg(derive(invite, kTcpV6, "4940777", "4940888", "User-Agent: bad\xff\xfe agent\r\n"), "2001:db8::1",
          5060, "2001:db8::2", 5060, 10000000, kIpProtoTcp),
      leg(derive(ok, kTcpV6, "4940777", "4940888"), "2001:db8::2", 5060, "2001:db8::1", 5060, 10020000,
          kIpProtoTcp),
  };
  // Two failed calls whose failures come in the other order than their INVITEs (issue 12: calls
  // with status=4xx are listed by their first message, not by their first 4xx).
  const std::string busy = replaceAll(ok, "SIP/2.0 200 OK", "SIP/2.0 486 Busy Here");
  const std::string not_found = replaceAll(ok, "SIP/2.0 200 OK", "SIP/2.0 404 Not Found");
  if (busy == ok || not_found == ok)
    throw std::runtime_error("kamailio corpus 200 has no 'SIP/2.0 200 OK' line");
  derived.push_back(
      leg(derive(invite, kBusyLate, "4950111", "4950222"), "192.0.2.10", 5060, "192.0.2.20", 5060, 20000000));
  derived.push_back(leg(derive(busy, kBusyLate, "4950111", "4950222",
                               "Reason: SIP;cause=486, Q.850;cause=17;text=\"User busy\"\r\n"),
                        "192.0.2.20", 5060, "192.0.2.10", 5060, 25000000));
  derived.push_back(
      leg(derive(invite, kFailSoon, "4950333", "4950444"), "192.0.2.10", 5060, "192.0.2.20", 5060, 21000000));
  derived.push_back(leg(derive(not_found, kFailSoon, "4950333", "4950444"), "192.0.2.20", 5060, "192.0.2.10",
                        5060, 21500000));
  // Correlation rules (issue 14): two B2BUA calls whose legs share only an icid-value, and only a
  // Session-ID UUID (RFC 7989: the B2BUA passes the header on; the answer names the caller's UUID
  // as remote=). Leg A of the icid call also carries a P-Asserted-Identity for header search.
  const std::string pcv = std::string("P-Charging-Vector: icid-value=\"") + kIcidValue +
                          "\";icid-generated-at=192.0.2.10;orig-ioi=home1.net\r\n";
  derived.push_back(leg(derive(invite, kIcidA, "4960111", "4960222",
                               pcv + "P-Asserted-Identity: \"Icid <A>\" <sip:+4960111@ims.example.net>\r\n"),
                        "192.0.2.10", 5060, "192.0.2.20", 5060, 40000000));
  derived.push_back(leg(derive(invite, kIcidB, "4960333", "4960444", pcv), "192.0.2.20", 5062, "192.0.2.30", 5060,
                        40010000));
  derived.push_back(leg(derive(ok, kIcidB, "4960333", "4960444", pcv), "192.0.2.30", 5060, "192.0.2.20", 5062,
                        40100000));
  derived.push_back(leg(derive(ok, kIcidA, "4960111", "4960222", pcv), "192.0.2.20", 5060, "192.0.2.10", 5060,
                        40110000));
  const std::string sid_a = std::string("Session-ID: ") + kSessionUuidA + ";remote=00000000000000000000000000000000\r\n";
  const std::string sid_b = std::string("Session-ID: 47755a9de7794ba387653f2099600ef2;remote=") + kSessionUuidA + "\r\n";
  derived.push_back(leg(derive(invite, kSessionA, "4970111", "4970222", sid_a), "192.0.2.10", 5060, "192.0.2.20",
                        5060, 42000000));
  derived.push_back(leg(derive(invite, kSessionB, "4970333", "4970444", sid_a), "192.0.2.20", 5062, "192.0.2.30",
                        5060, 42010000));
  derived.push_back(leg(derive(ok, kSessionB, "4970333", "4970444", sid_b), "192.0.2.30", 5060, "192.0.2.20", 5062,
                        42100000));
  for (const Derived& d : derived) out.push_back(hep3(d, base));
  for (const TruthReject& r : rejectTruth())
    out.push_back(hep3(leg(r.payload, r.src_ip.c_str(), r.src_port, r.dst_ip.c_str(), r.dst_port, 0),
                       r.time_us, kRejectCaptureId));
  return out;
}

// 2026-11-26T13:00:30Z and after: unparseable SIP, hostile for a UI (markup, invalid UTF-8), one
// long enough to be stored compressed.
std::vector<TruthReject> buildRejects() {
  const uint64_t base = 1795698000ull * 1000000 + 30000000;
  std::vector<TruthReject> out;
  out.push_back(
      {base, "192.0.2.60", "192.0.2.61", 5060, 5060, "not_sip",
       "<script>window.__rejectXss=1</script><img src=x onerror=\"window.__rejectXss=2\"> HELLO \xff\xfe\r\n"
       "X-Junk: yes\r\n\r\n"});
  std::string no_call_id =
      "OPTIONS sip:probe@192.0.2.61 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.60:5060;branch=z9hG4bK-reject-1\r\n"
      "From: <sip:scanner@192.0.2.60>;tag=rej1\r\n"
      "To: <sip:probe@192.0.2.61>\r\n"
      "CSeq: 1 OPTIONS\r\n";
  for (int i = 0; i < 8; ++i) no_call_id += "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
  no_call_id += "Content-Length: 0\r\n\r\n";
  out.push_back({base + 1000000, "192.0.2.61", "192.0.2.60", 5070, 5060, "missing_call_id", no_call_id});
  return out;
}

std::vector<TruthMessage> buildTruth() {
  std::vector<TruthMessage> out;
  std::string scratch;
  for (const std::string& hep : hepPackets()) {
    auto r = decodeHep(hep, scratch);
    if (!r.packet) throw std::runtime_error("a test HEP packet does not decode");
    const PacketView& p = *r.packet;
    if (p.payload_type != kPayloadSip || p.capture_id == kRejectCaptureId) continue;
    SipMessage sip;
    const std::string payload(p.payload);
    if (!parseSipMessage(payload, sip).ok()) throw std::runtime_error("a test SIP message does not parse");
    TruthMessage t;
    t.time_us = p.timeUs();
    t.src_ip = p.src.toString();
    t.dst_ip = p.dst.toString();
    t.src_port = p.src_port;
    t.dst_port = p.dst_port;
    t.transport = p.ip_proto == kIpProtoTcp ? "tcp" : "udp";
    t.capture_id = p.capture_id;
    t.correlation_id = p.correlation_id;
    t.payload = payload;
    t.is_request = sip.is_request;
    t.method = sip.transactionMethod();
    t.status = sip.status_code;
    t.call_id = sip.call_id;
    t.from_user = sip.from.uri.user;
    t.to_user = sip.to.uri.user;
    t.ruri_user = sip.is_request ? std::string(sip.request_uri.user) : std::string();
    t.from_tag = sip.from.tag;
    t.to_tag = sip.to.tag;
    t.user_agent = sip.agent();
    t.x_cid = sip.x_cid;
    out.push_back(std::move(t));
  }
  return out;
}

DbOptions databaseOptions() {
  DbOptions o = test::testServerOptions();
  o.name = kDatabase;
  return o;
}

std::unique_ptr<DbConnection> connect(bool select_db) {
  DbError error;
  auto c = select_db ? DbConnection::open(databaseOptions(), error) : DbConnection::openServer(databaseOptions(), error);
  if (!c) throw std::runtime_error("test MariaDB not reachable (CTest fixture `mariadb`): " + error.describe());
  return c;
}

uint64_t count(DbConnection& db, const std::string& sql) {
  DbError error;
  auto v = db.queryValue(sql, error);
  return v ? std::stoull(*v) : 0;
}


std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

std::vector<std::string> dbArgs() {
  return {"--db-socket", SIPVAULT_TEST_DB_SOCKET, "--db-name", kDatabase};
}

}  // namespace

void sendUdp(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  ::close(fd);
}

const std::vector<std::string>& hepPackets() {
  static const std::vector<std::string> packets = buildHepPackets();
  return packets;
}

const std::vector<TruthReject>& rejectTruth() {
  static const std::vector<TruthReject> rejects = buildRejects();
  return rejects;
}

const std::vector<TruthMessage>& truth() {
  static const std::vector<TruthMessage> messages = buildTruth();
  return messages;
}

namespace {

std::vector<std::string> withArgs(std::vector<std::string> argv, const std::vector<std::string>& extra) {
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

void awaitLog(test::ChildProcess& p, const std::string& what, const std::string& text) {
  if (!p.waitForLog(text, 30s)) throw std::runtime_error(what + " did not start (no " + text + " in its log)");
}

}  // namespace

CapturePipeline::CapturePipeline(const std::string& log_dir, const std::vector<std::string>& parser_args)
    : parser_in_(test::freePort()),
      writer_in_(test::freePort()),
      hep_port_(test::freePort()),
      writer_({test::binaryPath("writer", "sipvault-writer"), "--listen",
               "bind:tcp://127.0.0.1:" + std::to_string(writer_in_), "--db-socket", SIPVAULT_TEST_DB_SOCKET,
               "--db-name", kDatabase},
              log_dir + "/writer.log"),
      parser_(withArgs({test::binaryPath("parser", "sipvault-parser"), "--input",
                        "connect:tcp://127.0.0.1:" + std::to_string(parser_in_), "--output",
                        "connect:tcp://127.0.0.1:" + std::to_string(writer_in_)},
                       parser_args),
              log_dir + "/parser.log"),
      collector_({test::binaryPath("collector", "sipvault-collector"), "--udp",
                  "127.0.0.1:" + std::to_string(hep_port_), "--tcp=", "--output",
                  "bind:tcp://127.0.0.1:" + std::to_string(parser_in_)},
                 log_dir + "/collector.log") {
  awaitLog(writer_, "sipvault-writer", "event=bus_bound");
  awaitLog(parser_, "sipvault-parser", "event=started");
  awaitLog(collector_, "sipvault-collector", "event=bus_bound");
  std::this_thread::sleep_for(300ms);  // the parser's connect to the collector's fresh bind
}

void CapturePipeline::stop() {
  collector_.stop();
  parser_.stop();
  writer_.stop();
}

bool pipelineLoaded() {
  try {
    auto db = connect(true);
    return count(*db, "SELECT n FROM api_test_marker") == truth().size() &&
           count(*db, "SELECT COUNT(*) FROM sip_rejects WHERE capture_id = " +
                          std::to_string(kRejectCaptureId)) == rejectTruth().size() &&
           std::filesystem::exists(adminPasswordFile());
  } catch (const std::exception&) {
    return false;
  }
}

void loadPipeline() {
  const std::string logs = kBinaryDir + "/tests/api/pipeline-logs";
  std::filesystem::create_directories(logs);
  {
    auto server = connect(false);
    DbError error;
    if (!server->execute(std::string("DROP DATABASE IF EXISTS ") + kDatabase, error) ||
        !server->execute(std::string("CREATE DATABASE ") + kDatabase, error))
      throw std::runtime_error("cannot create " + std::string(kDatabase) + ": " + error.describe());
  }
  std::filesystem::remove(adminPasswordFile());

  const int parser_in = test::freePort(), writer_in = test::freePort(), hep = test::freePort();
  std::vector<std::string> writer_args{test::binaryPath("writer", "sipvault-writer"),
                                       "--listen", "bind:tcp://127.0.0.1:" + std::to_string(writer_in)};
  for (const std::string& a : dbArgs()) writer_args.push_back(a);
  test::ChildProcess writer(writer_args, logs + "/writer.log");
  if (!writer.waitForLog("event=bus_bound", 30s)) throw std::runtime_error("writer did not start: " + writer.log());
  writeFile(logs + "/parser.ini", kParserHeaderConfig);
  test::ChildProcess parser({test::binaryPath("parser", "sipvault-parser"), "--config", logs + "/parser.ini", "--input",
                             "connect:tcp://127.0.0.1:" + std::to_string(parser_in), "--output",
                             "connect:tcp://127.0.0.1:" + std::to_string(writer_in)},
                            logs + "/parser.log");
  if (!parser.waitForLog("event=started", 30s)) throw std::runtime_error("parser did not start: " + parser.log());
  test::ChildProcess collector({test::binaryPath("collector", "sipvault-collector"), "--udp",
                                "127.0.0.1:" + std::to_string(hep), "--tcp", "127.0.0.1:" + std::to_string(hep),
                                "--output", "bind:tcp://127.0.0.1:" + std::to_string(parser_in)},
                               logs + "/collector.log");
  if (!collector.waitForLog("event=bus_bound", 30s))
    throw std::runtime_error("collector did not start: " + collector.log());
  std::this_thread::sleep_for(300ms);  // the parser connects to the collector

  size_t sent = 0;
  for (const std::string& packet : hepPackets()) {
    sendUdp(hep, packet);
    if (++sent % 32 == 0) std::this_thread::sleep_for(2ms);
  }

  auto db = connect(true);
  const auto until = std::chrono::steady_clock::now() + 60s;
  uint64_t stored = 0;
  while (std::chrono::steady_clock::now() < until) {
    stored = count(*db, "SELECT COUNT(*) FROM sip_messages");
    if (stored >= truth().size() && count(*db, "SELECT COUNT(*) FROM sip_rejects WHERE capture_id = " +
                                                   std::to_string(kRejectCaptureId)) >= rejectTruth().size())
      break;
    std::this_thread::sleep_for(100ms);
  }
  if (stored != truth().size())
    throw std::runtime_error("pipeline stored " + std::to_string(stored) + " of " + std::to_string(truth().size()) +
                             " SIP messages; logs in " + logs);
  collector.stop();
  parser.stop();
  writer.stop();

  // The admin is created once here, so that test processes running in parallel find it.
  const int port = test::freePort();
  std::vector<std::string> api_args{test::binaryPath("api", "sipvault-api"), "--listen",
                                    "127.0.0.1:" + std::to_string(port), "--create-admin", "admin",
                                    "--admin-password-file", adminPasswordFile()};
  for (const std::string& a : dbArgs()) api_args.push_back(a);
  test::ChildProcess api_proc(api_args, logs + "/api-admin.log");
  if (!api_proc.waitForLog("event=listening", 30s) || !std::filesystem::exists(adminPasswordFile()))
    throw std::runtime_error("sipvault-api did not create the admin: " + api_proc.log());
  api_proc.stop();

  DbError error;
  if (!db->execute("CREATE TABLE api_test_marker (n BIGINT UNSIGNED NOT NULL)", error) ||
      !db->execute("INSERT INTO api_test_marker VALUES (" + std::to_string(truth().size()) + ")", error))
    throw std::runtime_error("cannot write the marker: " + error.describe());
}

void ensurePipelineLoaded() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (!pipelineLoaded()) loadPipeline();
  });
}

namespace {

// The sipvault-api of this test process, stopped at exit.
struct ApiProcess {
  ApiProcessInfo info;
  std::unique_ptr<test::ChildProcess> proc;
  std::string base;

  ApiProcess() {
    ensurePipelineLoaded();
    base = kBinaryDir + "/tests/api/run-" + std::to_string(getpid());
    info.ui_dir = base + "/ui";
    info.secret_file = base + "/secret.txt";
    writeFile(info.ui_dir + "/index.html",
              "<!doctype html><html><head><script src=\"js/app.js\"></script></head><body>sipvault</body></html>\n");
    writeFile(info.ui_dir + "/js/app.js", "document.title = 'sipvault';\n");
    writeFile(info.ui_dir + "/style.css", "body { margin: 0 }\n");
    writeFile(info.secret_file, "top secret\n");
    info.admin_password = readFile(adminPasswordFile());
    while (!info.admin_password.empty() && info.admin_password.back() == '\n') info.admin_password.pop_back();
    for (int attempt = 0; attempt < 3 && !proc; ++attempt) {
      info.port = test::freePort();
      info.log_path = base + "/api.log";
      std::vector<std::string> args{test::binaryPath("api", "sipvault-api"), "--listen",
                                    "127.0.0.1:" + std::to_string(info.port), "--ui-dir", info.ui_dir};
      for (const std::string& a : dbArgs()) args.push_back(a);
      auto p = std::make_unique<test::ChildProcess>(args, info.log_path);
      if (p->waitForLog("event=listening", 30s)) proc = std::move(p);
    }
    if (!proc) throw std::runtime_error("sipvault-api did not start: " + readFile(info.log_path));
  }
  ~ApiProcess() {
    if (proc) proc->stop();
    std::error_code ec;
    std::filesystem::remove_all(base, ec);
  }
};

}  // namespace

const ApiProcessInfo& api() {
  static ApiProcess process;
  return process.info;
}

std::string json(std::initializer_list<std::pair<std::string, Poco::Dynamic::Var>> fields) {
  Poco::JSON::Object o;
  for (const auto& [k, v] : fields) o.set(k, v);
  std::ostringstream s;
  o.stringify(s);
  return s.str();
}

std::string login(const std::string& user, const std::string& password) {
  Poco::JSON::Object body;
  body.set("username", user);
  body.set("password", password);
  std::ostringstream s;
  body.stringify(s);
  HttpResult r = ApiClient(api().port).post("/api/v1/login", s.str());
  if (r.status != 200) return "";
  return r.json()->getValue<std::string>("token");
}

const ApiClient& admin() {
  static const ApiClient client(api().port, login("admin", api().admin_password));
  return client;
}

Poco::JSON::Object::Ptr HttpResult::json() const {
  Poco::JSON::Parser parser;
  return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
}

HttpResult ApiClient::request(const std::string& method, const std::string& target, const std::string& body,
                              const std::map<std::string, std::string>& headers) const {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_));
  session.setTimeout(Poco::Timespan(60, 0));
  Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!token_.empty()) req.set("Authorization", "Bearer " + token_);
  for (const auto& [name, value] : headers) req.set(name, value);
  if (!body.empty() || method == "POST") {
    req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  std::ostream& out = session.sendRequest(req);
  out << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  HttpResult r;
  r.status = resp.getStatus();
  Poco::StreamCopier::copyToString(in, r.body);
  for (const auto& [name, value] : resp) {
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[lower] = value;
  }
  return r;
}

std::string enc(const std::string& s) { return test::percentEncode(s); }

std::string ipString(const std::string& raw) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (raw.size() == 4) inet_ntop(AF_INET, raw.data(), buf, sizeof buf);
  if (raw.size() == 16) inet_ntop(AF_INET6, raw.data(), buf, sizeof buf);
  return buf;
}

}  // namespace sipvault::apitest
