// Unit tests of the agent library's pure parts: the HEP framer, option
// parsing and the default BPF filter.
#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/Util/MapConfiguration.h>
#include <pcap/pcap.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/agent_options.h"
#include "agent/hep_framer.h"
#include "agent/media_tap.h"
#include "proto/hep_codec.h"

using namespace sipvault;
using namespace sipvault::agent;

namespace {

AgentOptions optionsFrom(std::initializer_list<std::pair<std::string, std::string>> kv) {
  Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
  for (const auto& [k, v] : kv) c->setString(k, v);
  return AgentOptions::fromConfig(*c);
}

}  // namespace

TEST_CASE("HepFramer stamps capture id, auth key and node name and skips non-SIP", "[agent][framer]") {
  HepFramer framer(HepIdentity{3, 9001, "key", "node-a", false});
  PacketView p;
  p.src = *IpAddress::parse("192.0.2.1");
  p.dst = *IpAddress::parse("192.0.2.2");
  p.src_port = 5060;
  p.dst_port = 5062;
  p.ip_proto = kIpProtoUdp;
  p.ts_sec = 1700000000;
  p.ts_usec = 42;
  p.vlan = 7;
  const std::string sip = "OPTIONS sip:x@y SIP/2.0\r\nContent-Length: 0\r\n\r\n";
  p.payload = sip;
  framer.onPacket(p);
  p.payload = "\r\n\r\n";
  framer.onPacket(p);
  CHECK(framer.sip == 1);
  CHECK(framer.non_sip == 1);
  HepBatch batch = framer.take();
  REQUIRE(batch.size() == 1);
  CHECK(framer.current().empty());
  std::string scratch;
  auto r = decodeHep(batch.packet(0), scratch);
  REQUIRE(r.ok());
  CHECK(r.packet->hep_version == 3);
  CHECK(r.packet->capture_id == 9001);
  CHECK(r.packet->auth_key == "key");
  CHECK(r.packet->node_name == "node-a");
  CHECK(r.packet->vlan == 7);
  CHECK(r.packet->dst_port == 5062);
  CHECK(r.packet->ts_usec == 42);
  CHECK(r.packet->payload == sip);
  CHECK(r.consumed == batch.packet(0).size());
}

TEST_CASE("HepFramer v2 and v1 encode what those versions carry", "[agent][framer]") {
  for (int v : {1, 2}) {
    HepFramer framer(HepIdentity{v, 12, "", "", false});
    PacketView p;
    p.src = *IpAddress::parse("2001:db8::1");
    p.dst = *IpAddress::parse("2001:db8::2");
    p.src_port = 5060;
    p.dst_port = 5060;
    p.ip_proto = kIpProtoTcp;
    p.ts_sec = 1700000000;
    p.payload = "SIP/2.0 200 OK\r\n\r\n";
    framer.onPacket(p);
    HepBatch b = framer.take();
    REQUIRE(b.size() == 1);
    std::string scratch;
    auto r = decodeHep(b.packet(0), scratch);
    REQUIRE(r.ok());
    CHECK(r.packet->hep_version == v);
    CHECK(r.packet->src.family == 6);
    CHECK(r.packet->ip_proto == kIpProtoTcp);
    if (v == 2) CHECK(r.packet->capture_id == 12);
  }
}

TEST_CASE("Options: defaults, failover list and refused combinations", "[agent][options]") {
  AgentOptions o =
      optionsFrom({{"agent.interface", "eth0, eth1"}, {"agent.hep_server", "tcp:h1:9060,h2:9061"}});
  CHECK(o.interfaces == std::vector<std::string>{"eth0", "eth1"});
  REQUIRE(o.servers.size() == 2);
  CHECK(o.servers[0].scheme == "tcp");
  CHECK(o.servers[1].scheme == "udp");  // no scheme: UDP
  CHECK(o.servers[1].port == 9061);
  CHECK(o.hep_version == 3);
  CHECK_FALSE(o.filter_set);
  CHECK_FALSE(o.once);
  CHECK(optionsFrom({{"agent.read", "x.pcap"}}).once);
  CHECK(optionsFrom({{"agent.read", "x.pcap"}, {"agent.filter", ""}}).filter_set);
  CHECK(optionsFrom({{"agent.read", "x.pcap"}, {"agent.rate", "50"}}).speed == ReplaySpeed::FixedRate);
  CHECK_THROWS_AS(optionsFrom({}), Poco::InvalidArgumentException);
  CHECK_THROWS_AS(optionsFrom({{"agent.interface", "lo"}, {"agent.read", "x"}}),
                  Poco::InvalidArgumentException);
  CHECK_THROWS_AS(optionsFrom({{"agent.interface", "lo"}, {"agent.pace", "true"}}),
                  Poco::InvalidArgumentException);
  CHECK_THROWS_AS(
      optionsFrom({{"agent.read", "x"}, {"agent.hep_version", "2"}, {"agent.capture_id", "70000"}}),
      Poco::InvalidArgumentException);
  CHECK_THROWS_AS(
      optionsFrom({{"agent.read", "x"}, {"agent.hep_version", "1"}, {"agent.hep_server", "tcp:h:1"}}),
      Poco::InvalidArgumentException);
  CHECK_THROWS_AS(optionsFrom({{"agent.read", "x"}, {"agent.hep_version", "4"}}),
                  Poco::InvalidArgumentException);
  CHECK_THROWS_AS(optionsFrom({{"agent.read", "x"}, {"agent.hep_server", "h"}}),
                  Poco::InvalidArgumentException);
}

TEST_CASE("The default filter compiles for Ethernet, cooked and raw links", "[agent][filter]") {
  for (int dlt : {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_NULL}) {
    INFO("dlt " << dlt);
    pcap_t* dead = pcap_open_dead(dlt, 65535);
    bpf_program prog{};
    const std::string f = defaultFilter(dlt == DLT_EN10MB);
    CHECK(pcap_compile(dead, &prog, f.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0);
    pcap_freecode(&prog);
    pcap_close(dead);
  }
  CHECK(defaultFilter(true).find("vlan") != std::string::npos);
  CHECK(defaultFilter(false).find("vlan") == std::string::npos);
}

TEST_CASE("Media options: RTCP on, RTP statistics off by default - statistics need HEP v3", "[agent][options][media]") {
  const AgentOptions d = optionsFrom({{"agent.read", "x.pcap"}});
  CHECK(d.media.rtcp);
  CHECK_FALSE(d.media.rtp_stats);
  CHECK(d.media.report_interval_us == 5'000'000);
  CHECK(d.media.table.bye_linger_us == 5'000'000);
  const AgentOptions o = optionsFrom({{"agent.read", "x.pcap"},
                                      {"agent.rtcp", "off"},
                                      {"agent.rtp_stats", "yes"},
                                      {"agent.rtp_report_interval_s", "10"},
                                      {"agent.rtp_max_streams", "99"},
                                      {"agent.media_max_calls", "7"},
                                      {"agent.media_idle_timeout_s", "60"},
                                      {"agent.media_bye_linger_s", "0"}});
  CHECK_FALSE(o.media.rtcp);
  CHECK(o.media.rtp_stats);
  CHECK(o.media.report_interval_us == 10'000'000);
  CHECK(o.media.max_streams == 99);
  CHECK(o.media.table.max_calls == 7);
  CHECK(o.media.table.idle_timeout_us == 60'000'000);
  CHECK(o.media.table.bye_linger_us == 0);
  CHECK_THROWS_AS(optionsFrom({{"agent.read", "x"}, {"agent.rtp_stats", "true"}, {"agent.hep_version", "2"}}),
                  Poco::InvalidArgumentException);
  CHECK_THROWS_AS(optionsFrom({{"agent.read", "x"}, {"agent.rtp_report_interval_s", "0"}}),
                  Poco::InvalidArgumentException);
  CHECK_THROWS_AS(optionsFrom({{"agent.read", "x"}, {"agent.rtcp", "maybe"}}), Poco::InvalidArgumentException);
}

namespace {

// An Ethernet frame with IPv4 or IPv6 and UDP (checksums left 0: BPF does not read them).
std::vector<uint8_t> udpFrame(bool v6, uint16_t dport, const std::string& payload) {
  std::vector<uint8_t> f(12, 0);
  f.push_back(v6 ? 0x86 : 0x08);
  f.push_back(v6 ? 0xdd : 0x00);
  const size_t udp_len = 8 + payload.size();
  if (v6) {
    const uint8_t h[8] = {0x60, 0, 0, 0, uint8_t(udp_len >> 8), uint8_t(udp_len), 17, 64};
    f.insert(f.end(), h, h + 8);
    for (int i = 0; i < 32; ++i) f.push_back(i == 15 || i == 31 ? 1 : 0);  // ::1 -> ::1
  } else {
    const size_t total = 20 + udp_len;
    const uint8_t h[20] = {0x45, 0, uint8_t(total >> 8), uint8_t(total), 0, 1, 0, 0, 64, 17, 0, 0,
                           127, 0, 0, 1, 127, 0, 0, 2};
    f.insert(f.end(), h, h + 20);
  }
  const uint8_t u[8] = {0x9c, 0x40, uint8_t(dport >> 8), uint8_t(dport), uint8_t(udp_len >> 8), uint8_t(udp_len), 0, 0};
  f.insert(f.end(), u, u + 8);
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

bool passes(const std::string& filter, const std::vector<uint8_t>& frame) {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  bpf_program prog{};
  REQUIRE(pcap_compile(dead, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0);
  pcap_pkthdr h{};
  h.caplen = h.len = uint32_t(frame.size());
  const bool ok = pcap_offline_filter(&prog, &h, frame.data()) != 0;
  pcap_freecode(&prog);
  pcap_close(dead);
  return ok;
}

}  // namespace

TEST_CASE("The widened filter lets RTCP (and with statistics RTP) through, on IPv4 and IPv6", "[agent][filter][media]") {
  MediaTapOptions rtcp_only, with_rtp, off;
  with_rtp.rtp_stats = true;
  off.rtcp = false;
  for (int dlt : {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_NULL}) {
    INFO("dlt " << dlt);
    pcap_t* dead = pcap_open_dead(dlt, 65535);
    for (const auto& f : {captureFilter(std::nullopt, dlt == DLT_EN10MB, with_rtp),
                          captureFilter(std::nullopt, dlt == DLT_EN10MB, rtcp_only),
                          captureFilter(std::string("port 5060"), dlt == DLT_EN10MB, rtcp_only)}) {
      INFO(f);
      bpf_program prog{};
      CHECK(pcap_compile(dead, &prog, f.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0);
      pcap_freecode(&prog);
    }
    pcap_close(dead);
  }
  CHECK(captureFilter(std::nullopt, true, off) == defaultFilter(true));
  CHECK(captureFilter(std::string(""), true, with_rtp).empty());  // everything stays everything
  CHECK(captureFilter(std::string("port 5060"), true, off) == "port 5060");

  const std::string rtcp = std::string("\x81\xc9\x00\x07", 4) + std::string(28, '\0');
  const std::string rtp = std::string("\x80\x08\x00\x01", 4) + std::string(168, '\0');
  const std::string other("\x00\x01hello", 7);
  for (bool v6 : {false, true}) {
    INFO("IPv6 " << v6);
    const std::string f_rtcp = captureFilter(std::nullopt, true, rtcp_only);
    const std::string f_rtp = captureFilter(std::nullopt, true, with_rtp);
    CHECK(passes(f_rtcp, udpFrame(v6, 40001, rtcp)));
    CHECK_FALSE(passes(f_rtcp, udpFrame(v6, 40000, rtp)));  // the kernel keeps RTP when only RTCP is wanted
    CHECK(passes(f_rtp, udpFrame(v6, 40000, rtp)));
    CHECK(passes(f_rtp, udpFrame(v6, 40001, rtcp)));
    CHECK_FALSE(passes(f_rtp, udpFrame(v6, 40000, other)));
    CHECK(passes(f_rtcp, udpFrame(v6, 5060, other)));  // SIP ports as before
  }
}
