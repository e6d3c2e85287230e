// End to end with the agent's DEFAULT filter (issue 12): sipp (uac) -> Kamailio -> sipp (uas) over
// TCP on lo, the uas on 5070 and Kamailio on another port of 5060-5090. Kamailio reaches the uas
// from an ephemeral port, so only a port range that holds 5070 sees that hop (the old default,
// 5060/5061/5080, saw neither hop). Every message the uas sent and every request it got must
// arrive at the HEP receiver.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>

#include "agent_test_support.h"

using namespace sipvault;
using namespace sipvault::agent_test;
using namespace std::chrono_literals;

namespace {

constexpr int kUasPort = 5070;

// True when nothing listens on 127.0.0.1:port over TCP (and we could bind it).
bool tcpPortFree(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

std::string startLine(const std::string& sip) { return sip.substr(0, sip.find("\r\n")); }

}  // namespace

TEST_CASE("The default filter captures SIP over TCP between a proxy's ephemeral port and a uas on 5070",
          "[agent][e2e][kamailio][filter]") {
  if (::geteuid() != 0) {
    WARN("not root: live capture skipped");
    return;
  }
  if (::access("/usr/sbin/kamailio", X_OK) != 0 || ::access("/usr/bin/sipp", X_OK) != 0) {
    WARN("kamailio or sipp not installed: skipped");
    return;
  }
  int proxy_port = 0;
  for (int p = 5071; p <= 5090 && !proxy_port; ++p)
    if (p != 5080 && tcpPortFree(p)) proxy_port = p;  // 5080 was in the old default: keep it out
  if (!tcpPortFree(kUasPort) || !proxy_port) {
    WARN("port 5070 or every port 5071-5090 is taken on 127.0.0.1: skipped");
    return;
  }
  constexpr int kCalls = 5;
  HepReceiver rx(HepReceiver::Kind::Udp);
  // No -f: the default filter is what is tested.
  auto agent =
      startAgent({"-i", "lo", "-H", "udp:127.0.0.1:" + std::to_string(rx.port()), "--stats-interval", "0"},
                 "kamailio-tcp-agent.log");
  REQUIRE(agent->waitForLog("event=hep_output", 10s));
  std::this_thread::sleep_for(200ms);

  const std::string dir = tempPath("kamailio-tcp");
  REQUIRE(std::system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "'").c_str()) == 0);
  {
    std::ofstream cfg(dir + "/kamailio.cfg");
    cfg << "#!KAMAILIO\n"
           "debug=1\nlog_stderror=yes\nchildren=2\ntcp_children=2\nauto_aliases=no\n"
           "listen=tcp:127.0.0.1:"
        << proxy_port
        << "\n"
           "mpath=\"/usr/lib/x86_64-linux-gnu/kamailio/modules/\"\n"
           "loadmodule \"tm.so\"\nloadmodule \"sl.so\"\nloadmodule \"pv.so\"\nloadmodule "
           "\"maxfwd.so\"\nloadmodule \"textops.so\"\n"
           "request_route {\n"
           "  if (!mf_process_maxfwd_header(\"10\")) { sl_send_reply(\"483\", \"Too Many Hops\"); exit; }\n"
           "  $du = \"sip:127.0.0.1:"
        << kUasPort
        << ";transport=tcp\";\n"
           "  if (is_method(\"ACK\") && !t_check_trans()) { forward(); exit; }\n"
           "  if (!t_relay()) sl_reply_error();\n"
           "}\n";
  }
  test::ChildProcess kamailio({"/usr/sbin/kamailio", "-f", dir + "/kamailio.cfg", "-DD", "-E", "-Y", dir,
                               "-P", dir + "/kamailio.pid"},
                              dir + "/kamailio.log");
  std::this_thread::sleep_for(1500ms);
  REQUIRE(kamailio.running());

  const std::string uas_log = dir + "/sipp-uas-messages.log";
  test::ChildProcess uas(
      {"/usr/bin/sipp", "-sn", "uas", "-t", "t1", "-i", "127.0.0.1", "-p", std::to_string(kUasPort), "-m",
       std::to_string(kCalls), "-nostdin", "-trace_msg", "-message_file", uas_log},
      dir + "/sipp-uas.out");
  std::this_thread::sleep_for(300ms);
  test::ChildProcess uac(
      {"/usr/bin/sipp", "-sn", "uac", "-t", "t1", "127.0.0.1:" + std::to_string(proxy_port), "-i",
       "127.0.0.1", "-m", std::to_string(kCalls), "-r", "5", "-nostdin"},
      dir + "/sipp-uac.out");
  const int uac_rc = uac.wait(60s);
  INFO(kamailio.log());
  CHECK(uac_rc == 0);  // sipp exits 0 when every call succeeded
  CHECK(uas.wait(20s) == 0);

  // What the uas sent (from 5070 to Kamailio's ephemeral port): 180, 200 to INVITE, 200 to BYE.
  const auto sent = sippSent(readFile(uas_log));
  CHECK(sent.size() >= size_t(kCalls) * 3);
  rx.waitFor(sent.size() + size_t(kCalls) * 3 * 2, 10s, 500ms);  // + the uas' requests, + the uac hop
  kamailio.stop();
  CHECK(agent->stop() == 0);

  std::map<std::string, int> want, got_from_uas;
  std::map<std::string, int> to_uas;  // request start lines Kamailio sent to 5070
  for (const auto& s : sent) ++want[s];
  size_t on_proxy_port = 0;
  for (const auto& h : rx.packets()) {
    CHECK(h.ip_proto == 6);
    if (h.src_port == kUasPort) ++got_from_uas[h.payload];
    if (h.dst_port == kUasPort) ++to_uas[startLine(h.payload).substr(0, startLine(h.payload).find(' '))];
    if (h.src_port == proxy_port || h.dst_port == proxy_port) ++on_proxy_port;
  }
  CHECK(got_from_uas == want);  // every message of the uas, byte for byte, once
  CHECK(to_uas["INVITE"] == kCalls);
  CHECK(to_uas["ACK"] == kCalls);
  CHECK(to_uas["BYE"] == kCalls);
  CHECK(on_proxy_port >= size_t(kCalls) * 6);  // the uac <-> Kamailio hop, on a port of the range
  INFO(agent->log());
  CHECK(logValue(agent->log(), "stopped", "pcap_dropped") == 0);
  CHECK(std::system(("rm -rf '" + dir + "'").c_str()) == 0);
}
