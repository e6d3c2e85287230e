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
