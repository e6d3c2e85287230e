#pragma once
// Test support for the agent's integration tests: a HEP receiver on a real socket (decoding
// with the project's decodeHep), the truth about a capture read independently of the agent's
// decoder, pcap writing for cases the corpus lacks, and running the real sipvault-agent binary.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "proto/packet.h"

namespace sipvault::agent_test {

// One HEP packet as received, with everything copied out of the datagram.
struct ReceivedHep {
  uint8_t version = 0;
  std::string src, dst;  // textual addresses
  uint8_t family = 0;
  uint16_t src_port = 0, dst_port = 0;
  uint8_t ip_proto = 0;
  uint32_t ts_sec = 0, ts_usec = 0;
  uint32_t capture_id = 0;
  bool has_auth_key = false;
  std::string auth_key, node_name;
  uint16_t vlan = 0;
  bool compressed = false;
  uint8_t payload_type = 0;    // chunk 11 (v3); 1 for v1/v2
  std::string correlation_id;  // chunk 17 (v3)
  std::string payload;
  size_t connection = 0;  // TCP: which accepted connection (0, 1, ...) carried it
};

// A HEP receiver on 127.0.0.1: UDP datagrams or a TCP listener framing HEP3 streams. Runs its
// own thread; stop() closes every socket (a collector going away); start() again on the same
// port brings it back.
class HepReceiver {
 public:
  enum class Kind { Udp, Tcp };
  explicit HepReceiver(Kind kind, int port = 0);
  ~HepReceiver();

  void start();
  void stop();
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::vector<ReceivedHep> packets() const;
  [[nodiscard]] size_t count() const;
  [[nodiscard]] size_t decodeErrors() const { return decode_errors_.load(); }
  // Waits until `n` packets arrived, then `settle` more for stragglers (duplicates would show).
  bool waitFor(size_t n, std::chrono::milliseconds timeout,
               std::chrono::milliseconds settle = std::chrono::milliseconds(200));

 private:
  void run();
  void onPacket(std::string_view bytes, size_t connection);

  Kind kind_;
  int port_;
  int fd_ = -1;
  std::thread thread_;
  std::atomic<bool> running_{false};
  mutable std::mutex mu_;
  std::vector<ReceivedHep> packets_;
  std::atomic<size_t> decode_errors_{0};
  size_t connections_ = 0;
};

// What a capture holds, read with libpcap and a deliberately simple parser (Ethernet with any
// 802.1Q/802.1ad tags, Linux SLL/SLL2, raw IP, BSD null; IPv4 without fragmentation, IPv6
// without extension headers; UDP, or TCP segments with data). It knows nothing of reassembly:
// use it for captures where each frame carries one whole message.
struct TruthMessage {
  std::string src, dst;
  uint16_t src_port = 0, dst_port = 0;
  uint8_t ip_proto = 0;
  uint32_t ts_sec = 0, ts_usec = 0;
  uint16_t vlan = 0;  // innermost tag
  std::string payload;
};
std::vector<TruthMessage> readTruth(const std::string& path);
// The test's own SIP test: "SIP/2.0 NNN " or "METHOD uri SIP/2.0" as the first CRLF line.
bool isSipStartLine(const std::string& payload);
std::vector<TruthMessage> sipOnly(const std::vector<TruthMessage>& all);

std::string corpus(const std::string& relative);
std::string readFile(const std::string& path);
std::string tempPath(const std::string& name);  // under the build tree's tests/agent/

// Frames for pcaps written by the tests (checksums computed).
std::vector<uint8_t> ipv4Udp(const std::string& src, const std::string& dst, uint16_t sport, uint16_t dport,
                             std::string_view payload, uint16_t ip_id = 1, uint16_t frag_offset8 = 0,
                             bool more_fragments = false, std::string_view raw_l4 = {});
std::vector<uint8_t> ipv6Tcp(const std::string& src, const std::string& dst, uint16_t sport, uint16_t dport,
                             uint32_t seq, uint8_t flags, std::string_view payload);
std::vector<uint8_t> ipv6Udp(const std::string& src, const std::string& dst, uint16_t sport, uint16_t dport,
                             std::string_view payload);
std::vector<uint8_t> ethernet(const std::vector<uint8_t>& ip, uint16_t ethertype);

struct PcapFrame {
  std::vector<uint8_t> bytes;
  uint32_t ts_sec = 0, ts_usec = 0;
};
// Writes `frames` with libpcap's dumper (pcap_open_dead + pcap_dump).
void writePcap(const std::string& path, int dlt, const std::vector<PcapFrame>& frames);

// The messages a sipp -message_file says it sent: "UDP|TCP message sent (N bytes):\n\n" + N bytes.
std::vector<std::string> sippSent(const std::string& log);

// The agent binary of this build tree, run to completion or kept running. SIP-only tests: unless
// the args name a media option (--rtcp, --rtp-*, --media-*), "--rtcp off" is added, so that the
// RTCP in corpus captures (on by default, agent/README.md) does not count among their SIP.
std::string agentPath();
struct AgentRun {
  int exit_code = -1;
  std::string log;
};
AgentRun runAgent(const std::vector<std::string>& args,
                  std::chrono::milliseconds timeout = std::chrono::seconds(60));
std::unique_ptr<test::ChildProcess> startAgent(const std::vector<std::string>& args,
                                               const std::string& log_name);
// Replays `file` (-r) with `extra` args to a fresh receiver and waits for `expected` packets
// (plus a settle time that would reveal duplicates); checks the exit code and that every packet
// decoded.
struct Replay {
  AgentRun run;
  std::vector<ReceivedHep> packets;
};
Replay replay(const std::string& file, std::vector<std::string> extra, size_t expected,
              HepReceiver::Kind kind = HepReceiver::Kind::Udp);

// Value of `key=` in the last line of `log` that contains `event`.
uint64_t logValue(const std::string& log, const std::string& event, const std::string& key);

}  // namespace sipvault::agent_test
