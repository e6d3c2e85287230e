#pragma once
// Small helpers for the writer's integration tests: free ports, waiting, SipBatch frames.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sipvault.pb.h"

namespace sipvault::test {

// A TCP port on 127.0.0.1 that was free a moment ago.
inline int freeTcpPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("cannot find a free port");
  close(fd);
  return ntohs(a.sin_port);
}

// Polls `done` every 10 ms until it is true or `timeout` passes; returns its last value.
inline bool waitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

inline std::string serializeBatch(const std::vector<wire::SipRecord>& records, uint64_t sequence) {
  wire::SipBatch batch;
  batch.set_parser_id(1);
  batch.set_sequence(sequence);
  for (const auto& r : records) *batch.add_records() = r;
  return batch.SerializeAsString();
}

}  // namespace sipvault::test
