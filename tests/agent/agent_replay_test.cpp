// The real sipvault-agent binary replays corpus captures (-r) into a HEP receiver on a real
// socket. Expected counts come from corpus/SOURCES.md (tshark's); payloads and addresses are
// checked against what the capture holds, read by the test's own simple pcap reader.
#include <pcap/pcap.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <tuple>

#include "agent_test_support.h"

using namespace sipvault;
using namespace sipvault::agent_test;
using namespace std::chrono_literals;

namespace {

using Key = std::tuple<std::string, uint16_t, std::string, uint16_t, uint8_t, std::string>;

Key keyOf(const ReceivedHep& h) { return {h.src, h.src_port, h.dst, h.dst_port, h.ip_proto, h.payload}; }
Key keyOf(const TruthMessage& m) { return {m.src, m.src_port, m.dst, m.dst_port, m.ip_proto, m.payload}; }

// (payload, capture time) pairs: retransmissions share a payload but not a time.
template <class T>
std::multiset<std::tuple<std::string, uint32_t, uint32_t>> timesOf(const std::vector<T>& v) {
  std::multiset<std::tuple<std::string, uint32_t, uint32_t>> out;
  for (const auto& x : v) out.insert({x.payload, x.ts_sec, x.ts_usec});
  return out;
}

template <class A, class B>
void checkSameMessages(const std::vector<A>& got, const std::vector<B>& want) {
  std::multiset<Key> g, w;
  for (const auto& x : got) g.insert(keyOf(x));
  for (const auto& x : want) w.insert(keyOf(x));
  CHECK(got.size() == want.size());
  CHECK(g == w);
}

std::string sampleInvite(const std::string& call_id, size_t body = 0) {
  std::string sdp(body, 'x');
  return "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK" + call_id +
         "\r\nFrom: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: " + call_id +
         "\r\nCSeq: 1 INVITE\r\nContent-Length: " + std::to_string(sdp.size()) + "\r\n\r\n" + sdp;
}

}  // namespace

TEST_CASE("Replaying sngrep aaa.pcap sends its 81 SIP messages once each, byte-exact, as HEP3",
          "[agent][replay][udp]") {
  const std::string file = corpus("pcap/sngrep_aaa.pcap");
  const auto truth = sipOnly(readTruth(file));
  REQUIRE(truth.size() == 81);  // SOURCES.md: 81 SIP messages
  // The default filter (SIP ports + fragments) is in force: no -f.
  Replay r = replay(file, {"--capture-id", "4242"}, 81);
  checkSameMessages(r.packets, truth);
  CHECK(timesOf(r.packets) == timesOf(truth));
  for (const auto& h : r.packets) {
    CHECK(h.version == 3);
    CHECK(h.family == 4);
    CHECK(h.ip_proto == 17);
    CHECK(h.capture_id == 4242);
    CHECK(!h.has_auth_key);
  }
  CHECK(logValue(r.run.log, "stopped", "sip") == 81);
  CHECK(logValue(r.run.log, "stopped", "sent") == 81);
  CHECK(logValue(r.run.log, "stopped", "dropped") == 0);
}

TEST_CASE("HEP v2 and v1 output carry the same messages - v2 keeps time and capture id",
          "[agent][replay][hep2][hep1]") {
  const std::string file = corpus("pcap/sngrep_aaa.pcap");
  const auto truth = sipOnly(readTruth(file));
  for (int version : {2, 1}) {
    INFO("HEP v" << version);
    Replay r = replay(file, {"--hep-version", std::to_string(version), "--capture-id", "77"}, 81);
    checkSameMessages(r.packets, truth);
    if (version == 2) CHECK(timesOf(r.packets) == timesOf(truth));
    for (const auto& h : r.packets) {
      CHECK(h.version == version);
      if (version == 2) CHECK(h.capture_id == 77);
    }
  }
}

TEST_CASE("HEP3 carries auth key, node name and compressed payloads when asked", "[agent][replay][hep3]") {
  const std::string file = corpus("pcap/sngrep_aaa.pcap");
  const auto truth = sipOnly(readTruth(file));
  Replay r = replay(file, {"--auth-key", "s3cret", "--node-name", "edge-sbc-1", "--compress"}, 81);
  checkSameMessages(r.packets, truth);
  for (const auto& h : r.packets) {
    CHECK(h.has_auth_key);
    CHECK(h.auth_key == "s3cret");
    CHECK(h.node_name == "edge-sbc-1");
    CHECK(h.compressed);
  }
}

TEST_CASE("802.1Q and QinQ captures yield the 81 messages with the inner VLAN id", "[agent][replay][vlan]") {
  const auto truth = sipOnly(readTruth(corpus("pcap/sngrep_aaa.pcap")));
  for (const std::string f : {"pcap/derived/vlan_8021q_vid100_from_sngrep_aaa.pcap",
                              "pcap/derived/qinq_8021ad_vid200_8021q_vid100_sip_only_from_sngrep_aaa.pcap"}) {
    INFO(f);
    // The default filter must let tagged frames through too.
    Replay r = replay(corpus(f), {}, 81);
    checkSameMessages(r.packets, truth);
    CHECK(
        std::all_of(r.packets.begin(), r.packets.end(), [](const ReceivedHep& h) { return h.vlan == 100; }));
  }
}

TEST_CASE("IPv4 fragments (in order and reversed) reassemble to RFC 4475 longreq byte for byte",
          "[agent][replay][fragments]") {
  const std::string longreq = readFile(corpus("rfc4475/valid/longreq.dat"));
  Replay r = replay(corpus("pcap/derived/ipv4_frag_udp_rfc4475_longreq.pcap"), {}, 2);
  REQUIRE(r.packets.size() == 2);
  for (const auto& h : r.packets) {
    CHECK(h.payload == longreq);
    CHECK(h.src == "192.0.2.10");
    CHECK(h.dst == "192.0.2.20");
    CHECK(h.dst_port == 5060);
    CHECK(h.ip_proto == 17);
  }
}

TEST_CASE("A fragmented real INVITE equals frame 223 of aaa.pcap", "[agent][replay][fragments]") {
  const auto original = readTruth(corpus("pcap/sngrep_aaa.pcap"));
  const auto it = std::find_if(original.begin(), original.end(), [](const TruthMessage& m) {
    return m.payload.size() == 822 && m.payload.rfind("INVITE", 0) == 0;
  });
  REQUIRE(it != original.end());
  Replay r = replay(corpus("pcap/derived/ipv4_frag_udp_invite_from_sngrep_aaa.pcap"), {}, 1);
  REQUIRE(r.packets.size() == 1);
  CHECK(keyOf(r.packets[0]) == keyOf(*it));
}

TEST_CASE("SIP over TCP: one message per segment, several per segment, and across segments",
          "[agent][replay][tcp]") {
  const auto truth = sipOnly(readTruth(corpus("pcap/heplify_sip_ipv4_tcp.pcap")));
  REQUIRE(truth.size() == 7);  // SOURCES.md: 7, one message per segment
  Replay plain = replay(corpus("pcap/heplify_sip_ipv4_tcp.pcap"), {"-f", ""}, 7);
  checkSameMessages(plain.packets, truth);
  Replay multi =
      replay(corpus("pcap/derived/tcp_multi_msg_per_segment_from_heplify_sip_ipv4_tcp.pcap"), {"-f", ""}, 7);
  checkSameMessages(multi.packets, truth);
}

TEST_CASE("SIP over TCP on port 6060 split across many segments yields tshark's 406 messages",
          "[agent][replay][tcp]") {
  Replay r = replay(corpus("pcap/heplify_sip_ipv4_tcp_fragmented.pcap"), {"-f", "tcp port 6060"}, 406);
  CHECK(r.packets.size() == 406);
  for (const auto& h : r.packets) {
    CHECK(h.ip_proto == 6);
    CHECK((h.src_port == 6060 || h.dst_port == 6060));
    CHECK(isSipStartLine(h.payload));
  }
}

TEST_CASE("A retransmitted TCP segment is sent once (Linux SLL)", "[agent][replay][tcp]") {
  Replay r = replay(corpus("pcap/heplify_sip_ipv4_tcp_retrans.pcap"), {"-f", ""}, 8);
  CHECK(r.packets.size() == 8);  // SOURCES.md: 8 SIP messages
  std::multiset<std::string> tcp;
  for (const auto& h : r.packets)
    if (h.ip_proto == 6) tcp.insert(h.payload);
  CHECK(!tcp.empty());
  for (const auto& p : tcp) CHECK(tcp.count(p) == 1);
}

TEST_CASE("IPv6 UDP keeps addresses and timestamps past 2^31 seconds", "[agent][replay][ipv6]") {
  const std::string file = corpus("pcap/heplify_sip_ipv6_udp.pcap");
  const auto truth = sipOnly(readTruth(file));
  REQUIRE(truth.size() == 6);
  Replay r = replay(file, {"-f", ""}, 6);
  checkSameMessages(r.packets, truth);
  CHECK(std::all_of(r.packets.begin(), r.packets.end(), [](const ReceivedHep& h) { return h.family == 6; }));
  CHECK(std::any_of(r.packets.begin(), r.packets.end(),
                    [](const ReceivedHep& h) { return h.ts_sec == 3867576602u; }));
}

TEST_CASE("IPv6 fragmented SIP is reassembled: 32 messages (Linux SLL)", "[agent][replay][ipv6][fragments]") {
  const std::string file = corpus("pcap/sngrep_ipv6frag.pcap");
  const auto whole = sipOnly(readTruth(file));  // the 30 that were not fragmented
  Replay r = replay(file, {"-f", ""}, 32);
  CHECK(r.packets.size() == 32);
  std::multiset<Key> got, want;
  for (const auto& h : r.packets) got.insert(keyOf(h));
  for (const auto& m : whole) want.insert(keyOf(m));
  for (const auto& k : want) CHECK(got.count(k) == want.count(k));  // retransmissions included
  CHECK(whole.size() == 30);
}

TEST_CASE("Non-SIP IPv6 fragments are reassembled, counted as non-SIP and not sent",
          "[agent][replay][ipv6]") {
  Replay r = replay(corpus("pcap/heplify_ipv6_udp_fragmented.pcap"), {"-f", ""}, 0);
  CHECK(r.packets.empty());
  CHECK(logValue(r.run.log, "stopped", "sip") == 0);
  CHECK(logValue(r.run.log, "stopped", "non_sip") >= 1);
}

TEST_CASE("SIP over SCTP with the INVITE split across DATA chunks", "[agent][replay][sctp]") {
  Replay r = replay(corpus("pcap/heplify_sip_sctp.pcap"), {}, 4);
  REQUIRE(r.packets.size() == 4);
  CHECK(std::all_of(r.packets.begin(), r.packets.end(),
                    [](const ReceivedHep& h) { return h.ip_proto == 132; }));
  const auto invite = std::find_if(r.packets.begin(), r.packets.end(),
                                   [](const ReceivedHep& h) { return h.payload.rfind("INVITE ", 0) == 0; });
  REQUIRE(invite != r.packets.end());
  CHECK(invite->payload.size() == 1452 + 312);  // the two chunks' user data (tshark)
  CHECK(invite->src_port == 57098);
  CHECK(invite->dst_port == 5060);
}

TEST_CASE("Raw IP, IP-in-IP and ERSPAN captures yield their SIP", "[agent][replay][tunnel]") {
  CHECK(replay(corpus("pcap/heplify_ipip0.pcap"), {"-f", ""}, 8).packets.size() == 8);
  CHECK(replay(corpus("pcap/sngrep_ipip.pcap"), {"-f", ""}, 4).packets.size() == 4);
  CHECK(replay(corpus("pcap/heplify_erspan_sip_ipv4_udp.pcapng"), {"-f", ""}, 140).packets.size() == 140);
}

TEST_CASE("Large UDP captures with RTP yield tshark's SIP counts - the rest is skipped",
          "[agent][replay][udp]") {
  const std::string rtp = corpus("pcap/heplify_rtp_rtcp_sip_ipv4_udp.pcap");
  const auto all = readTruth(rtp);
  Replay a = replay(rtp, {"-f", ""}, 14);
  CHECK(a.packets.size() == 14);
  checkSameMessages(a.packets, sipOnly(all));
  // Every other UDP payload (RTP, RTCP) was looked at and skipped.
  const auto udp =
      std::count_if(all.begin(), all.end(), [](const TruthMessage& m) { return m.ip_proto == 17; });
  CHECK(logValue(a.run.log, "stopped", "non_sip") == uint64_t(udp - 14));
  Replay b = replay(corpus("pcap/heplify_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap"), {"-f", ""}, 92);
  CHECK(b.packets.size() == 92);
}

TEST_CASE("HEP3 over TCP carries a whole replay", "[agent][replay][tcp-output]") {
  const std::string file = corpus("pcap/sngrep_aaa.pcap");
  const auto truth = sipOnly(readTruth(file));
  Replay r = replay(file, {}, 81, HepReceiver::Kind::Tcp);
  checkSameMessages(r.packets, truth);
  CHECK(logValue(r.run.log, "stopped", "tcp_connects") == 1);
}

TEST_CASE("Captures the corpus lacks, written with pcap_dump: SLL2, BSD null, IPv6 TCP, non-SIP noise",
          "[agent][replay][written]") {
  const std::string a = sampleInvite("sll2-1"), b = sampleInvite("null-1"), c = sampleInvite("v6tcp-1"),
                    d = "SIP/2.0 200 OK\r\nCall-ID: v6tcp-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
  // Linux cooked v2 (what "any" gives with newer tools).
  {
    std::vector<uint8_t> sll2(20, 0);
    sll2[0] = 0x08;  // protocol 0x0800
    sll2[9] = 1;     // ARPHRD_ETHER
    sll2[11] = 6;
    auto ip = ipv4Udp("192.0.2.1", "192.0.2.2", 5060, 5060, a);
    sll2.insert(sll2.end(), ip.begin(), ip.end());
    const std::string path = tempPath("written_sll2.pcap");
    writePcap(path, DLT_LINUX_SLL2, {{sll2, 1700000000, 1}});
    Replay r = replay(path, {}, 1);
    REQUIRE(r.packets.size() == 1);
    CHECK(r.packets[0].payload == a);
    CHECK(r.packets[0].src == "192.0.2.1");
  }
  // BSD loopback (DLT_NULL, family in host order), with a keep-alive and an RTP-like datagram
  // on the SIP port that must be skipped.
  {
    auto null_frame = [](const std::vector<uint8_t>& ip) {
      std::vector<uint8_t> f{2, 0, 0, 0};
      f.insert(f.end(), ip.begin(), ip.end());
      return f;
    };
    const std::string path = tempPath("written_null.pcap");
    writePcap(
        path, DLT_NULL,
        {{null_frame(ipv4Udp("127.0.0.1", "127.0.0.2", 5060, 5060, "\r\n\r\n")), 1700000000, 0},
         {null_frame(ipv4Udp("127.0.0.1", "127.0.0.2", 5060, 5060, std::string("\x80\x08\x00\x01rtp", 7))),
          1700000000, 1},
         {null_frame(ipv4Udp("127.0.0.1", "127.0.0.2", 5062, 5060, b)), 1700000000, 2}});
    Replay r = replay(path, {}, 1);
    REQUIRE(r.packets.size() == 1);
    CHECK(r.packets[0].payload == b);
    CHECK(r.packets[0].src_port == 5062);
    CHECK(logValue(r.run.log, "stopped", "non_sip") == 2);
  }
  // SIP over TCP on IPv6, two messages in one segment after the handshake.
  {
    const std::string s = "2001:db8::1", t = "2001:db8::2";
    const std::string both = c + d;
    std::vector<PcapFrame> frames{
        {ethernet(ipv6Tcp(s, t, 40000, 5060, 1000, 0x02, ""), 0x86dd), 1700000000, 0},
        {ethernet(ipv6Tcp(t, s, 5060, 40000, 5000, 0x12, ""), 0x86dd), 1700000000, 1},
        {ethernet(ipv6Tcp(s, t, 40000, 5060, 1001, 0x18, both), 0x86dd), 1700000000, 2},
    };
    const std::string path = tempPath("written_ipv6_tcp.pcap");
    writePcap(path, DLT_EN10MB, frames);
    Replay r = replay(path, {}, 2);
    REQUIRE(r.packets.size() == 2);
    CHECK(r.packets[0].payload == c);
    CHECK(r.packets[1].payload == d);
    for (const auto& h : r.packets) {
      CHECK(h.ip_proto == 6);
      CHECK(h.family == 6);
      CHECK(h.src == s);
      CHECK(h.dst == t);
      CHECK(h.src_port == 40000);
    }
  }
}

TEST_CASE("Replay speed: --rate and --pace spread a replay over time - the default is as fast as possible",
          "[agent][replay][pacing]") {
  std::vector<PcapFrame> frames;
  for (int i = 0; i < 4; ++i)  // 0.3 s apart in the capture
    frames.push_back(
        {ethernet(ipv4Udp("192.0.2.1", "192.0.2.2", 5060, 5060, sampleInvite("pace-" + std::to_string(i))),
                  0x0800),
         1700000000, uint32_t(i * 300000)});
  const std::string path = tempPath("written_pace.pcap");
  writePcap(path, DLT_EN10MB, frames);
  auto timed = [&](std::vector<std::string> extra) {
    const auto t0 = std::chrono::steady_clock::now();
    Replay r = replay(path, extra, 4, HepReceiver::Kind::Udp);
    CHECK(r.packets.size() == 4);
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
               .count() -
           200;
  };
  const auto fast = timed({});
  const auto paced = timed({"--pace"});
  const auto rated = timed({"--rate", "4"});  // 4 frames at 4/s: the last one leaves at 0.75 s
  INFO("fast " << fast << " ms, paced " << paced << " ms, rated " << rated << " ms");
  CHECK(paced >= 850);
  CHECK(rated >= 700);
  CHECK(fast < paced - 400);
}

TEST_CASE("Start-up problems exit non-zero with one line naming the fix", "[agent][cli]") {
  AgentRun missing = runAgent({"-r", tempPath("does-not-exist.pcap"), "-H", "udp:127.0.0.1:9"});
  CHECK(missing.exit_code == 69);
  CHECK(missing.log.find("event=startup_failed") != std::string::npos);
  AgentRun bad_filter = runAgent({"-r", corpus("pcap/sngrep_aaa.pcap"), "-f", "port nonsense"});
  CHECK(bad_filter.exit_code == 69);
  CHECK(bad_filter.log.find("bad filter") != std::string::npos);
  AgentRun both = runAgent({"-r", corpus("pcap/sngrep_aaa.pcap"), "-i", "lo"});
  CHECK(both.exit_code == 78);
  AgentRun v1_tcp =
      runAgent({"-r", corpus("pcap/sngrep_aaa.pcap"), "--hep-version", "1", "-H", "tcp:127.0.0.1:9"});
  CHECK(v1_tcp.exit_code == 78);
  CHECK(v1_tcp.log.find("needs v3") != std::string::npos);
  AgentRun bad_server = runAgent({"-r", corpus("pcap/sngrep_aaa.pcap"), "-H", "sctp:127.0.0.1:9060"});
  CHECK(bad_server.exit_code == 78);
}
