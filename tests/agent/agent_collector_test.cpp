// Interop with our own collector: the real sipvault-collector binary of this build tree receives
// the agent's HEP (UDP and TCP, v3/v2/v1) and its ZeroMQ output carries the same messages.
#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <set>
#include <tuple>

#include "agent_test_support.h"
#include "common/bus.h"
#include "sipvault.pb.h"

using namespace sipvault;
using namespace sipvault::agent_test;
using namespace std::chrono_literals;

namespace {

struct RunningCollector {
  int hep_port = test::freePort();
  int bus_port = test::freePort();
  test::ChildProcess proc;
  RunningCollector()
      : proc({test::binaryPath("collector", "sipvault-collector"),
              "--udp=127.0.0.1:" + std::to_string(hep_port), "--tcp=127.0.0.1:" + std::to_string(hep_port),
              "--output=bind:tcp://127.0.0.1:" + std::to_string(bus_port)},
             tempPath("collector-" + std::to_string(hep_port) + ".log")) {
    REQUIRE(proc.waitForLog("event=bus_bound", 10s));
  }
};

std::vector<wire::CapturedPacket> pullPackets(int bus_port, size_t want, std::chrono::milliseconds timeout) {
  zmq::context_t ctx(1);
  BusSocket pull(ctx, BusSocket::Kind::Pull, {{false, "tcp://127.0.0.1:" + std::to_string(bus_port)}}, 100);
  std::vector<wire::CapturedPacket> out;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    zmq::message_t m;
    if (!pull.receive(m, 100ms)) {
      if (out.size() >= want) break;  // and nothing more came for 100 ms
      continue;
    }
    wire::PacketBatch batch;
    REQUIRE(batch.ParseFromArray(m.data(), static_cast<int>(m.size())));
    for (const auto& p : batch.packets()) out.push_back(p);
  }
  return out;
}

std::string ipText(const std::string& raw) {
  char buf[64] = {};
  inet_ntop(raw.size() == 16 ? AF_INET6 : AF_INET, raw.data(), buf, sizeof buf);
  return buf;
}

}  // namespace

TEST_CASE("Our collector reads the agent's HEP over UDP (v3, v2, v1) and TCP",
          "[agent][collector][interop]") {
  const std::string file = corpus("pcap/sngrep_aaa.pcap");
  const auto truth = sipOnly(readTruth(file));
  REQUIRE(truth.size() == 81);
  using Key = std::tuple<std::string, uint32_t, std::string, uint32_t, std::string>;
  std::multiset<Key> want;
  for (const auto& m : truth) want.insert({m.src, m.src_port, m.dst, m.dst_port, m.payload});

  for (const std::string mode : {"udp3", "udp2", "udp1", "tcp3"}) {
    INFO(mode);
    RunningCollector c;
    const std::string server = mode.substr(0, 3) + ":127.0.0.1:" + std::to_string(c.hep_port);
    AgentRun r = runAgent({"-r", file, "-H", server, "--hep-version", mode.substr(3), "--capture-id", "321"});
    INFO(r.log);
    CHECK(r.exit_code == 0);
    const auto packets = pullPackets(c.bus_port, 81, 10s);
    std::multiset<Key> got;
    for (const auto& p : packets) {
      got.insert({ipText(p.src_ip()), p.src_port(), ipText(p.dst_ip()), p.dst_port(), p.payload()});
      CHECK(p.ip_proto() == 17);
      CHECK(p.payload_type() == 1);
      if (mode != "udp1") CHECK(p.capture_id() == 321);
    }
    CHECK(packets.size() == 81);
    CHECK(got == want);
    CHECK(c.proc.stop() == 0);
  }
}
