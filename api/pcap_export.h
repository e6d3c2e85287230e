#pragma once
// Stored messages back into a pcap file that Wireshark and tshark read as SIP: each message
// becomes one Ethernet frame with a synthetic IPv4 or IPv6 header and a UDP header or a TCP
// segment, carrying the original addresses, ports and capture time. Written with libpcap's
// dumper (pcap_open_dead + pcap_dump_fopen on an in-memory stream), link type DLT_EN10MB.
//
//   Ethernet  dst 02:00:00:00:00:02  src 02:00:00:00:00:01  type 0x0800 / 0x86dd
//   IPv4      20 bytes, no options, DF, TTL 64, header checksum set
//   IPv6      40 bytes, hop limit 64 (used when either address is IPv6; an IPv4 peer then appears
//             IPv4-mapped, ::ffff:a.b.c.d)
//   UDP       8 bytes, length and checksum set        (ip_proto 17, and anything not TCP)
//   TCP       20 bytes, PSH|ACK, window 65535; per direction the sequence number starts at 1 and
//             grows by each payload, the ack is the other direction's next sequence number
// Unknown addresses (empty) are written as 0.0.0.0. A UDP payload that does not fit one IP
// packet (over 65507 bytes) is cut and counted in `truncated`; TCP payloads are split into
// several segments instead.
//
// Pure apart from libpcap's writer; buildPcap is thread-safe (no shared state), a PcapWriter is
// used by one thread.
#include <pcap/pcap.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>

namespace sipvault::api {

struct ExportPacket {
  uint64_t capture_us = 0;
  std::string_view src_ip;  // 4 or 16 raw bytes, or empty
  std::string_view dst_ip;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t ip_proto = 17;
  std::string_view payload;
};

struct PcapResult {
  std::string file;       // the complete pcap file
  size_t frames = 0;      // frames written (a large TCP payload takes several)
  size_t truncated = 0;   // UDP payloads cut to fit
};

// The pcap file header, and at most how many bytes one payload adds to the file (record headers,
// Ethernet, IPv6 and TCP headers per segment): what a byte budget counts before building.
inline constexpr uint64_t kPcapFileHeaderBytes = 24;
[[nodiscard]] uint64_t pcapBytesFor(size_t payload_bytes, uint8_t ip_proto);

// nullopt with `error` set only when libpcap cannot open its writer.
[[nodiscard]] std::optional<PcapResult> buildPcap(std::span<const ExportPacket> packets, std::string& error);

// The same file written frame by frame to a FILE: buildPcap's memory stream, or a streamed
// export's HTTP response (fopencookie). Keeps the TCP sequence numbers per direction.
class PcapWriter {
 public:
  // Takes `stream` (closed by finish() or the destructor); nullptr with `error` when libpcap
  // cannot open its writer (the stream is closed then too).
  [[nodiscard]] static std::unique_ptr<PcapWriter> open(FILE* stream, std::string& error);
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  ~PcapWriter();

  void write(const ExportPacket& packet);
  // Flushes and closes the stream.
  void finish();
  [[nodiscard]] size_t frames() const { return frames_; }
  [[nodiscard]] size_t truncated() const { return truncated_; }

 private:
  PcapWriter() = default;
  void dump(const ExportPacket& p, std::string_view payload, uint32_t seq, uint32_t ack);

  pcap_t* dead_ = nullptr;
  pcap_dumper_t* dumper_ = nullptr;
  // Next sequence number per TCP direction (src ip, src port, dst ip, dst port).
  std::map<std::tuple<std::string, uint16_t, std::string, uint16_t>, uint32_t> next_seq_;
  uint16_t ip_id_ = 1;
  size_t frames_ = 0;
  size_t truncated_ = 0;
};

// One frame (Ethernet + IP + UDP/TCP + payload), for tests and for buildPcap. `seq`/`ack` are
// used for TCP only.
[[nodiscard]] std::string buildFrame(const ExportPacket& packet, std::string_view payload, uint32_t seq, uint32_t ack,
                                     uint16_t ip_id);

}  // namespace sipvault::api
