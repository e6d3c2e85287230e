// HEP over TLS into the real sipvault-collector process, driven by a TLS client none of us wrote
// (openssl s_client) and by raw sockets that misbehave; read back from its real ZeroMQ output and
// its /metrics. Certificates are made at test time (tests/support/tls_test_support.h).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <thread>

#include "child_process.h"
#include "common/bus.h"
#include "proto/hep_codec.h"
#include "sipvault.pb.h"
#include "tests/collector/collector_test_support.h"
#include "tests/support/metrics_scrape.h"
#include "tls_test_support.h"

using namespace sipvault;
using sipvault::test::connectTcp;
using sipvault::test::pullPackets;
using namespace std::chrono_literals;

namespace {

const test::TestCertificates& certs() { return test::testCertificates(); }

// HEP3 packets with source ports first_port, first_port + 1, ... (the test's own truth).
std::string hepStream(int count, int first_port) {
  std::string out;
  static const std::string sip = "OPTIONS sip:tls@example.org SIP/2.0\r\nCall-ID: tls-test\r\n\r\n";
  for (int i = 0; i < count; ++i) {
    PacketView p;
    p.src = *IpAddress::parse("192.0.2.10");
    p.dst = *IpAddress::parse("192.0.2.20");
    p.src_port = static_cast<uint16_t>(first_port + i);
    p.dst_port = 5061;
    p.ip_proto = kIpProtoTcp;
    p.ts_sec = 1700000000 + i;
    p.capture_id = 11;
    p.payload = sip;
    REQUIRE(encodeHep3(p, out).ok());
  }
  return out;
}

std::string writeTemp(const std::string& name, const std::string& bytes) {
  const std::string path = certs().dir + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// True when the peer closed `fd` (EOF or reset) within `timeout`.
bool closedByPeer(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char buf[512];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN)) return true;
    if (n < 0) return false;  // TLS alert bytes were readable; the close may follow
  }
}

struct TlsCollector {
  int tls_port = test::freePort();
  int bus_port = test::freePort();
  int metrics_port = test::freePort();
  test::ChildProcess proc;
  explicit TlsCollector(std::vector<std::string> extra = {})
      : proc(
            [&] {
              std::vector<std::string> a{test::binaryPath("collector", "sipvault-collector"), "--udp=", "--tcp=",
                                         "--tls=127.0.0.1:" + std::to_string(tls_port),
                                         "--tls-cert=" + certs().server_cert, "--tls-key=" + certs().server_key,
                                         "--output=bind:tcp://127.0.0.1:" + std::to_string(bus_port),
                                         "--metrics-listen=127.0.0.1:" + std::to_string(metrics_port)};
              a.insert(a.end(), extra.begin(), extra.end());
              return a;
            }(),
            std::string(SIPVAULT_BINARY_DIR) + "/tests/collector/collector-tls-" + std::to_string(tls_port) + ".log") {
    REQUIRE(proc.waitForLog("event=bus_bound", 10s));
    REQUIRE(proc.log().find("event=listening transport=tls addr=127.0.0.1:" + std::to_string(tls_port)) !=
            std::string::npos);
  }

  // A counter or gauge from /metrics ("collector_tls_handshakes_total", with labels as printed).
  uint64_t metric(const std::string& name) const {
    const std::optional<uint64_t> value = test::scrapeMetric(metrics_port, name);
    REQUIRE(value);
    return *value;
  }
  bool waitForMetric(const std::string& name, uint64_t value, std::chrono::milliseconds timeout) const {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (metric(name) != value) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(50ms);
    }
    return true;
  }

  // openssl s_client sends the file's bytes and exits at its end; returns its exit status.
  int sendWithOpenSsl(const std::string& file, const std::string& client_args, std::string& output) const {
    return test::runShell("timeout 20 openssl s_client -connect 127.0.0.1:" + std::to_string(tls_port) +
                              " -CAfile " + certs().ca + " -verify_return_error -quiet -no_ign_eof " + client_args +
                              " < " + file,
                          output);
  }
};

}  // namespace

TEST_CASE("HEP3 sent by openssl s_client into the TLS port comes out framed and counted as tls",
          "[collector][tls][interop]") {
  TlsCollector c;
  const std::string file = writeTemp("s_client-20.hep", hepStream(20, 7000));
  std::string out;
  CHECK(c.sendWithOpenSsl(file, "", out) == 0);
  INFO(out);
  const auto packets = pullPackets(c.bus_port, 20, 10s);
  REQUIRE(packets.size() == 20);
  for (int i = 0; i < 20; ++i) {
    CHECK(packets[i].src_port() == uint32_t(7000 + i));
    CHECK(packets[i].capture_id() == 11);
    CHECK(packets[i].payload().find("Call-ID: tls-test") != std::string::npos);
  }
  CHECK(c.metric(R"(collector_received_total{transport="tls"})") == 20);
  CHECK(c.metric(R"(collector_received_total{transport="tcp"})") == 0);
  CHECK(c.metric("collector_tls_handshakes_total") == 1);
  CHECK(c.proc.stop() == 0);
}

TEST_CASE("a plain TCP client on the TLS port is a counted handshake failure and the collector keeps serving",
          "[collector][tls]") {
  TlsCollector c;
  const int plain = connectTcp(c.tls_port);
  const std::string clear = hepStream(3, 100);
  REQUIRE(::send(plain, clear.data(), clear.size(), 0) == static_cast<ssize_t>(clear.size()));
  CHECK(closedByPeer(plain, 5s));
  ::close(plain);
  CHECK(c.waitForMetric(R"(collector_tls_handshake_failures_total{reason="protocol"})", 1, 5s));
  CHECK(c.proc.log().find("event=tls_handshake_failed") != std::string::npos);
  CHECK(c.proc.log().find("reason=protocol") != std::string::npos);

  // Still serving: a real TLS client gets through, and none of the clear-text packets did.
  const std::string file = writeTemp("after-plain.hep", hepStream(2, 200));
  std::string out;
  CHECK(c.sendWithOpenSsl(file, "", out) == 0);
  const auto packets = pullPackets(c.bus_port, 3, 3s);
  REQUIRE(packets.size() == 2);
  CHECK(packets[0].src_port() == 200);
  CHECK(packets[1].src_port() == 201);
  CHECK(c.proc.running());
}

TEST_CASE("a TLS client stalled mid-handshake holds up no one and is dropped at the handshake timeout",
          "[collector][tls]") {
  TlsCollector c({"--tls-handshake-timeout=2"});
  const int stalled = connectTcp(c.tls_port);
  const unsigned char record_start[] = {0x16, 0x03, 0x01, 0x00, 0x80};  // a ClientHello that never comes
  REQUIRE(::send(stalled, record_start, sizeof record_start, 0) == 5);

  const auto started = std::chrono::steady_clock::now();
  const std::string file = writeTemp("beside-stalled.hep", hepStream(5, 300));
  std::string out;
  CHECK(c.sendWithOpenSsl(file, "", out) == 0);
  CHECK(pullPackets(c.bus_port, 5, 10s).size() == 5);
  CHECK(std::chrono::steady_clock::now() - started < 2s);  // served while the other one hung

  CHECK(closedByPeer(stalled, 5s));
  ::close(stalled);
  CHECK(c.waitForMetric(R"(collector_tls_handshake_failures_total{reason="timeout"})", 1, 3s));
  CHECK(c.metric("collector_tls_connections") == 0);
}

TEST_CASE("with collector.tls_ca a client needs a certificate of that CA - others are refused and counted",
          "[collector][tls][mtls]") {
  TlsCollector c({"--tls-ca=" + certs().ca});
  const std::string refused = writeTemp("mtls-refused.hep", hepStream(4, 400));
  std::string out;

  (void)c.sendWithOpenSsl(refused, "", out);  // no certificate
  INFO(out);
  CHECK(c.waitForMetric(R"(collector_tls_handshake_failures_total{reason="certificate"})", 1, 5s));
  (void)c.sendWithOpenSsl(refused, "-cert " + certs().other_client_cert + " -key " + certs().other_client_key, out);
  CHECK(c.waitForMetric(R"(collector_tls_handshake_failures_total{reason="certificate"})", 2, 5s));
  CHECK(pullPackets(c.bus_port, 1, 1500ms).empty());
  CHECK(c.proc.log().find("peer did not return a certificate") != std::string::npos);

  const std::string admitted = writeTemp("mtls-admitted.hep", hepStream(4, 500));
  CHECK(c.sendWithOpenSsl(admitted, "-cert " + certs().client_cert + " -key " + certs().client_key, out) == 0);
  const auto packets = pullPackets(c.bus_port, 4, 10s);
  REQUIRE(packets.size() == 4);
  for (int i = 0; i < 4; ++i) CHECK(packets[i].src_port() == uint32_t(500 + i));
  CHECK(c.metric(R"(collector_received_total{transport="tls"})") == 4);
}

TEST_CASE("the collector will not start TLS without a usable certificate, and says which", "[collector][tls]") {
  const std::string collector = test::binaryPath("collector", "sipvault-collector");
  const std::string logs = std::string(SIPVAULT_BINARY_DIR) + "/tests/collector/";
  const std::string tls = "--tls=127.0.0.1:" + std::to_string(test::freePort());
  const std::string output = "--output=bind:tcp://127.0.0.1:" + std::to_string(test::freePort());

  test::ChildProcess no_cert({collector, "--udp=", "--tcp=", tls, output}, logs + "collector-tls-nocert.log");
  CHECK(no_cert.wait(10s) == 78);
  CHECK(no_cert.log().find("collector.tls_cert") != std::string::npos);

  test::ChildProcess missing({collector, "--udp=", "--tcp=", tls, output, "--tls-cert=" + certs().dir + "/absent.pem",
                              "--tls-key=" + certs().server_key},
                             logs + "collector-tls-missing.log");
  CHECK(missing.wait(10s) == 78);
  CHECK(missing.log().find("absent.pem") != std::string::npos);

  test::ChildProcess mismatched({collector, "--udp=", "--tcp=", tls, output, "--tls-cert=" + certs().server_cert,
                                 "--tls-key=" + certs().client_key},
                                logs + "collector-tls-mismatch.log");
  CHECK(mismatched.wait(10s) == 78);
  CHECK(mismatched.log().find("event=startup_failed") != std::string::npos);
}
