#pragma once
// Helpers shared by the collector's process tests: HEP packets of the test's own making, loopback
// senders, and a reader of the collector's ZeroMQ output (the test plays the parser).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/bus.h"
#include "proto/hep_codec.h"
#include "sipvault.pb.h"

namespace sipvault::test {

// Packet i: 192.0.2.10:(5000+i) -> 192.0.2.20:5060 UDP, capture id 7, time 1700000000+i s.
inline PacketView samplePacket(int i, std::string_view payload) {
  PacketView p;
  p.src = *IpAddress::parse("192.0.2.10");
  p.dst = *IpAddress::parse("192.0.2.20");
  p.src_port = static_cast<uint16_t>(5000 + i);
  p.dst_port = 5060;
  p.ip_proto = kIpProtoUdp;
  p.ts_sec = 1700000000 + i;
  p.ts_usec = 123;
  p.capture_id = 7;
  p.payload = payload;
  return p;
}

inline std::string encodeHep(int version, const PacketView& p) {
  std::string out;
  HepEncodeResult r = version == 3 ? encodeHep3(p, out) : version == 2 ? encodeHep2(p, out) : encodeHep1(p, out);
  REQUIRE(r.ok());
  return out;
}

inline void sendUdp(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const ssize_t n = ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  ::close(fd);
  REQUIRE(n == static_cast<ssize_t>(bytes.size()));
}

// A TCP connection to 127.0.0.1:port, from `source` (any 127.0.0.0/8 address is ours on loopback)
// or from the address the kernel picks.
inline int connectTcp(int port, const char* source = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (source != nullptr) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, source, &local.sin_addr);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  return fd;
}

// Pulls batches from the collector's output until `want` packets arrived or the time is up.
inline std::vector<wire::CapturedPacket> pullPackets(int bus_port, size_t want, std::chrono::milliseconds timeout) {
  using namespace std::chrono_literals;
  zmq::context_t ctx(1);
  BusSocket pull(ctx, BusSocket::Kind::Pull, {{false, "tcp://127.0.0.1:" + std::to_string(bus_port)}}, 100);
  std::vector<wire::CapturedPacket> out;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (out.size() < want && std::chrono::steady_clock::now() < until) {
    zmq::message_t m;
    if (!pull.receive(m, 100ms)) continue;
    wire::PacketBatch batch;
    REQUIRE(batch.ParseFromArray(m.data(), static_cast<int>(m.size())));
    for (const auto& p : batch.packets()) out.push_back(p);
  }
  return out;
}

}  // namespace sipvault::test
