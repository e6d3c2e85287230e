// The real sipvault-collector with acks on (collector.ack_input): resends, gives up, and holds back
// new batches when its unacked window is full. The test plays parser (PULL) and writer (ack PUB).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <thread>

#include "child_process.h"
#include "common/batch_ack.h"
#include "proto/hep_codec.h"
#include "sipvault.pb.h"
#include "tests/collector/collector_test_support.h"

using namespace sipvault;
using namespace std::chrono_literals;

namespace {

void sendHepUdp(int port, std::string payload, int i) {
  test::sendUdp(port, test::encodeHep(3, test::samplePacket(i, payload)));
}

// A collector with acks on, plus the test's parser (PULL) and writer (ack PUB) sockets.
struct AckedCollector {
  int hep_port = test::freePort();
  int bus_port = test::freePort();
  int ack_port = test::freePort();
  std::string log_path = std::string(SIPVAULT_BINARY_DIR) + "/tests/collector/acked-" + std::to_string(hep_port);
  test::ChildProcess proc;
  zmq::context_t ctx{1};
  BusSocket pull{ctx, BusSocket::Kind::Pull, {{false, "tcp://127.0.0.1:" + std::to_string(bus_port)}}, 1000};
  AckPublisher acks{ctx, {{false, "tcp://127.0.0.1:" + std::to_string(ack_port)}}};

  AckedCollector(std::vector<std::string> extra, const std::string& ini)
      : proc(
            [&] {
              std::ofstream(log_path + ".ini") << "[collector]\n" << ini;
              std::vector<std::string> a{test::binaryPath("collector", "sipvault-collector"),
                                         "--config=" + log_path + ".ini",
                                         "--udp=127.0.0.1:" + std::to_string(hep_port), "--tcp=",
                                         "--output=bind:tcp://127.0.0.1:" + std::to_string(bus_port),
                                         "--ack-input=bind:tcp://127.0.0.1:" + std::to_string(ack_port)};
              a.insert(a.end(), extra.begin(), extra.end());
              return a;
            }(),
            log_path + ".log") {
    REQUIRE(proc.waitForLog("event=acks_on", 10s));
    std::this_thread::sleep_for(300ms);  // let the ack subscription reach our PUB (slow joiner)
  }

  // Pulls batches for `period`; returns copies seen per sequence and remembers each batch.
  void pullFor(std::chrono::milliseconds period) {
    const auto until = std::chrono::steady_clock::now() + period;
    while (std::chrono::steady_clock::now() < until) {
      zmq::message_t m;
      if (!pull.receive(m, 20ms)) continue;
      wire::PacketBatch b;
      REQUIRE(b.ParseFromArray(m.data(), static_cast<int>(m.size())));
      REQUIRE(b.sender_id() != 0);
      sender_id = b.sender_id();
      ++copies[b.sequence()];
      if (b.packets_size() > 0) payload_of[b.sequence()] = b.packets(0).payload();
    }
  }
  void ack(std::vector<uint64_t> sequences) {
    std::vector<BatchRef> refs;
    for (uint64_t s : sequences) refs.push_back({sender_id, s});
    for (int i = 0; i < 3; ++i) {  // duplicate acks are harmless; a lost one would cost a resend
      acks.publish(refs);
      std::this_thread::sleep_for(20ms);
    }
  }
  uint64_t sequenceOf(const std::string& payload) const {
    for (const auto& [seq, p] : payload_of)
      if (p == payload) return seq;
    return 0;
  }

  uint64_t sender_id = 0;
  std::map<uint64_t, int> copies;
  std::map<uint64_t, std::string> payload_of;
};

}  // namespace

TEST_CASE("with acks on, an acked batch is pushed once and an unacked one 1 + max_resends times, then given up",
          "[collector][integration][ack]") {
  AckedCollector c({"--ack-timeout-ms=300", "--max-resends=2"}, "");
  sendHepUdp(c.hep_port, "OPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: never-acked\r\n\r\n", 1);
  c.pullFor(150ms);
  sendHepUdp(c.hep_port, "OPTIONS sip:b@example.com SIP/2.0\r\nCall-ID: acked\r\n\r\n", 2);
  c.pullFor(150ms);
  const uint64_t never = c.sequenceOf("OPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: never-acked\r\n\r\n");
  const uint64_t acked = c.sequenceOf("OPTIONS sip:b@example.com SIP/2.0\r\nCall-ID: acked\r\n\r\n");
  REQUIRE(never != 0);
  REQUIRE(acked != 0);
  REQUIRE(never != acked);
  c.ack({acked});
  c.pullFor(2000ms);  // > (1 + max_resends) x ack timeout
  CHECK(c.copies[never] == 3);
  CHECK(c.copies[acked] == 1);

  REQUIRE(c.proc.stop() == 0);
  const std::string log = c.proc.log();
  CHECK(log.find("resent=2 ") != std::string::npos);
  CHECK(log.find("gave_up=1") != std::string::npos);
  CHECK(log.find("event=all_acked") != std::string::npos);  // the given-up one no longer counts
}

TEST_CASE("with acks on, a full unacked window holds new batches back until acks make room",
          "[collector][integration][ack]") {
  // One packet per batch, each ~50 KB: a 1 MiB window takes 21 (full once >= 1 MiB).
  AckedCollector c({"--ack-timeout-ms=60000", "--ack-window-mb=1"}, "batch_packets = 1\n");
  for (int i = 0; i < 40; ++i) sendHepUdp(c.hep_port, std::string(50000, char('a' + i % 26)) + std::to_string(i), i);
  c.pullFor(1000ms);
  CHECK(c.copies.size() == 21);

  std::vector<uint64_t> first_ten;
  for (const auto& [seq, n] : c.copies)
    if (first_ten.size() < 10) first_ten.push_back(seq);
  c.ack(first_ten);
  c.pullFor(1000ms);
  CHECK(c.copies.size() == 31);

  std::vector<uint64_t> all;
  for (const auto& [seq, n] : c.copies) all.push_back(seq);
  c.ack(all);
  c.pullFor(1000ms);
  CHECK(c.copies.size() == 40);
  for (const auto& [seq, n] : c.copies) CHECK(n == 1);  // nothing resent: the timeout is long
}
