#pragma once
// Test-only helpers: read every frame of a corpus capture with libpcap (pcap and pcapng), and
// collect what a PacketDecoder emits. libpcap stays out of the decoder library itself.
#include <cstdint>
#include <string>
#include <vector>

#include "netdecode/capture_time.h"
#include "netdecode/packet_decoder.h"
#include "netdecode/packet_sink.h"

namespace sipvault::netdecode::test {

struct Frame {
  std::vector<uint8_t> bytes;
  CaptureTime ts;
};

struct Capture {
  int dlt = -1;
  std::vector<Frame> frames;
};

// Reads a file under SIPVAULT_CORPUS_DIR ("pcap/sngrep_aaa.pcap"); fails the test if it cannot.
Capture readCorpusCapture(const std::string& relative_path);

// Reads a corpus file's bytes (e.g. "rfc4475/valid/longreq.dat").
std::string readCorpusFile(const std::string& relative_path);

// A kept copy of an emitted PacketView.
struct Emitted {
  IpAddress src;
  IpAddress dst;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t ip_proto = 0;
  uint32_t ts_sec = 0;
  uint32_t ts_usec = 0;
  uint16_t vlan = 0;
  std::string payload;
};

class CollectingSink final : public PacketSink {
 public:
  void onPacket(const PacketView& view) override;
  std::vector<Emitted> packets;
};

// The test's own notion of a SIP message (independent of the decoder's splitter): the payload
// starts with "SIP/2.0 NNN " or with "METHOD SP uri SP SIP/2.0" followed by CRLF.
bool startsWithSipStartLine(const std::string& payload);

std::vector<Emitted> sipOnly(const std::vector<Emitted>& packets);

// Decodes a whole capture (then flushes) and returns what came out.
struct DecodeRun {
  std::vector<Emitted> packets;
  DecodeCounters counters;
};
DecodeRun decodeCapture(const Capture& capture, const PacketDecoderOptions& options = {});
DecodeRun decodeCorpus(const std::string& relative_path, const PacketDecoderOptions& options = {});

}  // namespace sipvault::netdecode::test
