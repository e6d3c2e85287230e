// sipvault-hepdump as an operator runs it: the real binary on the real corpus captures and on a
// live socket; its JSON lines parsed back with Poco::JSON.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "proto/hep_codec.h"
#include "tools/hepdump/hep_json.h"

using namespace sipvault::hepdump;

using namespace sipvault;
using namespace std::chrono_literals;

namespace {

const std::string kCorpus = SIPVAULT_CORPUS_DIR;

struct DumpResult {
  std::vector<Poco::JSON::Object::Ptr> lines;
  std::string stderr_text;
  int exit_code = -1;
};

DumpResult runHepdump(std::vector<std::string> args) {
  static int n = 0;
  const std::string out = std::string(SIPVAULT_BINARY_DIR) + "/tests/hepdump/run" + std::to_string(::getpid()) + "-" +
                          std::to_string(++n) + ".out";
  args.insert(args.begin(), test::binaryPath("tools/hepdump", "sipvault-hepdump"));
  // stdout and stderr share the log: JSON lines start with '{', the totals line does not.
  test::ChildProcess p(args, out);
  DumpResult r;
  r.exit_code = p.wait(60s);
  std::istringstream in(p.log());
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] == '{') {
      Poco::JSON::Parser parser;
      r.lines.push_back(parser.parse(line).extract<Poco::JSON::Object::Ptr>());
    } else {
      r.stderr_text += line + "\n";
    }
  }
  return r;
}

}  // namespace

TEST_CASE("hepdump prints the 8 packets of the hep-wireshark capture with every chunk", "[hepdump][e2e]") {
  DumpResult r = runHepdump({"-r", kCorpus + "/hep/hep-wireshark_hep.pcap"});
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.lines.size() == 8);
  std::multiset<std::string> types;
  for (auto& o : r.lines) {
    types.insert(o->getValue<std::string>("payload_type"));
    CHECK(o->getValue<int>("hep_version") == 3);
    CHECK(o->getValue<int>("capture_id") == 2001);
    CHECK(o->getValue<bool>("auth_key_present"));
    CHECK(o->getValue<std::string>("correlation_id") == "qgf3dm9rudi@127.0.0.1");
  }
  CHECK(types.count("sip") == 6);
  CHECK(types.count("log") == 1);
  CHECK(types.count("rtcp_json") == 1);
  auto first = r.lines[0];
  CHECK(first->getValue<std::string>("src_ip") == "192.168.1.1");
  CHECK(first->getValue<std::string>("timestamp") == "2016-12-11T11:19:56.000100Z");
  auto sip = first->getObject("sip");
  REQUIRE(sip);
  CHECK(sip->getValue<std::string>("method") == "INVITE");
  CHECK(sip->getValue<std::string>("call_id") == "qgf3dm9rudi@127.0.0.1");
  CHECK(r.stderr_text.find("hep_packets=8 hep_errors=0 sip_parsed=6") != std::string::npos);
}

TEST_CASE("hepdump decodes the three EXPECTED.md vectors, including HEP over a split TCP stream",
          "[hepdump][e2e]") {
  DumpResult udp = runHepdump({"-r", kCorpus + "/hep/derived_hep_vectors_udp9060.pcap"});
  REQUIRE(udp.lines.size() == 3);
  CHECK(udp.lines[0]->getValue<std::string>("src_ip") == "212.202.0.1");
  CHECK(udp.lines[0]->getValue<int>("src_port") == 12010);
  CHECK(udp.lines[0]->getValue<std::string>("timestamp") == "2011-08-15T20:34:19.123456Z");
  CHECK(udp.lines[0]->getValue<int>("capture_id") == 228);
  CHECK(udp.lines[1]->getObject("sip")->getValue<std::string>("call_id") == "BC099884@6dfcffe8");
  CHECK(udp.lines[1]->getValue<bool>("auth_key_present"));  // present, with an empty value
  CHECK(udp.lines[2]->getValue<int>("hep_version") == 1);
  CHECK(udp.lines[2]->getValue<std::string>("src_ip") == "10.0.1.100");
  CHECK(udp.lines[2]->getObject("sip")->getValue<std::string>("user_agent") == "SpeedTouch 780");

  DumpResult tcp = runHepdump({"-r", kCorpus + "/hep/derived_hep3_tcp_stream.pcap"});
  REQUIRE(tcp.lines.size() == 3);
  CHECK(tcp.lines[1]->getValue<int>("payload_length") == 673);
  CHECK(tcp.lines[2]->getValue<int>("payload_length") == 14);
}

TEST_CASE("hepdump inflates compressed payloads and reads pcapng with Linux SLL", "[hepdump][e2e]") {
  DumpResult r = runHepdump({"-r", kCorpus + "/hep/hep-wireshark_hep3_compressed.pcapng"});
  REQUIRE(r.lines.size() == 21);
  for (auto& o : r.lines) {
    CHECK(o->getValue<bool>("compressed"));
    CHECK(o->getValue<std::string>("ip_proto") == "tcp");
    auto sip = o->getObject("sip");
    if (sip->has("method")) CHECK(sip->getValue<std::string>("method") == "REGISTER");
    else CHECK((sip->getValue<int>("status") == 401 || sip->getValue<int>("status") == 200));
    CHECK(sip->getValue<std::string>("cseq").find("REGISTER") != std::string::npos);
  }
}

TEST_CASE("hepdump reads Kamailio's HEP v1, v2 and v3 with the same Call-IDs", "[hepdump][e2e]") {
  std::set<std::string> ids[3];
  for (int v = 1; v <= 3; ++v) {
    DumpResult r = runHepdump({"-r", kCorpus + "/hep/kamailio/hep" + std::to_string(v) + "-kamailio-udp.pcap"});
    REQUIRE(r.lines.size() == 260);
    for (auto& o : r.lines) {
      CHECK(o->getValue<int>("hep_version") == v);
      ids[v - 1].insert(o->getObject("sip")->getValue<std::string>("call_id"));
    }
    CHECK(ids[v - 1].size() == 20);
  }
}

TEST_CASE("hepdump with --count stops early and invalid HEP prints an error object, the run goes on", "[hepdump][e2e]") {
  DumpResult r = runHepdump({"-r", kCorpus + "/hep/kamailio/hep3-kamailio-udp.pcap", "--count", "5"});
  CHECK(r.lines.size() == 5);
  // UDP payloads that are not HEP (the plain SIP capture, port 5060) give error objects.
  DumpResult e = runHepdump({"-r", kCorpus + "/hep/kamailio/sip-udp-sipp-kamailio.pcap", "-f", "udp", "-n", "3"});
  REQUIRE(e.lines.size() == 3);
  CHECK(e.lines[0]->getValue<std::string>("code") == "bad_magic");
  CHECK(e.exit_code == 0);
}

TEST_CASE("hepdump listens on UDP and stops at --count", "[hepdump][e2e]") {
  const int port = test::freePort();
  const std::string out = std::string(SIPVAULT_BINARY_DIR) + "/tests/hepdump/live" + std::to_string(::getpid()) + ".out";
  test::ChildProcess p({test::binaryPath("tools/hepdump", "sipvault-hepdump"), "-l",
                        "udp:127.0.0.1:" + std::to_string(port), "-n", "2", "-t", "20"},
                       out);
  std::this_thread::sleep_for(300ms);
  PacketView v;
  v.src = *IpAddress::parse("2001:db8::1");
  v.dst = *IpAddress::parse("2001:db8::2");
  v.src_port = 5060;
  v.dst_port = 5062;
  v.ip_proto = kIpProtoTcp;
  v.payload = "BYE sip:x@y SIP/2.0\r\nCall-ID: live-1\r\nCSeq: 2 BYE\r\n\r\n";
  std::string pkt;
  REQUIRE(encodeHep3(v, pkt).ok());
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(uint16_t(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(fd, "garbage", 7, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  ::sendto(fd, pkt.data(), pkt.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  ::close(fd);
  REQUIRE(p.wait(10s) == 0);
  const std::string log = p.log();
  CHECK(log.find(R"("src_ip":"2001:db8::1")") != std::string::npos);
  CHECK(log.find(R"("call_id":"live-1")") != std::string::npos);
  CHECK(log.find("hep_packets=1 hep_errors=1") != std::string::npos);
}

TEST_CASE("JSON output escapes hostile SIP text and replaces invalid UTF-8", "[hepdump][unit]") {
  PacketView v;
  v.payload_type = 100;
  v.payload = std::string_view("<script>\"x\"\x01\xff</script>", 22);
  const std::string json = hepPacketJson(v, nullptr, nullptr);
  Poco::JSON::Parser parser;
  auto o = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
  const std::string payload = o->getValue<std::string>("payload");
  CHECK(payload.find("<script>\"x\"\x01") == 0);
  CHECK(payload.find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD for the 0xff byte
  CHECK(rfc3339Micros(3867576602u, 7) == "2092-07-22T14:50:02.000007Z");
}
