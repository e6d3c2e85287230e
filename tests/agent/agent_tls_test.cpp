// HEP over TLS from the real sipvault-agent to the real sipvault-collector of this build tree:
// delivery, certificate checks both ways, reconnect and failover. Certificates are made at test
// time (tests/support/tls_test_support.h); the truth is the capture read independently of the
// agent's decoder (readTruth).
#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <set>
#include <thread>
#include <tuple>

#include "agent_test_support.h"
#include "common/bus.h"
#include "sipvault.pb.h"
#include "tests/support/metrics_scrape.h"
#include "tls_test_support.h"

using namespace sipvault;
using namespace sipvault::agent_test;
using namespace std::chrono_literals;

namespace {

const test::TestCertificates& certs() { return test::testCertificates(); }

using Key = std::tuple<std::string, uint32_t, std::string, uint32_t, std::string>;

std::string ipText(const std::string& raw) {
  char buf[64] = {};
  inet_ntop(raw.size() == 16 ? AF_INET6 : AF_INET, raw.data(), buf, sizeof buf);
  return buf;
}

std::multiset<Key> aaaTruth() {
  const auto truth = sipOnly(readTruth(corpus("pcap/sngrep_aaa.pcap")));
  REQUIRE(truth.size() == 81);
  std::multiset<Key> want;
  for (const auto& m : truth) want.insert({m.src, m.src_port, m.dst, m.dst_port, m.payload});
  return want;
}

struct TlsCollector {
  int tls_port;
  int bus_port = test::freePort();
  int metrics_port = test::freePort();
  test::ChildProcess proc;
  // `cert`/`key`: the collector's identity (the good one by default); `extra`: more options.
  explicit TlsCollector(std::vector<std::string> extra = {}, int port = test::freePort(),
                        const std::string& cert = certs().server_cert,
                        const std::string& key = certs().server_key)
      : tls_port(port),
        proc(
            [&] {
              std::vector<std::string> a{test::binaryPath("collector", "sipvault-collector"),
                                         "--udp=",
                                         "--tcp=",
                                         "--tls=127.0.0.1:" + std::to_string(tls_port),
                                         "--tls-cert=" + cert,
                                         "--tls-key=" + key,
                                         "--output=bind:tcp://127.0.0.1:" + std::to_string(bus_port),
                                         "--metrics-listen=127.0.0.1:" + std::to_string(metrics_port)};
              a.insert(a.end(), extra.begin(), extra.end());
              return a;
            }(),
            tempPath("collector-tls-" + std::to_string(port) + ".log")) {
    REQUIRE(proc.waitForLog("event=bus_bound", 10s));
  }
  [[nodiscard]] std::string server(const std::string& host = "127.0.0.1") const {
    return "tls:" + host + ":" + std::to_string(tls_port);
  }
  [[nodiscard]] uint64_t metric(const std::string& name) const {
    const std::optional<uint64_t> value = test::scrapeMetric(metrics_port, name);
    REQUIRE(value);
    return *value;
  }
};

// Pulls until `want` packets came and then 200 ms of quiet (duplicates would show), or time is up.
std::vector<wire::CapturedPacket> pullPackets(int bus_port, size_t want, std::chrono::milliseconds timeout) {
  zmq::context_t ctx(1);
  BusSocket pull(ctx, BusSocket::Kind::Pull, {{false, "tcp://127.0.0.1:" + std::to_string(bus_port)}}, 100);
  std::vector<wire::CapturedPacket> out;
  const auto until = std::chrono::steady_clock::now() + timeout;
  auto quiet_since = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < until) {
    zmq::message_t m;
    if (!pull.receive(m, 50ms)) {
      if (out.size() >= want && std::chrono::steady_clock::now() - quiet_since > 200ms) break;
      continue;
    }
    quiet_since = std::chrono::steady_clock::now();
    wire::PacketBatch batch;
    REQUIRE(batch.ParseFromArray(m.data(), static_cast<int>(m.size())));
    for (const auto& p : batch.packets()) out.push_back(p);
  }
  return out;
}

std::multiset<Key> keysOf(const std::vector<wire::CapturedPacket>& packets) {
  std::multiset<Key> got;
  for (const auto& p : packets)
    got.insert({ipText(p.src_ip()), p.src_port(), ipText(p.dst_ip()), p.dst_port(), p.payload()});
  return got;
}

// The agent gave up on a collector it would not (or could not) talk TLS with: nothing sent,
// every message dropped at the end, the refusal counted and logged.
void checkRefused(const AgentRun& r, const std::string& reason) {
  CHECK(r.exit_code == 0);
  CHECK(logValue(r.log, "stopped", "sent") == 0);
  CHECK(logValue(r.log, "stopped", "dropped_shutdown") == 81);
  CHECK(logValue(r.log, "stopped", "tcp_connects") == 0);
  CHECK(logValue(r.log, "stopped", "tls_handshake_failures") >= 1);
  CHECK(r.log.find("event=hep_connect_failed") != std::string::npos);
  CHECK(r.log.find(reason) != std::string::npos);
}

}  // namespace

TEST_CASE("Our collector receives the agent's HEP over TLS: aaa.pcap's 81 SIP messages exactly",
          "[agent][collector][tls]") {
  const auto want = aaaTruth();
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    INFO(host);
    TlsCollector c;
    AgentRun r = runAgent({"-r", corpus("pcap/sngrep_aaa.pcap"), "-H", c.server(host), "--tls-ca", certs().ca,
                           "--capture-id", "321"});
    INFO(r.log);
    CHECK(r.exit_code == 0);
    CHECK(r.log.find("event=hep_connected server=" + c.server(host)) != std::string::npos);
    CHECK(r.log.find("tls=\"TLSv1.3") != std::string::npos);
    CHECK(logValue(r.log, "stopped", "sent") == 81);
    CHECK(logValue(r.log, "stopped", "tls_handshake_failures") == 0);
    const auto packets = pullPackets(c.bus_port, 81, 10s);
    for (const auto& p : packets) CHECK(p.capture_id() == 321);
    CHECK(packets.size() == 81);
    CHECK(keysOf(packets) == want);
    CHECK(c.metric(R"(collector_received_total{transport="tls"})") == 81);
    CHECK(c.metric("collector_tls_handshakes_total") == 1);
    CHECK(c.proc.stop() == 0);
  }
}

TEST_CASE("The agent sends nothing to a collector whose certificate it cannot trust - counted and logged",
          "[agent][collector][tls]") {
  const std::string file = corpus("pcap/sngrep_aaa.pcap");
  SECTION("signed by a CA the agent was not given") {
    TlsCollector c;
    AgentRun r =
        runAgent({"-r", file, "-H", c.server(), "--tls-ca", certs().other_ca, "--drain-timeout", "500"});
    INFO(r.log);
    checkRefused(r, "certificate verify failed");
    CHECK(pullPackets(c.bus_port, 1, 1s).empty());
    CHECK(c.metric(R"(collector_tls_handshake_failures_total{reason="certificate"})") >= 1);  // our alert
  }
  SECTION("issued for another name") {
    TlsCollector c({}, test::freePort(), certs().misnamed_cert, certs().misnamed_key);
    AgentRun r = runAgent({"-r", file, "-H", c.server(), "--tls-ca", certs().ca, "--drain-timeout", "500"});
    INFO(r.log);
    checkRefused(r, "IP address mismatch");
    CHECK(pullPackets(c.bus_port, 1, 1s).empty());
  }
}

TEST_CASE("The agent with --tls-insecure sends over TLS without checking the certificate, and warns at start",
          "[agent][collector][tls]") {
  TlsCollector c({}, test::freePort(), certs().misnamed_cert, certs().misnamed_key);
  AgentRun r = runAgent({"-r", corpus("pcap/sngrep_aaa.pcap"), "-H", c.server(), "--tls-insecure"});
  INFO(r.log);
  CHECK(r.exit_code == 0);
  CHECK(r.log.find("level=warn stage=agent event=tls_insecure") != std::string::npos);
  const auto packets = pullPackets(c.bus_port, 81, 10s);
  CHECK(packets.size() == 81);
  CHECK(keysOf(packets) == aaaTruth());
}

TEST_CASE(
    "Mutual TLS: the collector refuses an agent without a certificate of its CA - with one, all 81 arrive",
    "[agent][collector][tls][mtls]") {
  const std::string file = corpus("pcap/sngrep_aaa.pcap");
  TlsCollector c({"--tls-ca=" + certs().ca});
  SECTION("no client certificate") {
    AgentRun r = runAgent({"-r", file, "-H", c.server(), "--tls-ca", certs().ca, "--drain-timeout", "500"});
    INFO(r.log);
    checkRefused(r, "the collector asks for a client certificate");
    CHECK(pullPackets(c.bus_port, 1, 1s).empty());
    CHECK(c.metric(R"(collector_tls_handshake_failures_total{reason="certificate"})") >= 1);
    CHECK(c.proc.log().find("peer did not return a certificate") != std::string::npos);
  }
  SECTION("a client certificate of another CA") {
    AgentRun r = runAgent({"-r", file, "-H", c.server(), "--tls-ca", certs().ca, "--tls-cert",
                           certs().other_client_cert, "--tls-key", certs().other_client_key,
                           "--drain-timeout", "500"});
    INFO(r.log);
    checkRefused(r, "unknown ca");
    CHECK(pullPackets(c.bus_port, 1, 1s).empty());
    CHECK(c.metric(R"(collector_tls_handshake_failures_total{reason="certificate"})") >= 1);
  }
  SECTION("a client certificate of the collector's CA") {
    AgentRun r = runAgent({"-r", file, "-H", c.server(), "--tls-ca", certs().ca, "--tls-cert",
                           certs().client_cert, "--tls-key", certs().client_key});
    INFO(r.log);
    CHECK(r.exit_code == 0);
    CHECK(logValue(r.log, "stopped", "sent") == 81);
    const auto packets = pullPackets(c.bus_port, 81, 10s);
    CHECK(packets.size() == 81);
    CHECK(keysOf(packets) == aaaTruth());
    CHECK(c.metric(R"(collector_tls_handshake_failures_total{reason="certificate"})") == 0);
  }
}

TEST_CASE("TLS output reconnects with backoff to a collector that comes late, and fails over like TCP",
          "[agent][collector][tls][restart][failover]") {
  const std::string file = corpus("pcap/sngrep_aaa.pcap");
  SECTION("the collector starts after the agent: queued messages arrive once each") {
    const int port = test::freePort();
    // 102 frames at 50/s: two seconds of replay; nobody listens for the first 700 ms.
    auto agent =
        startAgent({"-r", file, "--rate", "50", "-H", "tls:127.0.0.1:" + std::to_string(port), "--tls-ca",
                    certs().ca, "--reconnect-min", "50", "--reconnect-max", "200", "--drain-timeout", "5000"},
                   "tls-late-collector.log");
    std::this_thread::sleep_for(700ms);
    TlsCollector c({}, port);
    CHECK(agent->wait(20s) == 0);
    const std::string log = agent->log();
    INFO(log);
    const auto packets = pullPackets(c.bus_port, 81, 10s);
    CHECK(packets.size() == 81);
    CHECK(keysOf(packets) == aaaTruth());
    CHECK(logValue(log, "stopped", "tcp_connects") == 1);
    CHECK(logValue(log, "stopped", "dropped") == 0);
    CHECK(log.find("event=hep_connect_failed server=tls:127.0.0.1:" + std::to_string(port)) !=
          std::string::npos);
  }
  SECTION("an untrusted primary: the trusted secondary gets everything") {
    TlsCollector untrusted({}, test::freePort(), certs().misnamed_cert, certs().misnamed_key);
    TlsCollector trusted;
    AgentRun r =
        runAgent({"-r", file, "-H", untrusted.server(), "-H", trusted.server(), "--tls-ca", certs().ca});
    INFO(r.log);
    CHECK(r.exit_code == 0);
    const auto packets = pullPackets(trusted.bus_port, 81, 10s);
    CHECK(packets.size() == 81);
    CHECK(keysOf(packets) == aaaTruth());
    CHECK(pullPackets(untrusted.bus_port, 1, 500ms).empty());
    CHECK(logValue(r.log, "stopped", "dropped") == 0);
    CHECK(logValue(r.log, "stopped", "tls_handshake_failures") >= 1);
  }
}

TEST_CASE("TLS start-up problems exit 78 with one line naming the fix", "[agent][cli][tls]") {
  const std::string file = corpus("pcap/sngrep_aaa.pcap");
  AgentRun missing_ca =
      runAgent({"-r", file, "-H", "tls:127.0.0.1:9061", "--tls-ca", certs().dir + "/absent.pem"});
  CHECK(missing_ca.exit_code == 78);
  CHECK(missing_ca.log.find("absent.pem") != std::string::npos);
  CHECK(missing_ca.log.find("event=startup_failed") != std::string::npos);
  AgentRun half_pair = runAgent({"-r", file, "-H", "tls:127.0.0.1:9061", "--tls-cert", certs().client_cert});
  CHECK(half_pair.exit_code == 78);
  CHECK(half_pair.log.find("agent.tls_key") != std::string::npos);
  AgentRun v2 = runAgent({"-r", file, "-H", "tls:127.0.0.1:9061", "--hep-version", "2"});
  CHECK(v2.exit_code == 78);
}
