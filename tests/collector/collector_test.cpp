// The real sipvault-collector process, fed over real UDP and TCP sockets, read back from its
// real ZeroMQ output.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "child_process.h"
#include "common/bus.h"
#include "metrics_scrape.h"
#include "proto/hep_codec.h"
#include "sipvault.pb.h"
#include "tests/collector/collector_test_support.h"
#include "tls_test_support.h"

using namespace sipvault;
using namespace sipvault::test;
using namespace std::chrono_literals;

namespace {

struct RunningCollector {
  int hep_port = test::freePort();
  int bus_port = test::freePort();
  int metrics_port = test::freePort();
  test::ChildProcess proc;
  explicit RunningCollector(std::vector<std::string> extra = {})
      : proc(
            [&] {
              std::vector<std::string> a{test::binaryPath("collector", "sipvault-collector"),
                                         "--udp=127.0.0.1:" + std::to_string(hep_port),
                                         "--tcp=127.0.0.1:" + std::to_string(hep_port),
                                         "--output=bind:tcp://127.0.0.1:" + std::to_string(bus_port),
                                         "--metrics-listen=127.0.0.1:" + std::to_string(metrics_port)};
              a.insert(a.end(), extra.begin(), extra.end());
              return a;
            }(),
            std::string(SIPVAULT_BINARY_DIR) + "/tests/collector/collector-" + std::to_string(hep_port) + ".log") {
    REQUIRE(proc.waitForLog("event=bus_bound", 10s));
  }
};

}  // namespace

TEST_CASE("HEP v1, v2 and v3 over UDP come out of the collector as packets with their fields",
          "[collector][integration]") {
  RunningCollector c;
  const std::string sip = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n";
  for (int i = 0; i < 30; ++i) sendUdp(c.hep_port, encodeHep(1 + i % 3, samplePacket(i, sip)));
  sendUdp(c.hep_port, "this is not HEP at all");
  auto packets = pullPackets(c.bus_port, 30, 10s);
  REQUIRE(packets.size() == 30);
  std::set<uint32_t> ports;
  int v1 = 0;
  for (const auto& p : packets) {
    ports.insert(p.src_port());
    CHECK(p.payload() == sip);
    CHECK(p.dst_port() == 5060);
    CHECK(p.ip_family() == 4);
    CHECK(p.received_time_us() > 0);
    if (p.origin() == wire::ORIGIN_HEP1) ++v1;
    else CHECK(p.capture_time_us() == uint64_t(1700000000 + (p.src_port() - 5000)) * 1000000 + 123);
  }
  CHECK(ports.size() == 30);
  CHECK(v1 == 10);
  CHECK(c.proc.stop() == 0);
  CHECK(c.proc.log().find("event=stopped accepted=30") != std::string::npos);
}

TEST_CASE("HEP3 over TCP is framed across split reads and several packets per read", "[collector][integration]") {
  RunningCollector c;
  std::string stream;
  for (int i = 0; i < 20; ++i) stream += encodeHep(3, samplePacket(i, "INVITE sip:b@c SIP/2.0\r\n\r\n"));
  const int fd = connectTcp(c.hep_port);
  // Uneven writes: 1 byte, 7 bytes, then growing pieces, so packets straddle every kind of boundary.
  size_t off = 0, piece = 1;
  while (off < stream.size()) {
    const size_t n = std::min(piece, stream.size() - off);
    REQUIRE(::send(fd, stream.data() + off, n, 0) == static_cast<ssize_t>(n));
    off += n;
    piece = piece * 3 + 4;
    std::this_thread::sleep_for(2ms);
  }
  auto packets = pullPackets(c.bus_port, 20, 10s);
  ::close(fd);
  REQUIRE(packets.size() == 20);
  for (int i = 0; i < 20; ++i) CHECK(packets[i].src_port() == uint32_t(5000 + i));
}

TEST_CASE("a TCP stream that is not HEP is closed and counted, other connections go on",
          "[collector][integration]") {
  RunningCollector c;
  const int bad = connectTcp(c.hep_port);
  const std::string junk = "GET / HTTP/1.0\r\n\r\n";
  ::send(bad, junk.data(), junk.size(), 0);
  char b;
  CHECK(::recv(bad, &b, 1, 0) == 0);  // the collector hung up
  ::close(bad);
  const int good = connectTcp(c.hep_port);
  const std::string pkt = encodeHep(3, samplePacket(1, "BYE sip:x SIP/2.0\r\n\r\n"));
  ::send(good, pkt.data(), pkt.size(), 0);
  CHECK(pullPackets(c.bus_port, 1, 10s).size() == 1);
  ::close(good);
}

TEST_CASE("with an auth key, packets with a wrong or missing key are dropped and counted",
          "[collector][integration]") {
  RunningCollector c({"--auth-key=s3cret"});
  PacketView good = samplePacket(1, "OPTIONS sip:a SIP/2.0\r\n\r\n");
  good.has_auth_key = true;
  good.auth_key = "s3cret";
  PacketView wrong = good;
  wrong.auth_key = "guess";
  PacketView missing = samplePacket(2, "OPTIONS sip:a SIP/2.0\r\n\r\n");
  sendUdp(c.hep_port, encodeHep(3, wrong));
  sendUdp(c.hep_port, encodeHep(3, missing));
  sendUdp(c.hep_port, encodeHep(3, good));
  auto packets = pullPackets(c.bus_port, 2, 3s);
  REQUIRE(packets.size() == 1);
  CHECK(packets[0].src_port() == 5001);
}

TEST_CASE("the collector refuses to start on a port in use, with one clear line", "[collector][integration]") {
  RunningCollector first;
  test::ChildProcess second({test::binaryPath("collector", "sipvault-collector"),
                             "--udp=127.0.0.1:" + std::to_string(first.hep_port), "--tcp=",
                             "--output=bind:tcp://127.0.0.1:" + std::to_string(test::freePort())},
                            std::string(SIPVAULT_BINARY_DIR) + "/tests/collector/collector-busy.log");
  // UDP SO_REUSEPORT allows sharing, so make the TCP side collide instead.
  test::ChildProcess third({test::binaryPath("collector", "sipvault-collector"), "--udp=",
                            "--tcp=127.0.0.1:" + std::to_string(first.hep_port),
                            "--output=bind:tcp://127.0.0.1:" + std::to_string(test::freePort())},
                           std::string(SIPVAULT_BINARY_DIR) + "/tests/collector/collector-busy2.log");
  CHECK(third.wait(10s) == 69);
  CHECK(third.log().find("event=startup_failed") != std::string::npos);
  second.stop();
}

TEST_CASE("the collector's --help lists the options and exits 0", "[collector][integration]") {
  test::ChildProcess p({test::binaryPath("collector", "sipvault-collector"), "--help"},
                       std::string(SIPVAULT_BINARY_DIR) + "/tests/collector/collector-help.log");
  CHECK(p.wait(10s) == 0);
  CHECK(p.log().find("--auth-key") != std::string::npos);
  CHECK(p.log().find("--config") != std::string::npos);
}

TEST_CASE("every UDP datagram the kernel dropped while the collector was pushed back is counted",
          "[collector][integration][backpressure]") {
  // Nobody pulls the output: one-packet batches fill the one-batch queue, the listener blocks, the
  // socket buffer fills and the kernel drops the rest. Those drops happen after the last datagram
  // the kernel queued, which is what a per-datagram SO_RXQ_OVFL count cannot report.
  const std::string ini = std::string(SIPVAULT_BINARY_DIR) + "/tests/collector/kernel-drops.ini";
  std::ofstream(ini) << "[collector]\nudp_rcvbuf = 65536\nbatch_packets = 1\nqueue_batches = 1\nbus_hwm = 1\n";
  RunningCollector c({"--config=" + ini});
  const std::string sip = "OPTIONS sip:drops@example.org SIP/2.0\r\nCall-ID: drops\r\n\r\n";
  constexpr int kSent = 3000;
  for (int i = 0; i < kSent; ++i) sendUdp(c.hep_port, encodeHep(3, samplePacket(i, sip)));
  const auto packets = pullPackets(c.bus_port, kSent, 5s);
  REQUIRE(packets.size() < static_cast<size_t>(kSent));  // the buffer really overflowed
  std::string metrics;
  const auto until = std::chrono::steady_clock::now() + 5s;
  uint64_t dropped = 0;
  while (std::chrono::steady_clock::now() < until) {
    REQUIRE(test::runShell("curl -s http://127.0.0.1:" + std::to_string(c.metrics_port) + "/metrics", metrics) == 0);
    const std::string key = "sipvault_collector_dropped_total{reason=\"kernel_udp_buffer\"} ";
    const size_t at = metrics.find(key);
    REQUIRE(at != std::string::npos);
    dropped = std::stoull(metrics.substr(at + key.size()));
    if (packets.size() + dropped == kSent) break;
    std::this_thread::sleep_for(100ms);
  }
  INFO("received " << packets.size() << ", counted as kernel drops " << dropped);
  CHECK(packets.size() + dropped == static_cast<size_t>(kSent));
}

TEST_CASE("SIGTERM with no parser taking batches ends within the drain timeout and counts what it dropped",
          "[collector][integration][drain]") {
  // Nobody pulls the output: one-packet batches fill the one-batch queue and the listener blocks
  // in its flush. Without a deadline on that flush, stop never finished.
  const std::string ini = std::string(SIPVAULT_BINARY_DIR) + "/tests/collector/drain-deadline.ini";
  std::ofstream(ini)
      << "[collector]\nbatch_packets = 1\nqueue_batches = 1\nbus_hwm = 1\ndrain_timeout_ms = 1500\n";
  RunningCollector c({"--config=" + ini});
  const std::string sip = "OPTIONS sip:drain@example.org SIP/2.0\r\nCall-ID: drain\r\n\r\n";
  for (int i = 0; i < 500; ++i) sendUdp(c.hep_port, encodeHep(3, samplePacket(i, sip)));
  std::this_thread::sleep_for(500ms);  // the listener is blocked on the full queue by now
  const auto t0 = std::chrono::steady_clock::now();
  const int status = c.proc.stop(20s);
  const auto took = std::chrono::steady_clock::now() - t0;
  INFO(c.proc.log());
  CHECK(status == 0);
  CHECK(took < 5s);  // 1.5 s drain timeout plus start-up slack, far from "never"
  CHECK(c.proc.log().find("event=drain_deadline_passed") != std::string::npos);
  // Every packet is either held in the undelivered batches or counted as dropped at stop.
  const std::string log = c.proc.log();
  const auto field = [&](const std::string& key) {
    const size_t at = log.find(" " + key + "=", log.find("event=stopped"));
    REQUIRE(at != std::string::npos);
    return std::stoull(log.substr(at + key.size() + 2));
  };
  CHECK(field("undelivered_batches") + field("dropped_at_stop") > 0);
  CHECK(field("undelivered_batches") + field("dropped_at_stop") + field("batches_sent") == field("accepted"));
}

namespace {

// True when the collector closed `fd` within `wait` (read gives EOF or a reset).
bool closedByPeer(int fd, std::chrono::milliseconds wait) {
  timeval tv{static_cast<time_t>(wait.count() / 1000), static_cast<suseconds_t>(wait.count() % 1000 * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char b;
  const ssize_t n = ::recv(fd, &b, 1, 0);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

uint64_t metric(const RunningCollector& c, const std::string& name) {
  return test::scrapeMetric(c.metrics_port, name).value_or(0);
}

}  // namespace

TEST_CASE(
    "one source address gets at most collector.tcp_max_per_source TCP connections, other sources still get "
    "theirs",
    "[collector][integration][tcp]") {
  const std::string ini = std::string(SIPVAULT_BINARY_DIR) + "/tests/collector/per-source.ini";
  std::ofstream(ini) << "[collector]\ntcp_max_per_source = 2\n";
  RunningCollector c({"--config=" + ini});
  const int a = connectTcp(c.hep_port, "127.0.0.1");
  const int b = connectTcp(c.hep_port, "127.0.0.1");
  const int refused = connectTcp(c.hep_port, "127.0.0.1");
  const int other = connectTcp(c.hep_port, "127.0.0.2");
  CHECK(closedByPeer(refused, 3s));
  CHECK_FALSE(closedByPeer(other, 300ms));
  CHECK_FALSE(closedByPeer(a, 300ms));
  CHECK(metric(c, "collector_tcp_refused_per_source_total") == 1);
  // A slot freed is a slot again.
  ::close(a);
  std::this_thread::sleep_for(300ms);
  const int again = connectTcp(c.hep_port, "127.0.0.1");
  CHECK_FALSE(closedByPeer(again, 300ms));
  CHECK(metric(c, "collector_tcp_refused_per_source_total") == 1);
  for (int fd : {b, refused, other, again}) ::close(fd);
}

TEST_CASE(
    "a TCP connection that sends no valid HEP packet within the first-packet timeout is closed and counted",
    "[collector][integration][tcp]") {
  const std::string ini = std::string(SIPVAULT_BINARY_DIR) + "/tests/collector/first-packet.ini";
  std::ofstream(ini) << "[collector]\ntcp_first_packet_timeout_s = 1\n";
  RunningCollector c({"--config=" + ini});
  const int silent = connectTcp(c.hep_port);
  // A HEP3 header announcing 60,000 bytes, then a trickle that never completes it: bytes alone
  // do not keep the slot.
  const int trickle = connectTcp(c.hep_port);
  REQUIRE(::send(trickle, "HEP3\xea\x60", 6, 0) == 6);
  const int good = connectTcp(c.hep_port);
  const std::string hep = encodeHep(3, samplePacket(1, "OPTIONS sip:a SIP/2.0\r\n\r\n"));
  REQUIRE(::send(good, hep.data(), hep.size(), 0) == static_cast<ssize_t>(hep.size()));
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(400ms);
    (void)::send(trickle, "x", 1, MSG_NOSIGNAL);
  }
  CHECK(closedByPeer(silent, 3s));
  CHECK(closedByPeer(trickle, 3s));
  CHECK_FALSE(closedByPeer(good, 500ms));  // past the deadline, but it delivered a packet
  CHECK(metric(c, "collector_tcp_closed_total{reason=\"no_hep\"}") == 2);
  for (int fd : {silent, trickle, good}) ::close(fd);
}
