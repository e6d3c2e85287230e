#pragma once
// Where sipvault-hepdump gets HEP from: a capture file (libpcap: pcap or pcapng, any link type
// the packet decoder knows) or a live UDP/TCP listener. Both feed a HepDumper until it is done,
// the input ends, or the deadline passes.
#include <chrono>
#include <string>

#include "tools/hepdump/hep_dumper.h"

namespace sipvault::hepdump {

// Returns "" on success, else the problem (file unreadable, unsupported link type, bad filter).
[[nodiscard]] std::string dumpCaptureFile(const std::string& path, const std::string& bpf_filter, HepDumper& dumper);

// `address` is "udp:HOST:PORT" or "tcp:HOST:PORT". Runs until dumper.done(), `deadline` (zero =
// none) or `stop` is set. Returns "" or the problem (bad address, bind failure).
[[nodiscard]] std::string dumpLive(const std::string& address, std::chrono::milliseconds timeout, HepDumper& dumper,
                                   const volatile bool& stop);

}  // namespace sipvault::hepdump
