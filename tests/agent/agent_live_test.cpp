// Live capture on the loopback interface with the real agent binary: SIGUSR1 counters, flush on
// SIGTERM, /metrics, and dropping root with -u. Needs root (or CAP_NET_RAW) to capture.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "agent_test_support.h"

using namespace sipvault;
using namespace sipvault::agent_test;
using namespace std::chrono_literals;

namespace {

bool canCapture() {
  if (::geteuid() == 0) return true;
  WARN("not root: live capture tests skipped");
  return false;
}

// Sends `n` SIP OPTIONS from 127.0.0.1:<ephemeral> to 127.0.0.1:`port` (nobody listens there;
// the agent sees them on lo all the same). Returns the payloads.
std::vector<std::string> sendSip(int port, int n, const std::string& tag) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(uint16_t(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<std::string> sent;
  for (int i = 0; i < n; ++i) {
    const std::string sip = "OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\nCall-ID: " + tag + "-" +
                            std::to_string(i) + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    REQUIRE(::sendto(fd, sip.data(), sip.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) ==
            ssize_t(sip.size()));
    sent.push_back(sip);
  }
  ::close(fd);
  return sent;
}

std::string procStatus(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return line.substr(field.size() + 1);
  return "?";
}

std::string httpGet(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(uint16_t(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  REQUIRE(::send(fd, req.data(), req.size(), 0) == ssize_t(req.size()));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, size_t(n));
  ::close(fd);
  return out;
}

struct LiveAgent {
  int sip_port = test::freePort();
  std::unique_ptr<test::ChildProcess> proc;
  LiveAgent(const std::string& log_name, const std::string& server, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{
        "-i", "lo", "-f", "udp port " + std::to_string(sip_port), "-H", server, "--stats-interval", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    proc = startAgent(args, log_name);
    REQUIRE(proc->waitForLog("event=hep_output", 10s));
    std::this_thread::sleep_for(100ms);  // the capture thread is polling by now
  }
};

}  // namespace

TEST_CASE("SIGUSR1 logs the counters - SIGTERM flushes what the kernel still holds and exits 0",
          "[agent][live][signals]") {
  if (!canCapture()) return;
  HepReceiver rx(HepReceiver::Kind::Tcp);
  LiveAgent agent("live-signals.log", "tcp:127.0.0.1:" + std::to_string(rx.port()));
  const auto first = sendSip(agent.sip_port, 5, "usr1");
  REQUIRE(rx.waitFor(5, 5s));
  // The sender may hand packets to the kernel a moment before the counters are published.
  bool logged = false;
  for (int i = 0; i < 20 && !logged; ++i) {
    ::kill(agent.proc->pid(), SIGUSR1);
    std::this_thread::sleep_for(100ms);
    logged = logValue(agent.proc->log(), "stats", "sent") == 5;
  }
  INFO(agent.proc->log());
  CHECK(logged);
  CHECK(logValue(agent.proc->log(), "stats", "frames") == 5);
  CHECK(logValue(agent.proc->log(), "stats", "sip") == 5);
  CHECK(agent.proc->running());  // SIGUSR1 did not kill it

  // These are still in the kernel's capture block when SIGTERM arrives.
  const auto last = sendSip(agent.sip_port, 50, "term");
  CHECK(agent.proc->stop() == 0);
  rx.waitFor(55, 3s);
  std::multiset<std::string> got;
  for (const auto& h : rx.packets()) got.insert(h.payload);
  for (const auto& s : first) CHECK(got.count(s) == 1);
  for (const auto& s : last) CHECK(got.count(s) == 1);
  CHECK(got.size() == 55);
  CHECK(logValue(agent.proc->log(), "stopped", "sent") == 55);
}

TEST_CASE("/metrics serves the agent's counters", "[agent][live][metrics]") {
  if (!canCapture()) return;
  HepReceiver rx(HepReceiver::Kind::Udp);
  const int metrics_port = test::freePort();
  LiveAgent agent("live-metrics.log", "udp:127.0.0.1:" + std::to_string(rx.port()),
                  {"--metrics-listen", "127.0.0.1:" + std::to_string(metrics_port)});
  sendSip(agent.sip_port, 7, "metrics");
  REQUIRE(rx.waitFor(7, 5s));
  std::string body;
  for (int i = 0; i < 20; ++i) {
    body = httpGet(metrics_port, "/metrics");
    if (body.find("sipvault_agent_hep_sent_total 7\n") != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  INFO(body);
  CHECK(body.find("sipvault_agent_hep_sent_total 7\n") != std::string::npos);
  CHECK(body.find("sipvault_agent_sip_messages_total 7\n") != std::string::npos);
  CHECK(body.find("sipvault_agent_dropped_total{reason=\"queue_full\"} 0") != std::string::npos);
  CHECK(body.find("sipvault_agent_pcap_dropped_total") != std::string::npos);
  CHECK(body.find("sipvault_agent_decode_udp_datagrams_total 7\n") != std::string::npos);
  CHECK(agent.proc->stop() == 0);
}

TEST_CASE("With -u nobody the agent gives up root after opening the capture and keeps capturing",
          "[agent][live][privileges]") {
  if (!canCapture()) return;
  HepReceiver rx(HepReceiver::Kind::Udp);
  LiveAgent agent("live-user.log", "udp:127.0.0.1:" + std::to_string(rx.port()), {"-u", "nobody"});
  REQUIRE(agent.proc->waitForLog("event=privileges_dropped", 5s));
  const pid_t pid = agent.proc->pid();
  // Uid/Gid lines: real, effective, saved, filesystem.
  CHECK(procStatus(pid, "Uid") == "\t65534\t65534\t65534\t65534");
  CHECK(procStatus(pid, "Gid") == "\t65534\t65534\t65534\t65534");
  CHECK(procStatus(pid, "Groups").find_first_not_of(" \t") == std::string::npos);  // no supplementary groups
  CHECK(procStatus(pid, "CapEff") == "\t0000000000000000");
  CHECK(procStatus(pid, "CapPrm") == "\t0000000000000000");
  CHECK(procStatus(pid, "CapAmb") == "\t0000000000000000");
  CHECK(procStatus(pid, "NoNewPrivs") == "\t1");
  const auto sent = sendSip(agent.sip_port, 3, "nobody");
  CHECK(rx.waitFor(3, 5s));
  CHECK(rx.count() == 3);
  CHECK(agent.proc->stop() == 0);
}

TEST_CASE("An unknown -u user makes the agent refuse to run on as root", "[agent][live][privileges]") {
  if (!canCapture()) return;
  AgentRun r = runAgent({"-i", "lo", "-f", "udp port 9", "-u", "no-such-user-sipvault"}, 10s);
  CHECK(r.exit_code == 69);
  CHECK(r.log.find("unknown user") != std::string::npos);
}

TEST_CASE("Two captures share one sender thread: lo captured twice yields every message twice",
          "[agent][live][threads]") {
  if (!canCapture()) return;
  HepReceiver rx(HepReceiver::Kind::Tcp);
  const int sip_port = test::freePort();
  auto proc = startAgent({"-i", "lo", "-i", "lo", "-f", "udp port " + std::to_string(sip_port), "-H",
                          "tcp:127.0.0.1:" + std::to_string(rx.port()), "--stats-interval", "0"},
                         "live-two.log");
  REQUIRE(proc->waitForLog("event=hep_output", 10s));
  std::this_thread::sleep_for(200ms);
  const std::string start_log = proc->log();
  INFO(start_log);
  CHECK(start_log.find("event=capture_open") != start_log.rfind("event=capture_open"));  // two of them
  const auto sent = sendSip(sip_port, 20, "twice");
  rx.waitFor(40, 5s);
  CHECK(proc->stop() == 0);
  std::map<std::string, int> got;
  for (const auto& h : rx.packets()) ++got[h.payload];
  CHECK(rx.count() == 40);
  for (const auto& s : sent) CHECK(got[s] == 2);
  const std::string log = proc->log();
  CHECK(logValue(log, "stopped", "frames") == 40);
  CHECK(logValue(log, "stopped", "sent") == 40);
}

TEST_CASE(
    "Started unprivileged with CAP_NET_RAW/CAP_NET_ADMIN (as the systemd unit does), it captures and drops "
    "both",
    "[agent][live][privileges]") {
  if (!canCapture()) return;
  HepReceiver rx(HepReceiver::Kind::Udp);
  const int sip_port = test::freePort();
  // setpriv stands in for systemd's DynamicUser + AmbientCapabilities + CapabilityBoundingSet.
  test::ChildProcess proc({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           "--inh-caps=+net_raw,+net_admin", "--ambient-caps=+net_raw,+net_admin",
                           "--bounding-set=-all,+net_raw,+net_admin", agentPath(), "-i", "lo", "-f",
                           "udp port " + std::to_string(sip_port), "-H",
                           "udp:127.0.0.1:" + std::to_string(rx.port()), "--stats-interval", "0"},
                          tempPath("live-caps.log"));
  REQUIRE(proc.waitForLog("event=hep_output", 10s));
  std::this_thread::sleep_for(200ms);
  INFO(proc.log());
  CHECK(proc.log().find("capabilities_kept") == std::string::npos);
  CHECK(procStatus(proc.pid(), "Uid") == "\t65534\t65534\t65534\t65534");
  CHECK(procStatus(proc.pid(), "CapEff") == "\t0000000000000000");
  CHECK(procStatus(proc.pid(), "CapPrm") == "\t0000000000000000");
  CHECK(procStatus(proc.pid(), "CapAmb") == "\t0000000000000000");
  const auto sent = sendSip(sip_port, 4, "caps");
  CHECK(rx.waitFor(4, 5s));
  CHECK(rx.count() == 4);
  CHECK(proc.stop() == 0);
}
