// HEP output behaviour of the real agent binary: TCP through a collector restart, a full TCP
// queue, failover between collectors.
#include <pcap/pcap.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "agent_test_support.h"

using namespace sipvault;
using namespace sipvault::agent_test;
using namespace std::chrono_literals;

namespace {

// A capture of `n` SIP MESSAGE requests, each naming its index in the Call-ID ("seq-<i>").
std::string numberedCapture(const std::string& name, int n, size_t body) {
  std::vector<PcapFrame> frames;
  for (int i = 0; i < n; ++i) {
    const std::string text(body, 'a' + char(i % 26));
    const std::string sip =
        "MESSAGE sip:bob@example.com SIP/2.0\r\nCall-ID: seq-" + std::to_string(i) +
        "\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(text.size()) +
        "\r\n\r\n" + text;
    frames.push_back({ethernet(ipv4Udp("192.0.2.1", "192.0.2.2", 5060, 5060, sip, uint16_t(i)), 0x0800),
                      uint32_t(1700000000 + i / 1000), uint32_t(i % 1000) * 1000});
  }
  const std::string path = tempPath(name);
  writePcap(path, DLT_EN10MB, frames);
  return path;
}

int indexOf(const std::string& payload) {
  const size_t at = payload.find("Call-ID: seq-");
  return at == std::string::npos ? -1 : std::stoi(payload.substr(at + 13));
}

}  // namespace

TEST_CASE("TCP output survives a collector restart: reconnects and later packets arrive",
          "[agent][output][tcp][restart]") {
  constexpr int kMessages = 300;
  const std::string path = numberedCapture("numbered_300.pcap", kMessages, 200);
  HepReceiver rx(HepReceiver::Kind::Tcp);
  const int port = rx.port();
  // 300 frames at 100/s: three seconds of traffic; the receiver is away from 1.0 s to 2.0 s.
  auto agent = startAgent({"-r", path, "--rate", "100", "-H", "tcp:127.0.0.1:" + std::to_string(port),
                           "--reconnect-min", "50", "--reconnect-max", "400"},
                          "restart.log");
  std::this_thread::sleep_for(1000ms);
  rx.stop();
  const size_t before = rx.count();
  std::this_thread::sleep_for(1000ms);
  rx.start();
  REQUIRE(rx.port() == port);
  CHECK(agent->wait(20s) == 0);
  const std::string log = agent->log();
  INFO(log);
  rx.waitFor(kMessages - 5, 5s);

  const auto got = rx.packets();
  std::multiset<int> seen;
  int first_after_restart = -1;
  for (const auto& h : got) {
    seen.insert(indexOf(h.payload));
    if (h.connection == 1 && first_after_restart < 0) first_after_restart = indexOf(h.payload);
  }
  INFO("received " << got.size() << ", " << before << " before the stop; first after restart #"
                   << first_after_restart);
  CHECK(before >= 50);                           // the first connection carried traffic
  CHECK(before < size_t(kMessages) - 50);        // and the outage was in the middle
  REQUIRE(first_after_restart >= 0);             // a second connection came up
  for (int i : seen) CHECK(seen.count(i) == 1);  // nothing twice
  // From the reconnect on, every message arrived, up to the last one.
  for (int i = first_after_restart; i < kMessages; ++i) CHECK(seen.count(i) == 1);
  // Only what was in flight when the peer vanished may be missing.
  CHECK(got.size() >= size_t(kMessages) - 5);
  // The counters tell the story: two connects, one loss, nothing dropped by the agent.
  CHECK(logValue(log, "stopped", "tcp_connects") == 2);
  CHECK(logValue(log, "stopped", "tcp_disconnects") == 1);
  CHECK(logValue(log, "stopped", "dropped") == 0);
  CHECK(logValue(log, "stopped", "sent") == uint64_t(kMessages));
  CHECK(log.find("event=hep_disconnected") != std::string::npos);
}

TEST_CASE("A full TCP queue drops whole packets and counts them - the rest still arrives",
          "[agent][output][tcp][queue]") {
  constexpr int kMessages = 400;
  const std::string path = numberedCapture("numbered_400.pcap", kMessages, 900);
  const int port = test::freePort();  // nobody listens at first
  auto agent = startAgent(
      {"-r", path, "--rate", "400", "-H", "tcp:127.0.0.1:" + std::to_string(port), "--tcp-queue-kib", "64",
       "--reconnect-min", "50", "--reconnect-max", "100", "--drain-timeout", "5000"},
      "queue.log");
  std::this_thread::sleep_for(600ms);  // about 240 messages of ~1 KiB: more than 64 KiB
  HepReceiver rx(HepReceiver::Kind::Tcp, port);
  CHECK(agent->wait(20s) == 0);
  const std::string log = agent->log();
  INFO(log);
  const uint64_t sent = logValue(log, "stopped", "sent");
  const uint64_t dropped = logValue(log, "stopped", "dropped_tcp_queue_full");
  rx.waitFor(sent, 5s);
  CHECK(dropped > 50);
  CHECK(sent + dropped == uint64_t(kMessages));  // every message accounted for
  CHECK(logValue(log, "stopped", "sip") == uint64_t(kMessages));
  CHECK(rx.count() == sent);
  CHECK(log.find("event=tcp_queue_full") != std::string::npos);
  // Whole packets only: everything that arrived decoded.
  CHECK(rx.decodeErrors() == 0);
}

TEST_CASE("Failover: the first healthy collector gets the traffic", "[agent][output][failover]") {
  const std::string file = corpus("pcap/sngrep_aaa.pcap");
  SECTION("a dead TCP primary sends everything to the UDP secondary") {
    HepReceiver backup(HepReceiver::Kind::Udp);
    const int dead = test::freePort();
    AgentRun r = runAgent({"-r", file, "-H", "tcp:127.0.0.1:" + std::to_string(dead), "-H",
                           "udp:127.0.0.1:" + std::to_string(backup.port())});
    INFO(r.log);
    CHECK(r.exit_code == 0);
    backup.waitFor(81, 5s);
    CHECK(backup.count() == 81);
    CHECK(logValue(r.log, "stopped", "dropped") == 0);
  }
  SECTION("a live TCP primary gets everything, the secondary nothing") {
    HepReceiver primary(HepReceiver::Kind::Tcp), backup(HepReceiver::Kind::Udp);
    AgentRun r = runAgent({"-r", file, "-H", "tcp:127.0.0.1:" + std::to_string(primary.port()), "-H",
                           "udp:127.0.0.1:" + std::to_string(backup.port())});
    INFO(r.log);
    CHECK(r.exit_code == 0);
    primary.waitFor(81, 5s);
    CHECK(primary.count() == 81);
    CHECK(backup.count() == 0);
  }
  SECTION("a UDP primary that refuses (ICMP port unreachable) fails over to the next") {
    HepReceiver backup(HepReceiver::Kind::Udp);
    const int closed = test::freePort();
    // Paced so that the refusal of the first datagrams comes back before the rest go out.
    AgentRun r = runAgent({"-r", file, "--rate", "400", "-H", "udp:127.0.0.1:" + std::to_string(closed), "-H",
                           "udp:127.0.0.1:" + std::to_string(backup.port())});
    INFO(r.log);
    CHECK(r.exit_code == 0);
    backup.waitFor(81, 3s);
    CHECK(backup.count() >= 65);  // the first few, and each later probe, went to the refusing port
    CHECK(backup.count() <= 81);
    CHECK(r.log.find("event=hep_failover") != std::string::npos);
  }
}
