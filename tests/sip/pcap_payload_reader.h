#pragma once
// Test-only: the UDP (or TCP segment) payloads of a pcap/pcapng file, so parser tests can run on real
// captures. Handles Ethernet (with 802.1Q/802.1ad tags), Linux SLL v1/v2, raw IP and BSD loopback link types;
// IPv4 and IPv6 (extension headers skipped); fragments are skipped, not reassembled.
#include <cstdint>
#include <string>
#include <vector>

namespace sipvault::test {

struct CapturedPayload {
  uint32_t frame = 0;  // 1-based frame number in the file (as tshark counts)
  uint8_t ip_version = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  std::string flow;  // raw source address+port and destination address+port: one stream direction
  std::string payload;
};

// Every UDP payload with `port` as source or destination port (any port when port == 0).
// On a file that cannot be opened, returns nothing and sets `error`.
std::vector<CapturedPayload> readUdpPayloads(const std::string& path, uint16_t port, std::string& error);

// The same for TCP: non-empty segment payloads in file order (no reassembly, no retransmission
// handling), for captures whose streams are clean and in order.
std::vector<CapturedPayload> readTcpPayloads(const std::string& path, uint16_t port, std::string& error);

}  // namespace sipvault::test
