// End to end: the agent captures live on lo while sipp (Debian's sip-tester, built-in uac and
// uas scenarios) makes calls. Every SIP message sipp put on the wire, as sipp itself logged it
// (-trace_msg), must arrive at the HEP receiver exactly once and byte for byte.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>

#include "agent_test_support.h"

using namespace sipvault;
using namespace sipvault::agent_test;
using namespace std::chrono_literals;

TEST_CASE("Live capture on lo while sipp makes calls: every SIP message arrives exactly once",
          "[agent][e2e][sipp]") {
  if (::geteuid() != 0) {
    WARN("not root: live capture skipped");
    return;
  }
  constexpr int kCalls = 20;
  const int uas_port = test::freePort(), uac_port = test::freePort();
  HepReceiver rx(HepReceiver::Kind::Udp);
  auto agent = startAgent(
      {"-i", "lo", "-f", "udp port " + std::to_string(uas_port) + " or udp port " + std::to_string(uac_port),
       "-H", "udp:127.0.0.1:" + std::to_string(rx.port()), "--stats-interval", "0"},
      "sipp-agent.log");
  REQUIRE(agent->waitForLog("event=hep_output", 10s));
  std::this_thread::sleep_for(200ms);

  const std::string uas_log = tempPath("sipp-uas-messages.log"), uac_log = tempPath("sipp-uac-messages.log");
  std::remove(uas_log.c_str());
  std::remove(uac_log.c_str());
  test::ChildProcess uas({"/usr/bin/sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", std::to_string(uas_port),
                          "-m", std::to_string(kCalls), "-nostdin", "-trace_msg", "-message_file", uas_log},
                         tempPath("sipp-uas.out"));
  std::this_thread::sleep_for(300ms);
  test::ChildProcess uac({"/usr/bin/sipp", "-sn", "uac", "127.0.0.1:" + std::to_string(uas_port), "-i",
                          "127.0.0.1", "-p", std::to_string(uac_port), "-m", std::to_string(kCalls), "-r",
                          "20", "-nostdin", "-trace_msg", "-message_file", uac_log},
                         tempPath("sipp-uac.out"));
  CHECK(uac.wait(60s) == 0);  // sipp exits 0 when every call succeeded
  CHECK(uas.wait(20s) == 0);

  std::vector<std::string> sent = sippSent(readFile(uac_log));
  const auto from_uas = sippSent(readFile(uas_log));
  sent.insert(sent.end(), from_uas.begin(), from_uas.end());
  // The built-in scenarios: INVITE, 180, 200, ACK, BYE, 200 per call (more if sipp retransmitted).
  CHECK(sent.size() >= size_t(kCalls) * 6);

  rx.waitFor(sent.size(), 10s, 500ms);
  CHECK(agent->stop() == 0);
  std::map<std::string, int> want, got;
  for (const auto& s : sent) ++want[s];
  for (const auto& h : rx.packets()) {
    ++got[h.payload];
    CHECK(h.ip_proto == 17);
    CHECK(h.src == "127.0.0.1");
    CHECK((h.dst_port == uas_port || h.dst_port == uac_port));
  }
  CHECK(rx.count() == sent.size());
  CHECK(got == want);
  INFO(agent->log());
  CHECK(logValue(agent->log(), "stopped", "pcap_dropped") == 0);
}
