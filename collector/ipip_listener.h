#pragma once
// IP-in-IP mirrors (IP protocol 4), the way SBCs (Acme Packet, Huawei, ...) copy SIP to a
// capture host: each mirrored packet arrives wrapped in an outer IPv4 header addressed to us.
// A raw socket delivers the whole outer packet; the agent's packet decoder unwraps it (including
// fragments and SIP over TCP) into the same PacketView the HEP path produces.
// Needs CAP_NET_RAW: without it the constructor throws IpIpPermissionError.
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "collector/hep_ingest.h"

namespace sipvault::collector {

struct IpIpPermissionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class IpIpListener {
 public:
  // bind_address: a local IPv4 address to receive on, or "" for all.
  IpIpListener(const std::string& bind_address, const IngestContext& context);
  ~IpIpListener();

  void start();
  void stop();

 private:
  void run();

  int fd_ = -1;   // IP protocol 4: IPv4 inside IPv4
  int fd6_ = -1;  // IP protocol 41: IPv6 inside IPv4
  CollectorMetrics& metrics_;
  const PacketAdmission& admission_;
  BatchBuilder batch_;
  HepIngest ingest_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace sipvault::collector
