#pragma once
// Test-only pcap/pcapng reader: the transport payloads of IPv4 UDP and TCP packets in a
// capture (Ethernet, 802.1Q, or Linux SLL link types). Just enough to feed corpus captures to
// the HEP tests without depending on the agent's decoder. Fragments and IPv6 are skipped.
#include <cstdint>
#include <string>
#include <vector>

#include "proto/packet.h"
#include "tests/support/test_files.h"  // readFile, corpusPath

namespace sipvault::test {

struct CapturedSegment {
  uint64_t time_us = 0;  // pcap record time
  uint8_t ip_proto = 0;  // kIpProtoUdp or kIpProtoTcp
  IpAddress src;
  IpAddress dst;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  std::string payload;
};

// Every UDP / TCP (non-empty payload) segment in file order. Fails the current test (Catch2
// REQUIRE) when the file cannot be opened or has an unsupported link type.
std::vector<CapturedSegment> readSegments(const std::string& path);

}  // namespace sipvault::test
