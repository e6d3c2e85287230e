#pragma once
// The core of sipvault-hepdump: takes raw HEP units (a UDP payload, a framed TCP packet), decodes
// and parses them and writes one JSON line each. Counts what it saw; stops wanting input once
// `max_packets` were printed. Not thread-safe.
#include <cstdint>
#include <map>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "netdecode/packet_sink.h"
#include "netdecode/tcp_stream_consumer.h"
#include "proto/hep_stream_framer.h"
#include "sip/sip_parser.h"

namespace sipvault::hepdump {

struct HepDumpTotals {
  uint64_t packets = 0;  // valid HEP packets printed
  uint64_t errors = 0;   // invalid HEP units (error objects printed)
  uint64_t sip = 0;      // of the packets, SIP payloads that parsed
  uint64_t sip_errors = 0;
};

class HepDumper : public netdecode::PacketSink, public netdecode::TcpStreamConsumer {
 public:
  HepDumper(std::ostream& out, uint64_t max_packets) : out_(out), max_packets_(max_packets) {}

  // One HEP unit; `source` names where it came from (for error objects).
  void dump(std::span<const uint8_t> bytes, std::string_view source);
  // A unit that could not even be framed (a TCP stream that is not HEP3): one error object.
  void reportError(const HepDecodeError& error, std::string_view source);
  [[nodiscard]] bool done() const { return max_packets_ && totals_.packets + totals_.errors >= max_packets_; }
  [[nodiscard]] const HepDumpTotals& totals() const { return totals_; }

  // Captured UDP/SCTP payloads from a pcap (PacketSink): each is one HEP unit.
  void onPacket(const PacketView& view) override;
  // Captured TCP streams from a pcap: framed by HEP length.
  size_t onStreamData(const netdecode::TcpStreamInfo& info, std::string_view bytes, bool discontinuity) override;
  void onStreamClosed(const netdecode::TcpStreamInfo& info) override;

 private:
  std::ostream& out_;
  uint64_t max_packets_;
  HepDumpTotals totals_;
  std::string scratch_;
  sip::SipMessage sip_;
  std::map<uint64_t, HepStreamFramer> framers_;  // per TCP stream direction
};

}  // namespace sipvault::hepdump
