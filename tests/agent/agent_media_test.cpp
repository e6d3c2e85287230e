// The real sipvault-agent binary with its media side (issue 15): the real capture
// heplify_rtp_rtcp_sip_ipv4_udp.pcap (a SIP call with RTP and RTCP, plus RTCP and RTP of media no
// SIP in the capture announced) replayed into a HEP receiver on loopback. What must arrive is
// computed from tshark's reading of the same file, never written down here: the call's media
// addresses from the SDP tshark sees, the RTCP bytes tshark sees to or from them, the RTP packets
// tshark counts per SSRC on them. Captures the corpus lacks (BYE, a full table) are written with
// pcap_dump.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "agent_test_support.h"
#include "qos/rtcp_json.h"

using namespace sipvault;
using namespace sipvault::agent_test;
using namespace std::chrono_literals;

namespace {

const char* const kCapture = "pcap/heplify_rtp_rtcp_sip_ipv4_udp.pcap";

// tshark's fields, one vector per packet.
std::vector<std::vector<std::string>> tshark(const std::string& file, const std::string& filter,
                                             const std::vector<std::string>& fields) {
  std::string cmd = "tshark -r '" + file + "' -Y '" + filter + "' -T fields -E separator=/t";
  for (const auto& f : fields) cmd += " -e " + f;
  cmd += " 2>/dev/null";
  std::vector<std::vector<std::string>> rows;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  REQUIRE(::pclose(p) == 0);
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> row;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, '\t')) row.push_back(cell);
    row.resize(fields.size());
    rows.push_back(row);
  }
  return rows;
}

std::string unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out += char(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

using Addr = std::pair<std::string, uint16_t>;

// The media addresses the capture's SIP announces, by tshark: RTP (c=, m= port) and RTCP (port + 1:
// these SDPs have no a=rtcp) -> Call-ID.
std::map<Addr, std::string> learnedByTshark(const std::string& file, bool rtcp_port) {
  std::map<Addr, std::string> out;
  for (const auto& r : tshark(file, "sip and sdp", {"sip.Call-ID", "sdp.connection_info.address", "sdp.media.port"})) {
    if (r[0].empty() || r[1].empty() || r[2].empty()) continue;
    const int port = std::stoi(r[2]);
    out[{r[1], uint16_t(rtcp_port ? port + 1 : port)}] = r[0];
  }
  return out;
}

std::vector<ReceivedHep> ofType(const std::vector<ReceivedHep>& all, uint8_t type) {
  std::vector<ReceivedHep> out;
  for (const auto& h : all)
    if (h.payload_type == type) out.push_back(h);
  return out;
}

// A number field of a report ("key":N).
double field(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\":");
  REQUIRE(at != std::string::npos);
  return std::stod(json.substr(at + key.size() + 3));
}

}  // namespace

TEST_CASE("A real call's RTCP leaves as HEP 5, byte-exact, with its Call-ID - unannounced RTCP does not",
          "[agent][media][rtcp][replay]") {
  const std::string file = corpus(kCapture);
  const auto rtcp_ports = learnedByTshark(file, true);
  REQUIRE(!rtcp_ports.empty());
  using Want = std::tuple<std::string, uint16_t, std::string, uint16_t, std::string, std::string>;
  std::multiset<Want> want;
  size_t all_rtcp = 0;
  for (const auto& r : tshark(file, "rtcp", {"ip.src", "udp.srcport", "ip.dst", "udp.dstport", "udp.payload"})) {
    ++all_rtcp;
    const Addr src{r[0], uint16_t(std::stoi(r[1]))}, dst{r[2], uint16_t(std::stoi(r[3]))};
    auto owner = rtcp_ports.find(dst);
    if (owner == rtcp_ports.end()) owner = rtcp_ports.find(src);
    if (owner != rtcp_ports.end()) want.insert({src.first, src.second, dst.first, dst.second, unhex(r[4]), owner->second});
  }
  REQUIRE(!want.empty());
  REQUIRE(want.size() < all_rtcp);  // the capture also holds RTCP of media no SIP announced

  // agent.rtcp is on by default: "--rtcp on" only tells the test support not to turn it off.
  Replay r = replay(file, {"--rtcp", "on"}, 14 + want.size());
  const auto rtcp = ofType(r.packets, 5);
  std::multiset<Want> got;
  for (const auto& h : rtcp) got.insert({h.src, h.src_port, h.dst, h.dst_port, h.payload, h.correlation_id});
  CHECK(rtcp.size() == want.size());
  CHECK(got == want);
  CHECK(ofType(r.packets, 1).size() == 14);  // the SIP, as always
  CHECK(r.packets.size() == 14 + want.size());
  CHECK(logValue(r.run.log, "stopped", "rtcp_sent") == want.size());
  // Unmatched: every datagram that starts like RTCP (RFC 5761 4, as the agent tests), which here is
  // more than tshark dissects as RTCP (two on a conversation tshark leaves as plain UDP).
  const size_t rtcp_looking =
      tshark(file, "udp.length >= 16 && udp.payload[0] >= 0x80 && udp.payload[0] <= 0xbf && "
                   "udp.payload[1] >= c8 && udp.payload[1] <= cf", {"frame.number"}).size();
  CHECK(rtcp_looking >= all_rtcp);
  CHECK(logValue(r.run.log, "stopped", "rtcp_unmatched") == rtcp_looking - want.size());
  CHECK(logValue(r.run.log, "stopped", "media_calls_learned") == 2);  // two INVITEs with SDP
  CHECK(logValue(r.run.log, "stopped", "rtp_reports_sent") == 0);     // rtp_stats off by default
}

TEST_CASE("RTP statistics of a real call: final packet counts equal tshark's per SSRC", "[agent][media][rtp][replay]") {
  const std::string file = corpus(kCapture);
  const auto rtp_ports = learnedByTshark(file, false);
  std::map<std::tuple<std::string, uint16_t, std::string, uint16_t, uint32_t>, std::pair<uint64_t, std::string>> want;
  for (const auto& r : tshark(file, "rtp", {"ip.src", "udp.srcport", "ip.dst", "udp.dstport", "rtp.ssrc"})) {
    const Addr src{r[0], uint16_t(std::stoi(r[1]))}, dst{r[2], uint16_t(std::stoi(r[3]))};
    auto owner = rtp_ports.find(dst);
    if (owner == rtp_ports.end()) owner = rtp_ports.find(src);
    if (owner == rtp_ports.end()) continue;  // media no SIP announced: not ours to count
    auto& w = want[{src.first, src.second, dst.first, dst.second, uint32_t(std::stoul(r[4], nullptr, 16))}];
    ++w.first;
    w.second = owner->second;
  }
  REQUIRE(want.size() == 2);  // both directions of the call

  Replay r = replay(file, {"--rtp-stats", "--rtp-report-interval", "5"}, 14);
  const auto reports = ofType(r.packets, 34);
  std::map<std::tuple<std::string, uint16_t, std::string, uint16_t, uint32_t>, uint64_t> finals;
  size_t interim = 0;
  for (const auto& h : reports) {
    INFO(h.payload);
    CHECK(h.payload.rfind(R"({"type":"sipvault_rtp","version":1,)", 0) == 0);
    std::vector<qos::QosReport> parsed;  // the contract's parser (qos/rtcp_json.h) reads every report
    CHECK(qos::decodeAgentRtpJson(h.payload, parsed) == qos::QosDecodeStatus::Ok);
    const auto key = std::make_tuple(h.src, h.src_port, h.dst, h.dst_port, uint32_t(field(h.payload, "ssrc")));
    REQUIRE(want.count(key) == 1);
    CHECK(h.correlation_id == want[key].second);
    // The first payload type of either SDP is 8: "PCMA" in the offer's rtpmap, "pcma" in the answer's.
    CHECK((h.payload.find(R"("codec":"PCMA")") != std::string::npos ||
           h.payload.find(R"("codec":"pcma")") != std::string::npos));
    if (h.payload.find(R"("final":true)") != std::string::npos) {
      CHECK(finals.count(key) == 0);
      finals[key] = uint64_t(field(h.payload, "packets"));
      CHECK(field(h.payload, "lost") == 0);  // tshark: 0 lost on both
    } else {
      ++interim;
      CHECK(field(h.payload, "interval_s") > 0);
    }
  }
  CHECK(interim >= 4);  // ~25 s of media at 5 s
  REQUIRE(finals.size() == want.size());
  for (const auto& [key, w] : want) CHECK(finals[key] == w.first);
  CHECK(logValue(r.run.log, "stopped", "rtp_packets") ==
        [&] { uint64_t n = 0; for (const auto& [k, w] : want) n += w.first; return n; }());
}

namespace {

std::string sipMessage(const std::string& start, const std::string& call_id, const std::string& cseq,
                       const std::string& sdp_addr = "", int sdp_port = 0) {
  std::string body;
  if (!sdp_addr.empty())
    body = "v=0\r\no=- 1 1 IN IP4 " + sdp_addr + "\r\ns=-\r\nc=IN IP4 " + sdp_addr + "\r\nt=0 0\r\nm=audio " +
           std::to_string(sdp_port) + " RTP/AVP 0\r\n";
  return start + "\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-" + call_id + "-" + cseq.substr(0, 1) +
         "\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: " + call_id + "\r\nCSeq: " +
         cseq + "\r\n" + (body.empty() ? "" : "Content-Type: application/sdp\r\n") +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string rtcpSr(uint32_t ssrc) {
  std::string p(28, '\0');
  p[0] = char(0x80);
  p[1] = char(200);
  p[3] = 6;
  for (int i = 0; i < 4; ++i) p[4 + i] = char(ssrc >> (24 - 8 * i));
  return p;
}

std::string rtpPacket(uint16_t seq, uint32_t ssrc) {
  std::string p(12 + 160, char(0xff));
  p[0] = char(0x80);
  p[1] = 0;  // PCMU
  p[2] = char(seq >> 8);
  p[3] = char(seq);
  for (int i = 0; i < 4; ++i) p[4 + i] = char((uint32_t(seq) * 160) >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) p[8 + i] = char(ssrc >> (24 - 8 * i));
  return p;
}

PcapFrame frame(const std::string& src, uint16_t sport, const std::string& dst, uint16_t dport,
                const std::string& payload, uint32_t sec) {
  return {ethernet(ipv4Udp(src, dst, sport, dport, payload), 0x0800), sec, 0};
}

}  // namespace

TEST_CASE("A BYE forgets the call's media after the linger - a full table evicts the oldest call",
          "[agent][media][replay][written]") {
  const uint32_t t0 = 1700000000;
  std::vector<PcapFrame> frames;
  // Three calls, each announcing 10.0.0.N:4000N (RTCP 4000N+1).
  for (int n = 1; n <= 3; ++n) {
    const std::string id = "call-" + std::to_string(n), host = "10.0.0." + std::to_string(n);
    frames.push_back(frame("10.0.0.100", 5060, host, 5060,
                           sipMessage("INVITE sip:b@example.com SIP/2.0", id, "1 INVITE", host, 40000 + 2 * n), t0 + n));
  }
  // Call 3 hangs up at t0+10; its RTCP at t0+12 is within the 5 s linger, at t0+20 it is not.
  frames.push_back(frame("10.0.0.100", 5060, "10.0.0.3", 5060, sipMessage("BYE sip:b@example.com SIP/2.0", "call-3", "2 BYE"), t0 + 10));
  for (int n = 1; n <= 3; ++n)
    frames.push_back(frame("10.0.0." + std::to_string(n), uint16_t(40001 + 2 * n), "10.0.0.200", 7001, rtcpSr(uint32_t(n)), t0 + 12));
  frames.push_back(frame("10.0.0.3", 40007, "10.0.0.200", 7001, rtcpSr(33), t0 + 20));
  const std::string path = tempPath("media_bye_and_eviction.pcap");
  writePcap(path, DLT_EN10MB, frames);

  SECTION("room for all three") {
    Replay r = replay(path, {"--media-bye-linger", "5"}, 4 + 3);
    const auto rtcp = ofType(r.packets, 5);
    std::multiset<std::string> ids;
    for (const auto& h : rtcp) ids.insert(h.correlation_id);
    CHECK(ids == std::multiset<std::string>{"call-1", "call-2", "call-3"});  // not the one after the linger
    CHECK(logValue(r.run.log, "stopped", "media_forgotten_bye") == 1);
    CHECK(logValue(r.run.log, "stopped", "rtcp_unmatched") == 1);
    CHECK(logValue(r.run.log, "stopped", "media_calls") == 2);
  }
  SECTION("room for two: call 1, the least recently active, is evicted") {
    Replay r = replay(path, {"--media-max-calls", "2"}, 4 + 2);
    std::multiset<std::string> ids;
    for (const auto& h : ofType(r.packets, 5)) ids.insert(h.correlation_id);
    CHECK(ids == std::multiset<std::string>{"call-2", "call-3"});
    CHECK(logValue(r.run.log, "stopped", "media_evicted") == 1);
    CHECK(logValue(r.run.log, "stopped", "media_calls_learned") == 3);
  }
  std::remove(path.c_str());
}

TEST_CASE("IPv6 media with rtcp-mux: RTCP on the RTP port is told from RTP, port + 1 is not learned",
          "[agent][media][replay][written][ipv6]") {
  const std::string a = "2001:db8::1", b = "2001:db8::2";
  auto sdp6 = [](const std::string& addr, int port) {
    return "v=0\r\nc=IN IP6 " + addr + "\r\nm=audio " + std::to_string(port) + " RTP/AVP 0\r\na=rtcp-mux\r\n";
  };
  auto sip6 = [&](const std::string& start, const std::string& body) {
    return start + "\r\nVia: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK-v6\r\nFrom: <sip:a@example.com>;tag=1\r\n"
                   "To: <sip:b@example.com>;tag=2\r\nCall-ID: v6-mux@example.com\r\nCSeq: 1 INVITE\r\n"
                   "Content-Type: application/sdp\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  auto f6 = [](const std::string& src, uint16_t sport, const std::string& dst, uint16_t dport,
               const std::string& payload, uint32_t usec) {
    return PcapFrame{ethernet(ipv6Udp(src, dst, sport, dport, payload), 0x86dd), 1700000000, usec};
  };
  std::vector<PcapFrame> frames{f6(a, 5060, b, 5060, sip6("INVITE sip:b@example.com SIP/2.0", sdp6(a, 50000)), 0),
                                f6(b, 5060, a, 5060, sip6("SIP/2.0 200 OK", sdp6(b, 60000)), 1000)};
  for (uint16_t seq = 1; seq <= 10; ++seq) frames.push_back(f6(a, 50000, b, 60000, rtpPacket(seq, 0xfeed), 2000 + seq * 20000u));
  frames.push_back(f6(b, 60000, a, 50000, rtcpSr(0xbeef), 300000));  // muxed RTCP
  frames.push_back(f6(b, 60001, a, 50001, rtcpSr(0xbeef), 300001));  // port + 1: not learned under mux
  const std::string path = tempPath("media_ipv6_mux.pcap");
  writePcap(path, DLT_EN10MB, frames);

  Replay r = replay(path, {"--rtp-stats"}, 2 + 1 + 1);
  const auto rtcp = ofType(r.packets, 5);
  REQUIRE(rtcp.size() == 1);
  CHECK(rtcp[0].payload == rtcpSr(0xbeef));
  CHECK(rtcp[0].correlation_id == "v6-mux@example.com");
  CHECK(rtcp[0].src == b);
  const auto reports = ofType(r.packets, 34);
  REQUIRE(reports.size() == 1);  // 0.3 s of media: the final report only
  CHECK(reports[0].correlation_id == "v6-mux@example.com");
  CHECK(field(reports[0].payload, "packets") == 10);
  CHECK(reports[0].payload.find(R"("src_ip":"2001:db8::1")") != std::string::npos);
  CHECK(reports[0].payload.find(R"("codec":"PCMU")") != std::string::npos);
  CHECK(logValue(r.run.log, "stopped", "rtcp_unmatched") == 1);
  CHECK(logValue(r.run.log, "stopped", "rtp_packets") == 10);
  std::remove(path.c_str());
}

namespace {

// Sends `payload` to 127.0.0.1:`port` from 127.0.0.1:`from_port` (0 = any).
void sendUdp(uint16_t port, const std::string& payload, uint16_t from_port = 0) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (from_port != 0) {
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sa.sin_port = htons(from_port);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  }
  sa.sin_port = htons(port);
  CHECK(::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) ==
        ssize_t(payload.size()));
  ::close(fd);
}

}  // namespace

TEST_CASE("Live on lo: a call's RTCP and RTP statistics arrive, and its BYE ends the stream", "[agent][media][live]") {
  if (::geteuid() != 0) {
    WARN("not root: live capture test skipped");
    return;
  }
  HepReceiver rx(HepReceiver::Kind::Udp);
  const int sip_port = test::freePort();
  const auto caller = uint16_t(test::freePort()), callee = uint16_t(test::freePort());
  // The user's filter is widened by the media clause: RTP and RTCP reach the agent without "or udp".
  auto agent = startAgent({"-i", "lo", "-f", "udp port " + std::to_string(sip_port), "-H",
                           "udp:127.0.0.1:" + std::to_string(rx.port()), "--stats-interval", "0", "--rtp-stats",
                           "--media-bye-linger", "0"},
                          "live-media.log");
  REQUIRE(agent->waitForLog("event=hep_output", 10s));
  std::this_thread::sleep_for(200ms);
  const std::string id = "live-media-" + std::to_string(::getpid());
  sendUdp(uint16_t(sip_port), sipMessage("INVITE sip:b@example.com SIP/2.0", id, "1 INVITE", "127.0.0.1", caller));
  sendUdp(uint16_t(sip_port), sipMessage("SIP/2.0 200 OK", id, "1 INVITE", "127.0.0.1", callee));
  std::this_thread::sleep_for(300ms);  // the answer is learned before the media (live: batches)
  for (uint16_t seq = 1; seq <= 20; ++seq) {
    sendUdp(callee, rtpPacket(seq, 0xc0ffee), caller);  // one stream: caller -> callee
    std::this_thread::sleep_for(5ms);
  }
  sendUdp(uint16_t(callee + 1), rtcpSr(0xc0ffee));
  std::this_thread::sleep_for(300ms);
  sendUdp(uint16_t(sip_port), sipMessage("BYE sip:b@example.com SIP/2.0", id, "2 BYE"));
  // The BYE is forgotten at the next timer (within a second): the final report comes before exit.
  bool final_seen = false;
  for (int i = 0; i < 50 && !final_seen; ++i) {
    std::this_thread::sleep_for(100ms);
    for (const auto& h : ofType(rx.packets(), 34)) final_seen = final_seen || h.payload.find(R"("final":true)") != std::string::npos;
  }
  CHECK(final_seen);
  CHECK(agent->stop() == 0);
  INFO(agent->log());
  const auto rtcp = ofType(rx.packets(), 5);
  REQUIRE(rtcp.size() == 1);
  CHECK(rtcp[0].correlation_id == id);
  CHECK(rtcp[0].payload == rtcpSr(0xc0ffee));
  CHECK(rtcp[0].dst_port == callee + 1);
  const auto reports = ofType(rx.packets(), 34);
  REQUIRE(reports.size() == 1);  // well under the 5 s interval: the final report only
  CHECK(reports[0].correlation_id == id);
  CHECK(field(reports[0].payload, "packets") == 20);
  CHECK(reports[0].dst_port == callee);
  CHECK(reports[0].src_port == caller);
  CHECK(logValue(agent->log(), "stopped", "media_forgotten_bye") == 1);
  CHECK(logValue(agent->log(), "stopped", "media_calls") == 0);
  CHECK(logValue(agent->log(), "stopped", "rtp_streams") == 0);
}
